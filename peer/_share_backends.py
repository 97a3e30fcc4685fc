"""Which OS adapters sharing uses, in one replaceable bundle (tests pass fakes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from peer._capture import open_screen_source
from peer._inject import XTestInput
from peer._x11 import DamageWatcher, X11Windows

if TYPE_CHECKING:
    from collections.abc import Callable

    from codec import Message
    from peer._capture import ScreenSource
    from peer._inject import InputSink
    from peer._x11 import ScreenChanges, WindowLookup

__all__ = ["Backends", "SharingSession", "x11_backends"]


class SharingSession(Protocol):
    """The part of a session that sharing uses."""

    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...

    async def send_message(self, to: int, message: Message) -> None: ...


@dataclass(frozen=True, slots=True)
class Backends:
    """Factories for the OS adapters; each raises :class:`peer._capture.CaptureError`."""

    open_screen: Callable[[], ScreenSource]
    open_changes: Callable[[], ScreenChanges]
    open_windows: Callable[[], WindowLookup]
    open_input: Callable[[], InputSink]


def x11_backends(display: str | None = None) -> Backends:
    """The real adapters, on *display* (default: ``$DISPLAY``)."""
    return Backends(
        open_screen=lambda: open_screen_source(display),
        open_changes=lambda: DamageWatcher(display),
        open_windows=lambda: X11Windows(display),
        open_input=lambda: XTestInput(display),
    )
