"""Qt for the GUI tests: the offscreen platform under pytest-qt's one application.

The platform must be chosen before the QApplication exists, so it is set
when this package's tests are collected; ``HELPLINE_GUI=1`` lets the faces
open their viewer windows there.
"""

from __future__ import annotations

import gc
import os
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from PySide6.QtWidgets import QApplication

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _offscreen(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    monkeypatch.setenv("HELPLINE_GUI", "1")
    monkeypatch.setenv("HELPLINE_HISTORY", str(tmp_path / "history.sqlite3"))


@pytest.fixture
def customer_display(monkeypatch: pytest.MonkeyPatch, xdisplay: str) -> str:
    """The module's Xvfb as DISPLAY: the customer's face captures (and is controlled on) it."""
    monkeypatch.setenv("DISPLAY", xdisplay)
    return xdisplay


@pytest.fixture(autouse=True)
def _no_widgets_left(qapp: QApplication) -> Iterator[None]:
    """Every window a test made is destroyed before the next test (and before exit).

    Widgets left to Python's garbage collector can outlive the QApplication at
    interpreter exit, and PySide6 then crashes while tearing them down.
    """
    yield
    from PySide6.QtCore import QCoreApplication, QEvent

    for _ in range(2):  # closing one window may open another (a console's question)
        for widget in qapp.topLevelWidgets():
            widget.close()
            widget.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
