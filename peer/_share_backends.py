"""Which OS adapters sharing uses, in one replaceable bundle (tests pass fakes)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import trio

from codec import APPLICATION_ACTIVITIES, DEFAULT_POLICY, ProtocolError
from peer._app_window import X11AppWindow
from peer._capture import open_screen_source
from peer._clipboard import X11Clipboard
from peer._inject import XTestInput
from peer._share_events import ShareEvent, ShareNotice, ShareRejected
from peer._x11 import DamageWatcher, X11Windows

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from codec import Activity, Member, Message, Policy
    from peer._app_window import AppWindow
    from peer._capture import ScreenSource
    from peer._clipboard import ClipboardSink
    from peer._inject import InputSink
    from peer._x11 import ScreenChanges, WindowLookup

__all__ = ["Backends", "SharingSession", "SharingSide", "x11_backends"]

log = logging.getLogger("helpline.peer")


class SharingSession(Protocol):
    """The part of a session that sharing uses."""

    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...

    @property
    def members(self) -> dict[int, Member]: ...

    @property
    def controller(self) -> Member | None:
        """The controlling rep: the only one who may start an activity (SPEC M4, M5)."""

    @property
    def control_hooks(self) -> list[Callable[[str], Awaitable[None]]]:
        """Called with a reason the moment control moves (SPEC M5), before anything else."""

    async def send_message(self, to: int, message: Message) -> None: ...


@dataclass(frozen=True, slots=True)
class Backends:
    """Factories for the OS adapters; each raises :class:`peer._capture.CaptureError`."""

    open_screen: Callable[[], ScreenSource]
    open_changes: Callable[[], ScreenChanges]
    open_windows: Callable[[], WindowLookup]
    open_input: Callable[[], InputSink]
    open_clipboard: Callable[[], ClipboardSink]
    #: The one window a rep controls (control one application), by its X id.
    open_app_window: Callable[[int], AppWindow]


def x11_backends(display: str | None = None) -> Backends:
    """The real adapters, on *display* (default: ``$DISPLAY``)."""
    return Backends(
        open_screen=lambda: open_screen_source(display),
        open_changes=lambda: DamageWatcher(display),
        open_windows=lambda: X11Windows(display),
        open_input=lambda: XTestInput(display),
        open_clipboard=lambda: X11Clipboard(display),
        open_app_window=lambda window: X11AppWindow(display, window),
    )


class SharingSide:
    """What both sides share: the session, the adapters, the events for the face.

    A message that breaks a rule raises :class:`codec.ProtocolError` in
    :meth:`_receive`; :meth:`receive` drops it and reports it to the person.
    """

    def __init__(
        self, session: SharingSession, backends: Backends, *, policy: Policy = DEFAULT_POLICY
    ) -> None:
        self._session = session
        self._backends = backends
        #: The site policy (SPEC S6): an activity it turns off is neither asked nor allowed.
        self.policy = policy
        self._event_in, self.events = trio.open_memory_channel[ShareEvent](256)
        #: Called with the other side's id the moment a rep starts viewing or
        #: controlling one of the customer's applications (SPEC F3: files stop).
        self.application_hooks: list[Callable[[int], None]] = []
        # Activities end the moment control moves, whichever face runs this side.
        session.control_hooks.append(self.control_moved)

    async def control_moved(self, reason: str) -> None:
        """Control of the session moved (SPEC M5): every activity ends here, at once."""
        raise NotImplementedError

    async def receive(self, sender: Member, message: Message) -> None:
        try:
            await self._receive(sender, message)
        except ProtocolError as e:
            log.warning("dropped a sharing message from %s: %s", sender.name, e)
            await self._emit(ShareRejected(sender.name, str(e)))

    async def _receive(self, sender: Member, message: Message) -> None:
        raise NotImplementedError

    async def _send(self, to: int, message: Message) -> None:
        await self._session.send_message(to, message)

    def _application_shared(self, activity: Activity, peer: int) -> None:
        if activity in APPLICATION_ACTIVITIES:
            for hook in self.application_hooks:
                hook(peer)

    async def _emit(self, event: ShareEvent) -> None:
        await self._event_in.send(event)

    async def _notice(self, text: str) -> None:
        await self._emit(ShareNotice(text))

    async def tell(self, text: str) -> None:
        """A face's own line about sharing, shown in order after sharing's own lines."""
        await self._notice(text)
