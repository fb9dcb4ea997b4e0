"""Find the absolute command that starts swarmview, for file-manager entries and registry verbs.

Desktop sessions have a different ``PATH`` than terminals, so entries must name the installed
launcher by absolute path: a frozen app's executable, else the ``swarmview`` script of this
environment, else this interpreter with ``-m swarmview``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def launcher_command() -> list[str]:
    """The argv prefix to which ``open PATH`` is appended."""
    if getattr(sys, "frozen", False):
        return [str(Path(sys.executable).resolve())]
    exe = Path(sys.executable)
    for name in ("swarmview", "swarmview.exe"):
        candidate = exe.with_name(name)
        if candidate.is_file():
            return [str(candidate.absolute())]
    found = shutil.which("swarmview")
    if found:
        return [str(Path(found).absolute())]
    return [str(exe.absolute()), "-m", "swarmview"]
