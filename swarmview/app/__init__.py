"""The desktop viewer (PySide6 + pyqtgraph). Imported only by ``swarmview open``, never by the rest of the CLI.

Entry points: :func:`swarmview.app.application.create_application` and
:class:`swarmview.app.main_window.MainWindow`; contracts in ``docs/internal-api.md`` ("app").
"""

from __future__ import annotations

import os

# pyqtgraph picks its Qt binding from this variable; there is only one binding here.
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
