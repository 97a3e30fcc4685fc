"""Input injection behind one small interface: XTEST through python-xlib on X11.

The rep's peer sends characters where it has them (not its key codes), so
:meth:`XTestInput.type_text` finds the customer's own key for each one; a
character the customer's keyboard layout lacks is typed through a spare key
code, remapped for the moment, as ``xdotool`` does. A keysym the X server
would act on by itself (:func:`codec.server_action`: Terminate_Server, the
mouse keys) is never pressed, nor bound to a spare key code: the server's
rules would give that key the keysym's action.

An X server that goes away (it ended, or was ended) raises
:class:`DisplayGoneError` from every call, not Xlib's own error, so the
session ends sharing with a line instead of failing.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any, Protocol

from codec import server_action
from peer._capture import CaptureError
from peer._x11 import _open_display

if TYPE_CHECKING:
    from collections.abc import Iterator

log = logging.getLogger("helpline.peer")

__all__ = [
    "DisplayGoneError",
    "InputSink",
    "XTestInput",
    "char_keysym",
    "close_display",
    "display_alive",
]

#: Keysyms for the control characters typed text may hold.
_CONTROL_KEYSYMS = {"\n": 0xFF0D, "\r": 0xFF0D, "\t": 0xFF09, "\b": 0xFF08}
_SHIFT_L = 0xFFE1
#: Wheel steps become clicks of buttons 4-7, as X reports wheels.
_WHEEL_UP, _WHEEL_DOWN, _WHEEL_LEFT, _WHEEL_RIGHT = 4, 5, 6, 7


def char_keysym(char: str) -> int:
    """The X keysym that types *char* (Latin-1 keysyms equal the code point)."""
    if char in _CONTROL_KEYSYMS:
        return _CONTROL_KEYSYMS[char]
    code = ord(char)
    if 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xFF:
        return code
    return 0x01000000 | code


class DisplayGoneError(CaptureError):
    """The X server closed our connection: it ended, and the desktop with it."""


@contextmanager
def display_alive() -> Iterator[None]:
    """Turn a closed X connection into :class:`DisplayGoneError` inside the block."""
    from Xlib.error import ConnectionClosedError

    try:
        yield
    except (ConnectionClosedError, OSError) as e:
        log.info("the X connection closed: %s", e)
        raise DisplayGoneError("the X display closed; the programs on it are gone") from None


def close_display(display: Any) -> None:
    """Close an X connection, which flushes first: a dead server's is closed quietly."""
    with suppress(DisplayGoneError), display_alive():
        display.close()


class InputSink(Protocol):
    def move(self, x: int, y: int) -> None: ...
    def button(self, button: int, down: bool) -> None: ...
    def wheel(self, dx: int, dy: int) -> None: ...
    def key(self, keysym: int, down: bool) -> None: ...
    def type_text(self, text: str) -> None: ...
    def close(self) -> None: ...


class XTestInput:
    def __init__(self, display: str | None) -> None:
        from Xlib import X

        self._X = X
        self._display = _open_display(display)
        if not self._display.has_extension("XTEST"):
            from peer._capture import CaptureError

            raise CaptureError("the X server has no XTEST extension: input cannot be injected")
        self._scratch: dict[int, int] = {}
        self._free = self._free_keycodes()
        #: What the rep holds down now: released when control ends, so a revoke
        #: in the middle of a drag leaves no button or modifier stuck.
        self._buttons: set[int] = set()
        self._keys: set[int] = set()

    def close(self) -> None:
        try:
            with display_alive():
                for button in self._buttons:
                    self._fake(self._X.ButtonRelease, button)
                for keycode in self._keys:
                    self._fake(self._X.KeyRelease, keycode)
                self._display.sync()
        except DisplayGoneError:
            pass  # nothing is left to let up
        finally:
            close_display(self._display)

    def _fake(self, kind: int, detail: int = 0, **where: int) -> None:
        from Xlib.ext import xtest

        xtest.fake_input(self._display, kind, detail, **where)

    def move(self, x: int, y: int) -> None:
        with display_alive():
            self._fake(self._X.MotionNotify, x=x, y=y)
            self._display.sync()

    def button(self, button: int, down: bool) -> None:
        (self._buttons.add if down else self._buttons.discard)(button)
        with display_alive():
            self._fake(self._X.ButtonPress if down else self._X.ButtonRelease, button)
            self._display.sync()

    def wheel(self, dx: int, dy: int) -> None:
        with display_alive():
            for steps, negative, positive in (
                (dy, _WHEEL_UP, _WHEEL_DOWN),
                (dx, _WHEEL_LEFT, _WHEEL_RIGHT),
            ):
                for _ in range(abs(steps)):
                    button = positive if steps > 0 else negative
                    self._fake(self._X.ButtonPress, button)
                    self._fake(self._X.ButtonRelease, button)
            self._display.sync()

    def key(self, keysym: int, down: bool) -> None:
        if server_action(keysym, ctrl=False, alt=False, shift=False) is not None:
            return  # the rules refuse it first; this keeps it off every key code
        with display_alive():
            keycode = self._display.keysym_to_keycode(keysym) or self._remap(keysym)
            if keycode:
                (self._keys.add if down else self._keys.discard)(keycode)
                self._fake(self._X.KeyPress if down else self._X.KeyRelease, keycode)
                self._display.sync()

    def type_text(self, text: str) -> None:
        with display_alive():
            for char in text:
                self._type(char_keysym(char))
            self._display.sync()

    def _type(self, keysym: int) -> None:
        X = self._X
        codes = [(kc, index) for kc, index in self._display.keysym_to_keycodes(keysym) if index < 2]
        if codes:
            keycode, index = codes[0]
        else:
            keycode, index = self._remap(keysym), 0
        if not keycode:
            return
        shift = self._display.keysym_to_keycode(_SHIFT_L) if index == 1 else 0
        if shift:
            self._fake(X.KeyPress, shift)
        self._fake(X.KeyPress, keycode)
        self._fake(X.KeyRelease, keycode)
        if shift:
            self._fake(X.KeyRelease, shift)

    def _remap(self, keysym: int) -> int:
        """A spare key code that types *keysym* at every shift level (0: none spare)."""
        if keysym in self._scratch:
            return self._scratch[keysym]
        if not self._free:
            # Reuse the oldest: a long text in a foreign script cycles through them.
            oldest = next(iter(self._scratch))
            self._free.append(self._scratch.pop(oldest))
        if not self._free:
            return 0
        keycode = self._free.pop(0)
        self._display.change_keyboard_mapping(keycode, [(keysym, keysym, keysym, keysym)])
        self._display.sync()
        self._scratch[keysym] = keycode
        return keycode

    def _free_keycodes(self) -> list[int]:
        first = self._display.display.info.min_keycode
        last = self._display.display.info.max_keycode
        rows: list[Any] = self._display.get_keyboard_mapping(first, last - first + 1)
        return [first + i for i, row in enumerate(rows) if not any(row)][-8:]
