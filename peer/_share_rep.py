"""The rep's side of sharing: ask, view, control, show, stop.

The rep's peer keeps a mirror :class:`codec.ConsentMachine` per customer,
fed only by that customer's own answers, so the viewer, the banner and the
input it forwards never claim more than the customer allowed. (The
customer's peer enforces it regardless; this side just does not pretend.)
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import trio

from codec import (
    DEFAULT_POLICY,
    Activity,
    ActivityStatus,
    ClipboardText,
    ConsentDeny,
    ConsentGrant,
    ConsentMachine,
    ConsentRequest,
    ConsentRevoke,
    ConsentState,
    CreditGrant,
    InputRefused,
    KeyInput,
    LocalProtocolError,
    MonitorList,
    Party,
    Permission,
    PointerButton,
    PointerMotion,
    PointerWheel,
    ProtocolError,
    Role,
    ScreenUpdate,
    ViewSelect,
)
from peer._capture import CaptureError
from peer._clipboard import ClipboardLink
from peer._errors import NotAllowedError, PeerError
from peer._nursery import open_task_nursery
from peer._screen_share import Region, ScreenSharer, ScreenView
from peer._share_backends import SharingSide
from peer._share_events import DENIED_HOW, ViewClosed, ViewOpened, denial, for_rep

if TYPE_CHECKING:
    from collections.abc import Callable

    from codec import Member, Message, Policy
    from peer._share_backends import Backends, SharingSession

__all__ = ["RepSharing"]

log = logging.getLogger("helpline.peer")

InputMessage = PointerMotion | PointerButton | PointerWheel | KeyInput
_VIEWING = (
    Activity.VIEW_DESKTOP,
    Activity.CONTROL_DESKTOP,
    Activity.VIEW_APP,
    Activity.CONTROL_APP,
)


class RepSharing(SharingSide):
    def __init__(
        self, session: SharingSession, backends: Backends, *, policy: Policy = DEFAULT_POLICY
    ) -> None:
        super().__init__(session, backends, policy=policy)
        self._machines: dict[int, ConsentMachine] = {}
        self._names: dict[int, str] = {}
        self.view: ScreenView | None = None
        self._view_of: int | None = None
        #: Customers whose screen was viewed: late frames from them are no attack.
        self._viewed: set[int] = set()
        #: Customers whose activities a transfer of control ended (SPEC M5): what
        #: they sent before they knew is dropped quietly, until this rep asks again.
        self._cut_off: set[int] = set()
        #: Told (customer, activity, "allowed" | "refused" | "revoked" | "could not share")
        #: for the history.
        self.on_consent: Callable[[str, str, str], None] | None = None
        self._detail = ""
        self.monitors: MonitorList | None = None
        self._monitor = 0
        self._lossy = False
        self._sharer: ScreenSharer | None = None
        self._show_scope: trio.CancelScope | None = None
        self._clipboard: ClipboardLink | None = None
        self._clipboard_scope: trio.CancelScope | None = None
        self._nursery: trio.Nursery | None = None

    # The rep's commands -------------------------------------------------------------

    async def ask(self, customer: Member, activity: Activity, title: str = "") -> None:
        if (refusal := self.policy.activity_refusal(activity)) is not None:
            raise NotAllowedError(refusal)  # asked of nobody: the site does not offer it
        self._cut_off.discard(customer.id)
        machine = self._machines.setdefault(customer.id, ConsentMachine(Party.REP))
        self._names[customer.id] = customer.name
        try:
            machine.request(activity, trio.current_time())
        except (ProtocolError, LocalProtocolError):
            raise NotAllowedError(
                f"{customer.name} has not answered the last request yet; wait, or /stop it"
            ) from None
        await self._send(customer.id, ConsentRequest(activity, self._session.id, title[:200]))
        await self._notice(f"Asked {customer.name} to allow: {for_rep(activity)}.")

    async def stop(self) -> None:
        stopped = False
        for cid, machine in self._machines.items():
            if machine.state is not ConsentState.NOTHING_SHARED:
                activity = machine.stop()
                if activity is not None:
                    await self._send(cid, ConsentRevoke(activity, self._session.id))
                await self._ended(cid)
                stopped = True
        await self._notice("Stopped: nothing is shared." if stopped else "Nothing is shared.")

    async def control_moved(self, reason: str) -> None:
        """Control of the session moved (SPEC M5): whatever this rep had ends here, at once.

        Nothing is sent: each customer's side ends its activities on the same
        word from the controlling rep, and a revoke would only cross its own.
        """
        ended = False
        for cid, machine in self._machines.items():
            if machine.state is not ConsentState.NOTHING_SHARED:
                machine.stop()
                await self._ended(cid)
                self._cut_off.add(cid)
                ended = True
        if ended:
            await self._notice(f"* Sharing ended: {reason}")

    async def end_all(self, reason: str) -> None:
        """Stop whatever is shared, saying why (the primary customer changed: SPEC M2)."""
        if any(m.state is not ConsentState.NOTHING_SHARED for m in self._machines.values()):
            for cid, machine in self._machines.items():
                if machine.state is not ConsentState.NOTHING_SHARED:
                    activity = machine.stop()
                    if activity is not None and cid in self._session.members:
                        await self._send(cid, ConsentRevoke(activity, self._session.id))
                    await self._ended(cid)
            await self._notice(f"* Sharing ended: {reason}")

    async def select(self, monitor: int | None = None, *, lossy: bool | None = None) -> None:
        cid = self._view_of
        if cid is None or self.view is None:
            raise NotAllowedError("no screen is being viewed; /view first")
        if monitor is not None:
            count = len(self.monitors.monitors) if self.monitors else 1
            if not 0 <= monitor <= count:
                raise PeerError(
                    f"{self._names[cid]} has {count} monitor(s); pick 1 to {count}, or all"
                )
            self._monitor = monitor
        if lossy is not None:
            self._lossy = lossy
        await self._send(cid, ViewSelect(self._monitor, self._lossy))

    async def restart_view(self) -> None:
        """After a drop (SPEC X3): ask the customer's side to start again from a full frame.

        Resumed channels deliver every update once and in order, so the
        picture is right either way; a fresh keyframe also resets the
        credit, which frames caught in the drop may have left short.
        """
        cid, view = self._view_of, self.view
        if cid is not None and view is not None:
            machine = self._machines.get(cid)
            if machine is not None and machine.permits(Permission.SEND_SCREEN):
                await self._send(cid, view.start())

    def want_monitor(self, monitor: int) -> None:
        """The monitor to ask for once the next view starts (0: all)."""
        self._monitor = monitor

    def snapshot(self, path: str) -> tuple[int, int]:
        if self.view is None:
            raise NotAllowedError("no screen is being viewed; /view first")
        return self.view.snapshot(Path(path).expanduser())

    def consent_machines(self) -> list[ConsentMachine]:
        """This rep's mirror of each customer's consent, for a face's buttons."""
        return list(self._machines.values())

    @property
    def control(self) -> bool:
        cid = self._view_of
        return cid is not None and self._machines[cid].permits(Permission.INJECT_INPUT)

    async def send_input(self, event: InputMessage) -> None:
        """The viewer's mouse and keyboard; dropped here unless control is granted."""
        if self._view_of is not None and self.control:
            await self._send(self._view_of, event)

    def status(self) -> str:
        parts = []
        for cid, machine in self._machines.items():
            name = self._names[cid]
            if machine.active is not None:
                control = "control on" if machine.permits(Permission.INJECT_INPUT) else "view only"
                plain = for_rep(machine.active).split(" (")[0]  # "(control on)" says the rest
                what = plain + (f" “{self._detail}”" if self._detail else "")
                parts.append(f"{name}: you may {what} ({control})")
            if machine.asked is not None:
                parts.append(f"{name}: asked to {for_rep(machine.asked)}, no answer yet")
        return "; ".join(parts) or "Nothing is shared."

    # The task ----------------------------------------------------------------------

    async def run(self) -> None:
        async with open_task_nursery() as nursery:
            self._nursery = nursery
            await trio.sleep_forever()

    # Messages ----------------------------------------------------------------------

    async def _receive(self, sender: Member, message: Message) -> None:
        machine = self._machines.get(sender.id)
        if sender.id in self._cut_off:
            log.info("dropped %s from %s: sent before control moved", type(message), sender.name)
            return
        answers = ConsentGrant | ConsentDeny | ConsentRevoke | ActivityStatus
        if isinstance(message, answers) and (
            sender.role is not Role.CUSTOMER or machine is None or message.rep != self._session.id
        ):
            raise ProtocolError("an answer from someone this rep did not ask")
        if isinstance(message, ConsentGrant):
            assert machine is not None
            machine.grant(message.activity)
            self._application_shared(message.activity, sender.id)
            self._consent(sender, message.activity.value, "allowed")
            await self._granted(sender, message)
        elif isinstance(message, ConsentDeny):
            assert machine is not None
            machine.deny(message.activity)
            self._consent(sender, message.activity.value, DENIED_HOW[message.cause])
            await self._notice(denial(sender.name, message))
        elif isinstance(message, ConsentRevoke):
            assert machine is not None
            self._consent(sender, message.activity.value, "revoked")
            machine.revoke()
            await self._ended(sender.id)
            await self._notice(f"* {sender.name} stopped sharing: nothing is shared.")
        elif isinstance(message, ActivityStatus):
            assert machine is not None
            await self._on_status(sender, machine, message)
        elif isinstance(message, ScreenUpdate):
            if machine is not None and machine.active is None and sender.id in self._viewed:
                return  # frames already on the wire when the view ended
            if machine is None or not machine.permits(Permission.SEND_SCREEN) or self.view is None:
                raise ProtocolError("a screen update nobody agreed to")
            credit = self.view.feed(message.data)
            if credit is not None:
                await self._send(sender.id, credit)
        elif isinstance(message, MonitorList):
            if machine is None or machine.active not in _VIEWING:
                raise ProtocolError("a monitor list outside viewing")
            self.monitors = message
            listing = ", ".join(
                f"{n}: {m.width}x{m.height}" for n, m in enumerate(message.monitors, 1)
            )
            await self._notice(f"{sender.name}'s monitors: {listing} (/view --monitor N|all)")
        elif isinstance(message, ClipboardText):
            if machine is None or not machine.permits(Permission.CLIPBOARD):
                raise ProtocolError("clipboard text outside control")
            if self._clipboard is not None:
                self._clipboard.receive(message.text)
        elif isinstance(message, InputRefused):
            if machine is None or sender.role is not Role.CUSTOMER:
                raise ProtocolError("word on input from someone this rep does not control")
            if machine.permits(Permission.INJECT_INPUT):  # else it crossed our stop: moot
                await self._notice(f"! {message.reason}")
        elif isinstance(message, CreditGrant):
            if (
                machine is None
                or machine.active is not Activity.SHOW_REP_DESKTOP
                or self._sharer is None
            ):
                raise ProtocolError("screen credit for a desktop nobody is showing")
            self._sharer.grant(sender.id, message)
        else:
            raise ProtocolError(f"a {type(message).__name__} is not for the rep to receive")

    def _consent(self, customer: Member, activity: str, how: str) -> None:
        if self.on_consent is not None:
            self.on_consent(customer.name, activity, how)

    async def _on_status(
        self, customer: Member, machine: ConsentMachine, status: ActivityStatus
    ) -> None:
        """The customer's word on what is on: it wins over what this side believed."""
        if status.activity is None and machine.active is not None:
            self._consent(customer, machine.active.value, "revoked")
            machine.revoke()
            await self._ended(customer.id)
            await self._notice(f"* {customer.name} stopped sharing: nothing is shared.")
        elif status.activity is not None and status.activity is not machine.active:
            raise ProtocolError(f"a status naming {status.activity.value}, which was not granted")
        elif status.detail:
            self._detail = status.detail

    async def _granted(self, customer: Member, grant: ConsentGrant) -> None:
        self._detail = grant.detail
        if grant.activity is Activity.SHOW_REP_DESKTOP:
            await self._start_showing(customer)
            await self._notice(f"* {customer.name} allowed: you are showing your desktop.")
            return
        if self.view is None or self._view_of != customer.id:
            self.view = ScreenView()
            self._view_of = customer.id
            self._viewed.add(customer.id)
            await self._send(customer.id, self.view.start())
            if self._monitor or self._lossy:
                await self._send(customer.id, ViewSelect(self._monitor, self._lossy))
        control = self._machines[customer.id].permits(Permission.INJECT_INPUT)
        if self._machines[customer.id].permits(Permission.CLIPBOARD):
            await self._start_clipboard(customer.id)
        what = (
            "desktop"
            if grant.activity in (Activity.VIEW_DESKTOP, Activity.CONTROL_DESKTOP)
            else f"“{grant.detail}”"
        )
        banner = f"{customer.name}'s {what} — {'control on' if control else 'view only'}"
        await self._emit(ViewOpened(self.view, banner, control))
        await self._notice(f"* {customer.name} allowed you to {for_rep(grant.activity)}. {banner}")

    async def _start_clipboard(self, cid: int) -> None:
        """The rep's own clipboard joined to the customer's while control lasts."""
        if self._clipboard is not None:
            return
        assert self._nursery is not None
        try:
            clipboard = self._backends.open_clipboard()
        except CaptureError:
            return  # no display here: nothing to copy from or paste into

        def allowed() -> bool:
            return self._machines[cid].permits(Permission.CLIPBOARD)

        async def send(text: str) -> None:
            await self._send(cid, ClipboardText(text))

        self._clipboard = link = ClipboardLink(clipboard, send, allowed)
        self._clipboard_scope = scope = trio.CancelScope()

        async def run() -> None:
            with scope:
                await link.run()

        self._nursery.start_soon(run)

    async def _start_showing(self, customer: Member) -> None:
        assert self._nursery is not None
        try:
            source = self._backends.open_screen()
            changes = self._backends.open_changes()
        except CaptureError as e:
            await self._notice(f"! Cannot show your desktop: {e}")
            machine = self._machines[customer.id]
            machine.stop()
            await self._send(
                customer.id, ConsentRevoke(Activity.SHOW_REP_DESKTOP, self._session.id)
            )
            return

        def allowed(cid: int) -> bool:
            return self._machines[cid].permits(Permission.RECEIVE_REP_SCREEN)

        self._sharer = ScreenSharer(source, changes, self._send, allowed, region=Region())
        self._sharer.add_viewer(customer.id)
        self._show_scope = scope = trio.CancelScope()

        async def show() -> None:
            try:
                with scope:
                    assert self._sharer is not None
                    await self._sharer.run()
            finally:
                source.close()
                changes.close()

        self._nursery.start_soon(show)

    async def _ended(self, cid: int) -> None:
        if self._clipboard_scope is not None:
            self._clipboard_scope.cancel()
            self._clipboard, self._clipboard_scope = None, None
        if self._view_of == cid and self.view is not None:
            view = self.view
            self.view, self._view_of, self.monitors, self._detail = None, None, None, ""
            self._monitor = 0
            await self._emit(ViewClosed(view))
        if self._show_scope is not None:
            self._show_scope.cancel()
            self._sharer, self._show_scope = None, None
