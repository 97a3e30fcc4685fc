"""Keys the X server acts on by itself, and the rules for a rep that controls the desktop.

Theory of operation. Most keys are delivered to the window with the focus,
and what they do is that program's business. A few keysyms carry an *XKB
action* the X server runs itself, before any program sees the key: the
0xFE00-0xFEFF block holds the mouse keys (``Pointer_EnableKeys`` switches
on keyboard mouse control, ``Pointer_Button1`` then clicks wherever the
pointer is), the accessibility switches (``StickyKeys_Enable`` and the
like), the keyboard's locks and latches, screen switches and
``Terminate_Server``, which ends the X server and with it every program on
the desktop; 0x1008FE00-0x1008FEFF holds the server's private keys (console
switches, grab release, video modes). The injector types a keysym missing
from the keymap through a spare key code it remaps, and the server's rules
then give that key the keysym's action: so a rep could send any of them.

Nobody's keyboard sends these to a support session: the rep's viewer sends
characters as text and only the plain keys (letters, function, cursor and
editing keys, the modifiers, AltGr) as keysyms. So a key the server would
act on is never injected, under control of the desktop too: a rep with full
control could close programs through the menus, but ending the X session
(Helpline's included) in one key, or leaving the customer's keyboard in
mouse-keys or sticky-keys mode after control ends, is nothing a customer
allowed. Kept: the level shifts (AltGr, Level 5), ``ISO_Left_Tab`` and the
dead keys, which carry no action.

A refused press is reported to the rep once for each reason, until a key
goes in again; its release is dropped too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codec._share_messages import KeyInput

__all__ = ["DesktopInput", "server_action"]

_CONTROL = frozenset({0xFFE3, 0xFFE4})
_ALT = frozenset({0xFFE9, 0xFFEA})
_SHIFT = frozenset({0xFFE1, 0xFFE2})
#: The XKB function block: locks, latches, mouse keys, accessibility, Terminate_Server.
_XKB = range(0xFE00, 0xFEFF + 1)
#: ISO_Level3_Shift (AltGr), ISO_Level5_Shift, ISO_Left_Tab and the dead keys: no action.
_PLAIN_XKB = frozenset({0xFE03, 0xFE11, 0xFE20}) | frozenset(range(0xFE50, 0xFE93 + 1))
_MOUSE_KEYS = range(0xFEE0, 0xFEFF + 1)
_ACCESSIBILITY = range(0xFE70, 0xFE7A + 1)
#: XFree86's server-private keysyms: console switches, Ungrab, ClearGrab, video modes.
_SERVER_PRIVATE = range(0x1008FE00, 0x1008FEFF + 1)
_TERMINATE, _BACKSPACE, _NUM_LOCK = 0xFED5, 0xFF08, 0xFF7F


def server_action(keysym: int, *, ctrl: bool, alt: bool, shift: bool) -> str | None:
    """What the X server itself does on *keysym* with the modifiers held, or None.

    Ctrl+Alt+Backspace is the keymap's usual place for Terminate_Server and
    Shift+Num Lock for Pointer_EnableKeys, so they count as those keys.
    """
    if keysym == _TERMINATE or (ctrl and alt and keysym == _BACKSPACE):
        name = "Terminate_Server" if keysym == _TERMINATE else "Ctrl+Alt+Backspace"
        return f"{name} (it ends the whole X session)"
    if keysym in _MOUSE_KEYS or (shift and keysym == _NUM_LOCK):
        name = "Shift+Num Lock" if keysym == _NUM_LOCK else f"key {keysym:#x}"
        return f"{name} (the X server's mouse keys: it moves and clicks the pointer)"
    if keysym in _ACCESSIBILITY:
        return f"key {keysym:#x} (an accessibility switch: it changes the keyboard until undone)"
    if keysym in _XKB and keysym not in _PLAIN_XKB:
        return f"key {keysym:#x} (an X keyboard lock or server function)"
    if keysym in _SERVER_PRIVATE:
        return f"key {keysym:#x} (an X server function: console, grab release, video mode)"
    return None


@dataclass(slots=True)
class DesktopInput:
    """One rep's keys on *customer*'s whole desktop: all go in but the server's own."""

    customer: str
    _keys: set[int] = field(default_factory=set, init=False)
    _told: str = field(default="", init=False)

    def key(self, event: KeyInput) -> tuple[bool, str]:
        """May *event* go in; and the line for the rep when this refusal is new ("")."""
        if event.text:
            return True, ""  # characters: typed through their own keys, never an action
        if not event.down:
            if event.keysym not in self._keys:
                return False, ""
            self._keys.discard(event.keysym)
            return True, ""
        ctrl, alt, shift = (bool(self._keys & keys) for keys in (_CONTROL, _ALT, _SHIFT))
        action = server_action(event.keysym, ctrl=ctrl, alt=alt, shift=shift)
        if action is not None:
            reason = f"{action} acts on {self.customer}'s X server itself; it is not sent"
            told, self._told = self._told, reason
            return False, "" if told == reason else reason
        self._told = ""
        self._keys.add(event.keysym)
        return True, ""
