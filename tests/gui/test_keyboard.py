"""The keyboard: every action has a shortcut, and the viewer passes keys to the customer
only while control is on and it has focus, with one combination to take them back."""

from __future__ import annotations

from typing import TYPE_CHECKING

from codec import KeyInput
from peer.gui._activities import Action
from peer.gui._activity_bar import SHORTCUTS

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from peer._share_rep import InputMessage


def test_every_activity_has_its_own_shortcut(qapp: QApplication) -> None:
    from peer.gui._activity_bar import ActivityBar

    bar = ActivityBar()
    keys = [bar.buttons[a].shortcut().toString() for a in Action]
    assert all(keys)
    assert len(set(keys)) == len(keys) == len(SHORTCUTS)


def _viewer(posted: list[InputMessage], *, control: bool):  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget

    from peer.gui._viewer_dock import ViewerDock

    window = QWidget()
    dock = ViewerDock()
    other = QLineEdit()
    layout = QVBoxLayout(window)
    layout.addWidget(dock)
    layout.addWidget(other)
    viewer = dock.open_view("Bob's desktop — control on", control=control, post=posted.append)
    window.show()
    return window, dock, viewer.screen_widget, other


def test_keys_reach_the_customer_only_with_control_on_and_the_screen_focused(
    qapp: QApplication,
) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    posted: list[InputMessage] = []
    window, _dock, screen, other = _viewer(posted, control=False)
    screen.setFocus()
    QTest.keyClick(screen, Qt.Key.Key_A, Qt.KeyboardModifier.NoModifier, 0)
    assert posted == []  # view only: nothing typed on the customer's machine
    screen.control = True
    other.setFocus()
    QTest.keyClick(other, Qt.Key.Key_B)
    assert posted == []  # the focus is elsewhere: the key is the rep's
    assert other.text() == "b"
    screen.setFocus()
    QTest.keyClick(screen, Qt.Key.Key_C)
    assert [m for m in posted if isinstance(m, KeyInput) and m.down] == [
        KeyInput(ord("c"), True, "c")
    ]
    window.close()


def test_the_consoles_shortcuts_go_to_the_customer_while_control_is_on(
    qapp: QApplication,
) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QKeySequence, QShortcut
    from PySide6.QtTest import QTest

    posted: list[InputMessage] = []
    window, _dock, screen, _other = _viewer(posted, control=True)
    fired: list[str] = []
    QShortcut(QKeySequence("Ctrl+W"), window, lambda: fired.append("Ctrl+W"))
    window.activateWindow()  # a window's shortcuts work in the active window only
    assert QTest.qWaitForWindowActive(window, 2000)
    screen.setFocus()
    screen.control = False
    QTest.keyClick(screen, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    assert fired == ["Ctrl+W"]  # without control the shortcut is the rep's
    fired.clear()
    screen.control = True
    QTest.keyClick(screen, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    assert fired == []
    assert KeyInput(ord("w"), True) in posted
    window.close()


def test_ctrl_alt_f12_hands_the_keyboard_back_and_lets_the_modifiers_up(
    qapp: QApplication,
) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    posted: list[InputMessage] = []
    window, dock, screen, _other = _viewer(posted, control=True)
    released: list[bool] = []
    dock.on_release = lambda: released.append(True)
    screen.setFocus()
    both = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
    QTest.keyClick(screen, Qt.Key.Key_F12, both)
    assert released == [True]
    assert not screen.hasFocus()
    assert KeyInput(0xFFE3, False) in posted  # Ctrl up on the customer's side
    assert KeyInput(0xFFE9, False) in posted  # Alt up
    assert KeyInput(0xFFC9, True) not in posted  # F12 itself never reached the customer
    window.close()
