"""Putting the rep's input into the customer's X session: the whole desktop or one window.

:func:`inject` plays one event into an :class:`~peer._inject.InputSink`.
:class:`ConfinedInput` is the same for a rep that controls one application:
before each event it asks the X server about the shared window
(:class:`~peer._app_window.AppWindow`) and :class:`codec.ApplicationInput`
whether the event may go in, and returns what to tell the rep when it may
not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import trio

from codec import ApplicationInput, InputVerdict, KeyInput, PointerButton, PointerWheel, Rect
from peer._inject import display_alive

if TYPE_CHECKING:
    from codec import PointerMotion
    from peer._app_window import AppWindow
    from peer._capture import Box
    from peer._inject import InputSink

    InputEvent = PointerMotion | PointerButton | PointerWheel | KeyInput

__all__ = ["ACTIVATE_WAIT", "ConfinedInput", "inject"]

#: Seconds the grant waits for the window manager to focus the shared window.
ACTIVATE_WAIT = 1.0


def inject(sink: InputSink, event: InputEvent, point: tuple[int, int] | None) -> None:
    """Play *event* into *sink*; a pointer event moves to *point* first (None: stays)."""
    if isinstance(event, KeyInput):
        if event.text:
            if event.down:
                sink.type_text(event.text)
        else:
            sink.key(event.keysym, event.down)
        return
    if point is not None:
        sink.move(*point)
    if isinstance(event, PointerButton):
        sink.button(event.button, event.down)
    elif isinstance(event, PointerWheel):
        sink.wheel(event.dx, event.dy)


def _pressed(event: InputEvent) -> list[int]:
    """The X buttons *event* presses (a wheel step is a click of buttons 4-7)."""
    if isinstance(event, PointerButton):
        return [event.button] if event.down else []
    if isinstance(event, PointerWheel):
        return [
            b
            for steps, b in ((event.dy, 5), (-event.dy, 4), (event.dx, 7), (-event.dx, 6))
            if steps > 0
        ]
    return []


def _rect(box: Box) -> Rect:
    return Rect(box.x, box.y, box.width, box.height)


class ConfinedInput:
    """One rep's input into one shared window (SPEC R1, control one application)."""

    def __init__(self, window: AppWindow, customer: str, title: str) -> None:
        self._window = window
        self._rules = ApplicationInput(customer, title)

    async def activate(self) -> None:
        """On the grant: the window comes to the front with the keyboard focus.

        A window manager does it in its own time; the first keys wait for it
        a moment instead of being dropped for want of the focus.
        """
        self._window.activate()
        with trio.move_on_after(ACTIVATE_WAIT):
            while not self._window.focused():  # noqa: ASYNC110 - the X server's state, no event
                await trio.sleep(0.02)

    def inject(self, sink: InputSink, event: InputEvent, origin: Box) -> str:
        """Play *event* if the rules allow it now; what to tell the rep ("" for nothing).

        Raises :class:`~peer._inject.DisplayGoneError` once the X server is gone.
        """
        with display_alive():
            return self._inject(sink, event, origin)

    def _inject(self, sink: InputSink, event: InputEvent, origin: Box) -> str:
        if isinstance(event, KeyInput):
            focused = event.down and self._window.focused()
            claimed = focused and (
                self._window.claimed_text(event.text)
                if event.text
                else self._window.claimed(event.keysym)
            )
            decision = self._rules.key(event, focused=focused, claimed=claimed)
        else:
            found = self._window.geometry()
            window, covering = found if found is not None else (None, [])
            decision = self._rules.pointer(
                event,
                origin=(origin.x, origin.y),
                window=_rect(window) if window is not None else None,
                covering=[_rect(box) for box in covering],
                claimed=any(self._window.claimed_button(b) for b in _pressed(event)),
            )
        if decision.verdict is InputVerdict.INJECT:
            inject(sink, event, decision.point)
        elif decision.verdict is InputVerdict.RELEASE:
            inject(sink, event, None)
        return decision.notice

    def copied_here(self, window_id: int) -> bool:
        """True when a copy whose owner is *window_id* was made in the shared application."""
        return self._window.same_program(window_id)

    def close(self) -> None:
        self._window.close()
