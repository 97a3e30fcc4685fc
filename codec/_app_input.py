"""What the rep's input may do while the customer lets it control one application.

Theory of operation. "Control one application" (``control-app``) must not
become control of the desktop. The customer's peer asks
:class:`ApplicationInput` before it injects each of the rep's events, and
tells it what the X server says at that moment: for a key, whether the
keyboard focus is in the shared window (or a window inside it); for a
pointer event, where the shared window is now and which windows are
stacked above it. The rules:

- A key goes in only while the focus is in the shared window: X sends a
  key to whatever window has the focus, so a key typed while the customer's
  terminal has it would run there.
- Keys that act on the desktop, not on the application, never go in: the
  Super, Meta and Hyper keys (and with them every Super combination), any
  key while Ctrl and Alt are both held (Ctrl+Alt+T opens a terminal,
  Ctrl+Alt+Del logs out, Ctrl+Alt+F1 switches to a text console), Alt with
  Tab, Escape, space, grave or F1-F12 except F4 (switch windows, the
  window menu, the run dialog), Ctrl+Escape (the start menu), Print
  (the desktop's screenshot tool) and the vendor keys (``XF86*``: launchers,
  sleep, power, console switches).
- A key another program holds for the whole desktop (a hotkey: a passive
  grab on the root window, with the modifiers held now) never goes in
  either: the customer's peer asks the X server whether it is *claimed*,
  for typed text each character's key.
- Text never goes in while the rep holds Ctrl or Alt: it is typed with the
  character's own key, the held modifier still down, so Ctrl held and "q"
  typed is Ctrl+Q, a shortcut the key rules above would have judged. The
  rep's viewer sends no text with those held; only a forged event does.
- A key the X server acts on by itself (:func:`codec.server_action`: mouse
  keys, accessibility switches, Terminate_Server) never goes in, and nor
  does any key outside those an application gets from the rep's viewer:
  characters, the function, cursor, editing and modifier keys, AltGr and
  Enter on the keypad. The keypad's other keys, and F25-F35, are the X
  server's mouse keys while the customer has those on; the viewer sends
  the keypad's digits as text.
- Alt+F4 goes in: it closes the focused window, which the focus rule makes
  the shared one, as its own Quit would. The window manager's frame (title
  bar, close button) stays out of reach: it is outside the window's box.
- A click, a wheel step or a move goes in only where the point is inside
  the shared window and under no window stacked above it: there the
  customer's screen shows another application, which the rep's picture
  blanks.
- A click or a wheel step never goes in while the rep holds Alt (window
  managers move and resize windows with Alt and the mouse), nor where
  another program holds that button with the modifiers held now for the
  whole desktop (a mouse binding: a passive grab on the root window, which
  the customer's peer asks the X server about, as for keys).
- What the rep holds down (a key, a button) is let up even where a new
  press would be dropped, so nothing stays stuck; a release of something
  never pressed here is dropped.

A dropped event is reported to the rep once for each reason, until an event
of the same kind (key or pointer) goes in again; a dropped move is never
reported (the pointer passes over covered parts all the time).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from codec._server_keys import server_action
from codec._share_messages import KeyInput, PointerButton, PointerMotion, PointerWheel

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["ApplicationInput", "InputDecision", "InputVerdict", "Rect", "desktop_shortcut"]

_CONTROL = frozenset({0xFFE3, 0xFFE4})
_ALT = frozenset({0xFFE9, 0xFFEA})
#: Meta, Super and Hyper (left and right): the desktop's own modifiers.
_DESKTOP_MODIFIERS = frozenset({0xFFE7, 0xFFE8, 0xFFEB, 0xFFEC, 0xFFED, 0xFFEE})
_MODIFIERS = _CONTROL | _ALT | frozenset({0xFFE1, 0xFFE2, 0xFFE5, 0xFE03, 0xFF7E})
_TAB, _LEFT_TAB, _ESCAPE, _SPACE, _GRAVE = 0xFF09, 0xFE20, 0xFF1B, 0x20, 0x60
_F1, _F4, _F12 = 0xFFBE, 0xFFC1, 0xFFC9
_PRINT, _SYS_REQ = 0xFF61, 0xFF15
#: XF86 vendor keysyms: console switches (0x1008FE01-) and media, launcher, power keys.
_VENDOR = range(0x1008FE00, 0x1008FFFF + 1)
#: The keysym a character of typed text stands for, where it differs from its code point.
_CHAR_KEYSYMS = {"\t": _TAB, "\n": 0xFF0D, "\r": 0xFF0D, "\b": 0xFF08, "\x1b": _ESCAPE}
_SHIFT = frozenset({0xFFE1, 0xFFE2})
_HELD = ((_CONTROL, "Ctrl"), (_ALT, "Alt"), (_SHIFT, "Shift"))
#: Keys without a character the rep's viewer sends (and an application may get):
#: BackSpace, Tab, Linefeed, Clear, Return, Pause, Scroll Lock, Escape, Delete, the
#: cursor and editing keys, Mode_switch, Num Lock, keypad Enter, F1-F24, the
#: modifiers, AltGr and ISO_Left_Tab.
_APPLICATION_KEYS = (
    frozenset({0xFF08, 0xFF09, 0xFF0A, 0xFF0B, 0xFF0D, 0xFF13, 0xFF14, 0xFF1B, 0xFFFF})
    | frozenset(range(0xFF50, 0xFF58 + 1))
    | frozenset(range(0xFF60, 0xFF6B + 1))
    | frozenset({0xFF7E, 0xFF7F, 0xFF8D, 0xFE03, _LEFT_TAB})
    | frozenset(range(_F1, _F1 + 24))
    | frozenset(range(0xFFE1, 0xFFEE + 1))
)
_BUTTONS = {1: "click", 2: "middle click", 3: "right click"}
_NAMES = {
    _TAB: "Tab", _LEFT_TAB: "Tab", _ESCAPE: "Esc", _SPACE: "Space", _GRAVE: "`",
    0xFFFF: "Del", 0xFF08: "Backspace", 0xFF0D: "Enter",
    0xFF51: "Left", 0xFF52: "Up", 0xFF53: "Right", 0xFF54: "Down",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Rect:
    """A rectangle of the customer's screen."""

    x: int
    y: int
    width: int
    height: int

    def contains(self, x: int, y: int) -> bool:
        return self.x <= x < self.x + self.width and self.y <= y < self.y + self.height


