"""Text other people control, shown as the characters they are and nothing more.

A QLabel (and a QMessageBox, a tooltip) guesses: text that looks like HTML
is rendered as rich text, so a name like ``<img src=...>`` would fetch or
draw something, and ``<b>`` would restyle the window. Every remote string
(names, chat, file names, system information, window titles) is therefore
shown through :class:`PlainLabel` or a widget that has no rich mode
(QPlainTextEdit, list and tree items, window and tab titles), never a
tooltip. :func:`shown` also turns the characters codec refuses in text
(bidi overrides, controls) into visible escapes, as the CLI does for system
information, in case one ever reached the face by another road.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from codec import neutralise

__all__ = ["PlainLabel", "shown"]

#: Longest remote string a label shows; past it an ellipsis (a chat line has its own limit).
MAX_SHOWN = 4000


def shown(text: str, max_chars: int = MAX_SHOWN, *, multiline: bool = False) -> str:
    """*text* as a widget may show it: refused characters escaped, cut at *max_chars*."""
    if multiline:
        lines = text.split("\n")
        return "\n".join(neutralise(line.replace("\t", "    "), max_chars) for line in lines)
    return neutralise(text, max_chars)


class PlainLabel(QLabel):
    """A label that never reads its text as HTML; remote text goes through :func:`shown`."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setText(text)
