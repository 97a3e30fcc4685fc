"""Under control of the whole desktop, keys the X server acts on itself stay out (no X)."""

from __future__ import annotations

from codec import DesktopInput, KeyInput

CTRL, ALT, BACKSPACE, TERMINATE = 0xFFE3, 0xFFE9, 0xFF08, 0xFED5


def test_terminate_server_is_not_sent_and_the_rep_is_told_once() -> None:
    rules = DesktopInput("Bob")
    first = rules.key(KeyInput(TERMINATE, True))
    assert first == (
        False,
        "Terminate_Server (it ends the whole X session) acts on Bob's X server itself;"
        " it is not sent",
    )
    assert rules.key(KeyInput(TERMINATE, False)) == (False, "")  # never went down
    assert rules.key(KeyInput(TERMINATE, True)) == (False, "")


def test_ctrl_alt_backspace_is_not_sent_but_ctrl_alt_keys_are() -> None:
    rules = DesktopInput("Bob")
    assert [rules.key(KeyInput(k, True))[0] for k in (CTRL, ALT, ord("t"))] == [True] * 3
    allowed, notice = rules.key(KeyInput(BACKSPACE, True))
    assert not allowed
    assert notice.startswith("Ctrl+Alt+Backspace (it ends the whole X session)")


def test_mouse_keys_are_not_switched_on() -> None:
    allowed, notice = DesktopInput("Bob").key(KeyInput(0xFEF9, True))  # Pointer_EnableKeys
    assert not allowed
    assert "mouse keys" in notice


def test_plain_keys_text_and_their_releases_go_in() -> None:
    rules = DesktopInput("Bob")
    assert rules.key(KeyInput(0xFE03, True)) == (True, "")  # AltGr
    assert rules.key(KeyInput(0xFE03, False)) == (True, "")
    assert rules.key(KeyInput(0, True, "é")) == (True, "")
    assert rules.key(KeyInput(0x1008FF2C, True)) == (True, "")  # XF86Eject: the desktop's