class InputVerdict(Enum):
    #: Inject the event as it came (a pointer event at :attr:`InputDecision.point`).
    INJECT = "inject"
    #: Let a held key or button up where the pointer is now; move nothing.
    RELEASE = "release"
    DROP = "drop"


@dataclass(frozen=True, slots=True)
class InputDecision:
    verdict: InputVerdict
    #: Where on the screen a pointer event goes (None for keys).
    point: tuple[int, int] | None = None
    #: A line for the rep when this drop is the first for its reason ("" otherwise).
    notice: str = ""


def _key_name(keysym: int) -> str:
    if keysym in _NAMES:
        return _NAMES[keysym]
    if _F1 <= keysym <= _F12 + 23:
        return f"F{keysym - _F1 + 1}"
    if 0x21 <= keysym <= 0x7E:
        return chr(keysym).upper()
    return f"key {keysym:#x}"


def _application_key(keysym: int) -> bool:
    """True for a keysym an application gets from the rep's viewer (a character or a plain key)."""
    return (
        0x20 <= keysym <= 0x7E
        or 0xA0 <= keysym <= 0xFF
        or 0x01000000 <= keysym <= 0x0110FFFF  # Unicode characters
        or keysym in _APPLICATION_KEYS
    )


def desktop_shortcut(keysym: int, *, ctrl: bool, alt: bool) -> str | None:
    """The name of the desktop's shortcut *keysym* makes with the modifiers held, or None."""
    if keysym in _DESKTOP_MODIFIERS:
        return "the Super key"
    if keysym in _VENDOR:
        return "a desktop key (launcher, power or console)"
    if keysym in (_PRINT, _SYS_REQ):
        return "Print Screen"
    if keysym in _MODIFIERS:
        return None
    if ctrl and alt:
        return f"Ctrl+Alt+{_key_name(keysym)}"
    if alt and (
        keysym in (_TAB, _LEFT_TAB, _ESCAPE, _SPACE, _GRAVE)
        or (_F1 <= keysym <= _F12 and keysym != _F4)
    ):
        return f"Alt+{_key_name(keysym)}"
    if ctrl and keysym == _ESCAPE:
        return "Ctrl+Esc"
    return None


@dataclass(slots=True)
class _Told:
    """The reason last reported to the rep for one kind of input, until one goes in."""

    reason: str = ""

    def tell(self, reason: str) -> str:
        if reason == self.reason:
            return ""
        self.reason = reason
        return reason


