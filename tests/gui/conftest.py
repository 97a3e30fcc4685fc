"""Qt for the GUI tests: the offscreen platform under pytest-qt's one application.

The platform must be chosen before the QApplication exists, so it is set
when this package's tests are collected; ``HELPLINE_GUI=1`` lets the faces
open their viewer windows there.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _offscreen(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    monkeypatch.setenv("HELPLINE_GUI", "1")
    monkeypatch.setenv("HELPLINE_HISTORY", str(tmp_path / "history.sqlite3"))
