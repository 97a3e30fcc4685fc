"""A customer's system information (I1): read-only, searchable, one window per report.

The lines are :func:`codec.render_report`'s (every value already checked
and neutralised); they go into a read-only QPlainTextEdit, which has no
rich-text mode. Typing in Find keeps the lines that contain the text (any
case) with their section headings, so "disk" finds every disk line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QLineEdit, QPlainTextEdit, QVBoxLayout, QWidget

from peer.gui._text import PlainLabel, shown

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["SysinfoView", "matching_lines"]


def matching_lines(lines: Sequence[str], wanted: str) -> list[str]:
    """The lines holding *wanted* (any case), each under its section's heading."""
    if not wanted.strip():
        return list(lines)
    key = wanted.strip().casefold()
    out: list[str] = []
    heading = None
    for line in lines:
        if not line.startswith(" "):
            heading = line
            if key in line.casefold():
                out.append(line)
                heading = None
            continue
        if key in line.casefold():
            if heading is not None:
                out.append(heading)
                heading = None
            out.append(line)
    return out


class SysinfoView(QDialog):
    def __init__(self, customer: str, lines: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"System information — {shown(customer, 80)}")
        self.lines = [shown(line) for line in lines]
        self.search = QLineEdit()
        self.search.setPlaceholderText("Find (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        QShortcut(QKeySequence("Ctrl+F"), self, lambda: self.search.setFocus())
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setAccessibleName("System information")
        heading = PlainLabel(f"As {shown(customer, 80)}'s machine reports it:")
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.search)
        layout.addWidget(self.text, 1)
        self.resize(640, 520)
        self._filter("")

    def _filter(self, wanted: str) -> None:
        self.text.setPlainText("\n".join(matching_lines(self.lines, wanted)))