@dataclass(slots=True)
class ApplicationInput:
    """One rep's input into one shared window (*title*) on *customer*'s screen."""

    customer: str
    title: str
    #: Keysyms the rep pressed here and has not let up yet.
    _keys: set[int] = field(default_factory=set, init=False)
    _buttons: set[int] = field(default_factory=set, init=False)
    _keys_told: _Told = field(default_factory=_Told, init=False)
    _pointer_told: _Told = field(default_factory=_Told, init=False)

    def key(self, event: KeyInput, *, focused: bool, claimed: bool = False) -> InputDecision:
        """May *event* go in, the focus being in the shared window or not?

        *claimed*: another program holds this key, with the modifiers held
        now, as a shortcut for the whole desktop.
        """
        if not event.down:
            if event.text or event.keysym not in self._keys:
                return InputDecision(InputVerdict.DROP)
            self._keys.discard(event.keysym)
            return InputDecision(InputVerdict.RELEASE)
        ctrl, alt = bool(self._keys & _CONTROL), bool(self._keys & _ALT)
        shift = bool(self._keys & _SHIFT)
        pressed = (
            [_CHAR_KEYSYMS.get(c, ord(c)) for c in event.text] if event.text else [event.keysym]
        )
        for keysym in pressed:
            shortcut = server_action(keysym, ctrl=ctrl, alt=alt, shift=shift)
            if shortcut is None:
                shortcut = desktop_shortcut(keysym, ctrl=ctrl, alt=alt)
            if shortcut is not None:
                why = f"{shortcut} acts on {self.customer}'s desktop, not on “{self.title}”"
                return self._drop(self._keys_told, f"{why}; it is not sent")
        if not event.text and not _application_key(event.keysym):
            why = f"{_key_name(event.keysym)} is not a key of an application"
            return self._drop(self._keys_told, f"{why}; it is not sent to “{self.title}”")
        if event.text and (ctrl or alt):
            held = "Ctrl" if ctrl else "Alt"
            why = f"text typed while {held} is held would go in as {held} shortcuts"
            return self._drop(self._keys_told, f"{why}; it is not sent")
        if not focused:
            why = f"{self.customer}'s focus is on another window; keys are not sent"
            return self._drop(self._keys_told, why)
        if claimed:
            held = "".join(f"{name}+" for keys, name in _HELD if self._keys & keys)
            why = f"{held}{_key_name(pressed[0])} is a shortcut of {self.customer}'s desktop"
            return self._drop(self._keys_told, f"{why}, not of “{self.title}”; it is not sent")
        self._keys_told.reason = ""
        if not event.text:
            self._keys.add(event.keysym)
        return InputDecision(InputVerdict.INJECT)

    def pointer(
        self,
        event: PointerMotion | PointerButton | PointerWheel,
        *,
        origin: tuple[int, int],
        window: Rect | None,
        covering: Sequence[Rect],
        claimed: bool = False,
    ) -> InputDecision:
        """May *event* go in? *origin* is the screen point of the rep's picture's corner.

        *window* is where the shared window is now (None once it is gone) and
        *covering* the boxes of the windows stacked above it. *claimed*: another
        program holds this button (a wheel step's), with the modifiers held now,
        as a mouse binding for the whole desktop.
        """
        point = (origin[0] + event.x, origin[1] + event.y)
        why = ""
        if window is None or not window.contains(*point):
            why = f"that point is outside “{self.title}”; clicks there are not sent"
        elif any(box.contains(*point) for box in covering):
            why = f"another window covers that part of “{self.title}”; clicks there are not sent"
        if isinstance(event, PointerButton) and not event.down:
            if event.button not in self._buttons:
                return InputDecision(InputVerdict.DROP)
            self._buttons.discard(event.button)
            return InputDecision(InputVerdict.RELEASE if why else InputVerdict.INJECT, point)
        if not why and not isinstance(event, PointerMotion):
            what = _BUTTONS.get(event.button, "button") if isinstance(event, PointerButton) else ""
            what = what or "wheel"
            held = "".join(f"{name}+" for keys, name in _HELD if self._keys & keys)
            if self._keys & _ALT:
                why = (
                    f"Alt+{what} is the window manager's on {self.customer}'s desktop"
                    f" (it moves and resizes windows); it is not sent"
                )
            elif claimed:
                why = (
                    f"{held}{what} is a mouse binding of {self.customer}'s desktop,"
                    f" not of “{self.title}”; it is not sent"
                )
        if why:
            if isinstance(event, PointerMotion):
                return InputDecision(InputVerdict.DROP)
            return self._drop(self._pointer_told, why)
        self._pointer_told.reason = ""
        if isinstance(event, PointerButton):
            self._buttons.add(event.button)
        return InputDecision(InputVerdict.INJECT, point)

    @staticmethod
    def _drop(told: _Told, reason: str) -> InputDecision:
        return InputDecision(InputVerdict.DROP, notice=told.tell(reason))
