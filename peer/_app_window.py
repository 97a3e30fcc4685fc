"""The shared window as input sees it: where it is, what covers it, whether it has the keys.

While a rep controls one application (SPEC R1), the customer's peer asks
this before each injected event (:mod:`peer._app_input` applies the rules
of :class:`codec.ApplicationInput`). It asks the X server afresh every time
and only what the event needs: for a key, one focus query and the walk up
from the focused window, and whether a desktop hotkey holds the key; for a
pointer event, the window's box and the top-level windows stacked above its
own, and for a press whether a desktop mouse binding holds the button. A
window that went away reads as no window, so nothing goes in.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from peer._capture import Box
from peer._inject import char_keysym, close_display
from peer._x11 import _open_display

__all__ = ["AppWindow", "X11AppWindow"]

log = logging.getLogger("helpline.peer")

#: Shift, Lock, Control and Mod1-Mod5 in a pointer query's state (buttons are above).
_MODIFIER_BITS = 0xFF
#: ``_NET_ACTIVE_WINDOW``'s source indication for a pager or other tool acting for the user.
_SOURCE_PAGER = 2


class AppWindow(Protocol):
    def activate(self) -> None:
        """Raise the window and give it the keyboard focus."""

    def focused(self) -> bool:
        """True while the keyboard focus is the window or a window inside it."""

    def geometry(self) -> tuple[Box, list[Box]] | None:
        """Where the window is and the boxes stacked above it; None once it is gone."""

    def claimed(self, keysym: int) -> bool:
        """True when a desktop hotkey holds *keysym* with the modifiers down now."""

    def claimed_text(self, text: str) -> bool:
        """True when a desktop hotkey holds the key of a character of *text*, as typed."""

    def claimed_button(self, button: int) -> bool:
        """True when a desktop mouse binding holds *button* with the modifiers down now."""

    def same_program(self, window_id: int) -> bool:
        """True when *window_id* belongs to the program whose window this is."""

    def close(self) -> None: ...


class X11AppWindow:
    def __init__(self, display: str | None, window_id: int) -> None:
        self._display = _open_display(display)
        self._root = self._display.screen().root
        self._window = self._display.create_resource_object("window", window_id)

    def close(self) -> None:
        close_display(self._display)

    def activate(self) -> None:
        from Xlib import X
        from Xlib.error import CatchError, XError
        from Xlib.protocol import event

        catch = CatchError()
        try:
            if self._managed():
                # Under a window manager only it raises and focuses (ICCCM); ask it.
                active = self._display.intern_atom("_NET_ACTIVE_WINDOW")
                message = event.ClientMessage(
                    window=self._window,
                    client_type=active,
                    data=(32, [_SOURCE_PAGER, X.CurrentTime, 0, 0, 0]),
                )
                mask = X.SubstructureRedirectMask | X.SubstructureNotifyMask
                self._root.send_event(message, event_mask=mask, onerror=catch)
            else:
                top = self._top()
                if top is not None:
                    top.configure(stack_mode=X.Above, onerror=catch)
                if not self.focused():  # where it has it already, it keeps its own choice
                    self._window.set_input_focus(X.RevertToParent, X.CurrentTime, onerror=catch)
            self._display.sync()
        except XError as e:
            log.info("could not raise the shared window: %s", e)
        if catch.get_error() is not None:
            log.info("could not raise the shared window: %s", catch.get_error())

    def focused(self) -> bool:
        from Xlib.error import XError

        try:
            window = self._display.get_input_focus().focus
            # X.PointerRoot and X.NONE come as numbers: the keys follow the pointer, or go nowhere.
            while not isinstance(window, int) and window.id != self._root.id:
                if window.id == self._window.id:
                    return True
                window = window.query_tree().parent
        except XError:
            return False
        return False

    def claimed(self, keysym: int) -> bool:
        return self._grabbed(self._display.keysym_to_keycode(keysym), shift=False)

    def claimed_text(self, text: str) -> bool:
        # Each character goes in as XTestInput types it: its key code at level 1 or 2,
        # Shift added for level 2, with whatever the rep holds still down.
        for char in text:
            codes = self._display.keysym_to_keycodes(char_keysym(char))
            found = next(((code, level) for code, level in codes if level < 2), None)
            if found is not None and self._grabbed(found[0], shift=found[1] == 1):
                return True
        return False

    def claimed_button(self, button: int) -> bool:
        # A press goes first to a passive grab on the root, then on the window
        # manager's frame: a mouse binding of the desktop or of the manager.
        from Xlib import X
        from Xlib.error import BadAccess, CatchError, XError

        try:
            modifiers = self._root.query_pointer().mask & _MODIFIER_BITS
            top = self._top()
            holders = [self._root] + (
                [top] if top is not None and top.id != self._window.id else []
            )
            for holder in holders:
                catch = CatchError(BadAccess)
                mode, mask = X.GrabModeAsync, X.ButtonPressMask
                holder.grab_button(
                    button, modifiers, False, mask, mode, mode, X.NONE, X.NONE, onerror=catch
                )
                self._display.sync()
                if catch.get_error() is not None:
                    return True
                holder.ungrab_button(button, modifiers)
                self._display.sync()  # before the press goes in through another connection
        except XError:
            return True  # in doubt, the press stays out
        return False

    def same_program(self, window_id: int) -> bool:
        # The X server gives each client's resources ids that differ only in the
        # bits of resource_id_mask: the bits above name the client (the program).
        mask = self._display.display.info.resource_id_mask
        return bool(window_id) and (window_id & ~mask) == (self._window.id & ~mask)

    def _grabbed(self, keycode: int, *, shift: bool) -> bool:
        # A desktop hotkey is a passive grab on the root window. Asking for the same
        # grab fails (BadAccess) exactly when pressing the key would set it off.
        from Xlib import X
        from Xlib.error import BadAccess, CatchError, XError

        if not keycode:
            return False  # typed through a spare key code nobody can have grabbed
        catch = CatchError(BadAccess)
        try:
            modifiers = self._root.query_pointer().mask & _MODIFIER_BITS
            if shift:
                modifiers |= X.ShiftMask
            mode = X.GrabModeAsync
            self._root.grab_key(keycode, modifiers, False, mode, mode, onerror=catch)
            self._display.sync()
            if catch.get_error() is not None:
                return True
            self._root.ungrab_key(keycode, modifiers)
            # Synced: the key goes in through another connection, and until the server
            # has done this, the press would come to our own grab instead.
            self._display.sync()
        except XError:
            return True  # in doubt, the key stays out
        return False

    def geometry(self) -> tuple[Box, list[Box]] | None:
        from Xlib import X
        from Xlib.error import XError

        try:
            size = self._window.get_geometry()
            origin = self._window.translate_coords(self._root, 0, 0)
            top = self._top()
            if top is None:
                return None
            stack = self._root.query_tree().children
            at = next(i for i, w in enumerate(stack) if w.id == top.id)
            above = []
            for window in stack[at + 1 :]:
                if window.get_attributes().map_state != X.IsViewable:
                    continue
                g = window.get_geometry()
                border = 2 * g.border_width
                above.append(Box(g.x, g.y, g.width + border, g.height + border))
        except (XError, StopIteration):
            return None
        return Box(-origin.x, -origin.y, size.width, size.height), above

    def _top(self) -> Any:
        """The window's top-level ancestor (its manager's frame, or itself); None if gone."""
        window = self._window
        while True:
            parent = window.query_tree().parent
            if not parent or parent.id == 0:
                return None
            if parent.id == self._root.id:
                return window
            window = parent

    def _managed(self) -> bool:
        from Xlib import X

        check = self._display.intern_atom("_NET_SUPPORTING_WM_CHECK")
        prop = self._root.get_full_property(check, X.AnyPropertyType)
        return prop is not None and bool(prop.value)
