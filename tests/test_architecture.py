"""The layering of ARCHITECTURE.md holds by itself: ruff, import-linter, and a Qt-free CLI import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def test_ruff_clean() -> None:
    result = subprocess.run(
        [str(BIN / "ruff"), "check", "swarmview", "tests", "benchmarks"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_linter_contracts() -> None:
    result = subprocess.run([str(BIN / "lint-imports")], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_cli_import_does_not_import_qt() -> None:
    code = (
        "import sys, swarmview.cli; swarmview.cli.build_parser();"
        "bad=[m for m in sys.modules if m.startswith(('PySide6','pyqtgraph','shiboken6'))];"
        "print(bad); raise SystemExit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
