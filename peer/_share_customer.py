"""The customer's side of sharing: consent decides, then capture and input follow.

Every rep the customer deals with has a :class:`codec.ConsentMachine` here.
A rep's request becomes a question for the person (:class:`ConsentAsked`);
their next typed line answers it, and waiting never says yes. Before every
capture, every injected event and every screen credit the machine is asked
again, so a message from a rep without a current grant (a patched peer
included) is dropped and reported, never acted on. A revoke cancels the
capture task's scope at once.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import trio

from codec import (
    DEFAULT_POLICY,
    DEFAULT_REASK_DELAY,
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
    DenyCause,
    DesktopInput,
    InputRefused,
    KeyInput,
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
from peer._app_input import ConfinedInput, inject
from peer._capture import CaptureError, NoScreenError
from peer._clipboard import ClipboardLink
from peer._errors import PeerError
from peer._inject import DisplayGoneError
from peer._nursery import open_task_nursery
from peer._screen_share import Region, ScreenSharer, ScreenView, WindowGoneError
from peer._share_backends import SharingSide
from peer._share_events import (
    ConsentAsked,
    ViewClosed,
    ViewOpened,
)

if TYPE_CHECKING:
    from codec import Member, Message, Policy
    from peer._capture import Box
    from peer._inject import InputSink
    from peer._share_backends import Backends, SharingSession
    from peer._x11 import WindowInfo

__all__ = ["CustomerSharing"]

log = logging.getLogger("helpline.peer")

_APPS = (Activity.VIEW_APP, Activity.CONTROL_APP)
_INPUT = (PointerMotion, PointerButton, PointerWheel, KeyInput)


@dataclass(slots=True)
class _Question:
    rep: Member
    activity: Activity
    windows: list[WindowInfo]


class CustomerSharing(SharingSide):
    def __init__(
        self,
        session: SharingSession,
        backends: Backends,
        *,
        answer_timeout: float,
        policy: Policy = DEFAULT_POLICY,
        reask_delay: float = DEFAULT_REASK_DELAY,
    ) -> None:
        super().__init__(session, backends, policy=policy)
        self._answer_timeout = answer_timeout
        self._reask_delay = reask_delay
        self._machines: dict[int, ConsentMachine] = {}
        self._reps: dict[int, Member] = {}
        self._question: _Question | None = None
        self._sharer: ScreenSharer | None = None
        self._share_scope: trio.CancelScope | None = None
        self._input: InputSink | None = None
        #: Reps that control one application: their input goes into that window only.
        self._confined: dict[int, ConfinedInput] = {}
        #: Reps that control the desktop: keys the X server acts on itself stay out.
        self._desktop: dict[int, DesktopInput] = {}
        self._clipboard: ClipboardLink | None = None
        self._clipboard_scope: trio.CancelScope | None = None
        self._windows: dict[int, WindowInfo] = {}
        #: Reps that had a screen: their credit may still be on the wire after it ends.
        self._viewed_before: set[int] = set()
        #: Reps whose activities a transfer of control ended (SPEC M5): what they
        #: sent before they knew is dropped quietly, until they ask again.
        self._cut_off: set[int] = set()
        self._view: ScreenView | None = None
        self._nursery: trio.Nursery | None = None
        self._deadline_changed = trio.Event()

    # The person ------------------------------------------------------------------

    @property
    def asking(self) -> bool:
        """True while a question waits for the person's answer."""
        return self._question is not None

    @property
    def question(self) -> object | None:
        """The open question (compare with ``is``: a new one is another object), if any."""
        return self._question

    async def send_input(self, event: object) -> None:
        """The customer's viewer (of a rep's shown desktop) never controls it: ignored."""

    def consent_machines(self) -> list[ConsentMachine]:
        """Each rep's consent state, for rules that depend on what is shared (F3)."""
        return list(self._machines.values())

    def status(self) -> str:
        return self._shared() or "Nothing is shared."

    def _shared(self) -> str:
        lines = [self._describe(rep_id) for rep_id in self._machines]
        return "; ".join(line for line in lines if line)

    async def answer(self, line: str) -> None:
        question, self._question = self._question, None
        if question is None:
            return
        machine = self._machines[question.rep.id]
        if machine.asked is not question.activity:
            return  # it expired or the rep withdrew it meanwhile
        reply = line.strip().casefold()
        window = None
        if question.activity in _APPS:
            if question.windows and len(question.windows) == 1 and reply in ("y", "yes"):
                window = question.windows[0]
            elif reply.isdigit() and 0 < int(reply) <= len(question.windows):
                window = question.windows[int(reply) - 1]
            yes = window is not None
        else:
            yes = reply in ("y", "yes")
        if not yes:
            machine.decline(question.activity, trio.current_time())
            await self._send(
                question.rep.id,
                ConsentDeny(question.activity, question.rep.id, "", DenyCause.DECLINED),
            )
            await self._notice(
                f"You declined: {question.rep.name} may not {question.activity.description}."
            )
            return
        try:
            await self._start(question.rep, question.activity, window)
        except (CaptureError, PeerError) as e:
            machine.deny(question.activity)
            await self._send(
                question.rep.id,
                ConsentDeny(question.activity, question.rep.id, str(e)[:200], DenyCause.FAILED),
            )
            await self._notice(f"! Cannot share: {e}")
            return
        machine.grant(question.activity)
        self._application_shared(question.activity, question.rep.id)
        if machine.permits(Permission.CLIPBOARD):
            await self._start_clipboard()
        detail = window.title if window else ""
        await self._send(
            question.rep.id, ConsentGrant(question.activity, question.rep.id, detail[:200])
        )
        if question.activity is Activity.SHOW_REP_DESKTOP and self._view is not None:
            await self._send(question.rep.id, self._view.start())  # credit, after the grant
        elif self._sharer is not None and self._sharer.region.window is None:
            monitors = self._sharer_monitors()
            if monitors is not None:
                await self._send(question.rep.id, monitors)
        await self._tell_status(question.rep.id)
        await self._notice(f"* Sharing: {self._describe(question.rep.id)}")

    async def control_moved(self, reason: str) -> None:
        """Control of the session moved (SPEC M5): every activity ends here, at once.

        Nothing is sent: every rep's side ends its activities on the same
        word from the controlling rep, and a revoke would only cross theirs.
        """
        ended = False
        for rep_id, machine in self._machines.items():
            if machine.state is not ConsentState.NOTHING_SHARED:
                machine.revoke()
                await self._end(rep_id)
                self._cut_off.add(rep_id)
                ended = True
        if self._question is not None:
            self._question = None
            ended = True
        if ended:
            await self._notice(f"* Sharing stopped: {reason}")

    async def stop(self) -> None:
        """The customer ends every activity, at once."""
        ended = False
        for rep_id, machine in self._machines.items():
            if machine.state is not ConsentState.NOTHING_SHARED:
                activity = machine.revoke(trio.current_time())  # the rep waits, as after a no
                await self._end(rep_id)
                if activity is not None:
                    await self._send(rep_id, ConsentRevoke(activity, rep_id))
                await self._tell_status(rep_id)
                ended = True
        self._question = None
        await self._notice(
            "* Sharing stopped: nothing is shared." if ended else "Nothing is shared."
        )

    # The task ----------------------------------------------------------------------

    async def run(self) -> None:
        """Own the capture tasks and expire unanswered questions; runs until cancelled."""
        try:
            async with open_task_nursery() as nursery:
                self._nursery = nursery
                await self._expire_questions()
        finally:
            if self._input is not None:
                self._input.close()
                self._input = None
            for confined in self._confined.values():
                confined.close()
            self._confined.clear()

    async def _expire_questions(self) -> None:
        while True:
            deadlines = [m.next_deadline() for m in self._machines.values()]
            when = min((d for d in deadlines if d is not None), default=math.inf)
            with trio.move_on_at(when):
                await self._deadline_changed.wait()
                self._deadline_changed = trio.Event()
                continue
            for rep_id, machine in self._machines.items():
                denied = machine.expire(trio.current_time())
                if denied is not None:
                    self._question = None
                    await self._send(rep_id, ConsentDeny(denied, rep_id, "", DenyCause.NO_ANSWER))
                    await self._notice(
                        f"No answer given: {self._reps[rep_id].name}'s request is refused."
                    )

    # Messages ----------------------------------------------------------------------

    async def _receive(self, sender: Member, message: Message) -> None:
        machine = self._machines.get(sender.id)
        if isinstance(message, ConsentRequest):
            self._cut_off.discard(sender.id)
        elif sender.id in self._cut_off:
            log.info("dropped %s from %s: sent before control moved", type(message), sender.name)
            return
        if isinstance(message, ConsentRequest):
            await self._on_request(sender, message)
        elif isinstance(message, ConsentRevoke):
            if machine is None or message.rep != sender.id:
                raise ProtocolError("a stop for an activity this rep does not have")
            activity = machine.stop()
            if self._question is not None and self._question.rep.id == sender.id:
                self._question = None
                await self._notice(f"{sender.name} withdrew the request.")
            await self._end(sender.id)
            await self._tell_status(sender.id)
            if activity is not None:
                now = self._shared() or "nothing is shared."
                await self._notice(f"* Sharing stopped by {sender.name}: {now}")
        elif isinstance(message, CreditGrant | ViewSelect):
            if sender.id in self._viewed_before and not self._may_capture(sender.id):
                log.info("late screen credit from %s after the view ended; dropped", sender.name)
                return  # it crossed our revoke on the wire; nothing to report
            if (
                machine is None
                or not machine.permits(Permission.SEND_SCREEN)
                or self._sharer is None
            ):
                raise ProtocolError("screen requested without the customer's consent")
            if isinstance(message, CreditGrant):
                self._sharer.grant(sender.id, message)
            else:
                try:
                    self._sharer.select(sender.id, message.monitor, message.lossy)
                except PeerError as e:
                    raise ProtocolError(str(e)) from None
        elif isinstance(message, _INPUT):
            if machine is None or not machine.permits(Permission.INJECT_INPUT):
                raise ProtocolError("input sent without control granted; it was not injected")
            await self._inject(sender.id, message)
        elif isinstance(message, ClipboardText):
            if machine is None or not machine.permits(Permission.CLIPBOARD):
                raise ProtocolError("clipboard text without control granted; it was not written")
            if self._clipboard is not None:
                self._clipboard.receive(message.text)
        elif isinstance(message, ScreenUpdate):
            if (
                machine is None
                or not machine.permits(Permission.RECEIVE_REP_SCREEN)
                or self._view is None
            ):
                raise ProtocolError("a screen the customer did not agree to see")
            credit = self._view.feed(message.data)
            if credit is not None:
                await self._send(sender.id, credit)
        else:
            raise ProtocolError(f"a {type(message).__name__} is not for the customer to receive")

    async def _on_request(self, sender: Member, request: ConsentRequest) -> None:
        if sender.role not in (Role.REP, Role.ASSISTANT):
            raise ProtocolError("only a rep can ask to share a screen")
        if request.rep != sender.id:
            raise ProtocolError("a request in another rep's name")
        controller = self._session.controller
        if controller is None or sender.id != controller.id:
            # An assistant (a former controlling rep, say) starts nothing (SPEC M4, M5).
            reason = "only the controlling rep can ask to share a screen"
            deny = ConsentDeny(request.activity, sender.id, reason, DenyCause.NOT_ASKED)
            await self._send(sender.id, deny)
            await self._notice(f"! Refused {sender.name}'s request: {reason}")
            return
        if (refusal := self.policy.activity_refusal(request.activity)) is not None:
            # This machine's own policy decides, whatever the rep's program let through.
            deny = ConsentDeny(request.activity, sender.id, refusal, DenyCause.POLICY)
            await self._send(sender.id, deny)
            await self._notice(
                f"! Refused {sender.name}'s request to {request.activity.description}: {refusal}"
            )
            return
        if self._question is not None:
            reason = "another question is open"
            deny = ConsentDeny(request.activity, sender.id, reason, DenyCause.NOT_ASKED)
            await self._send(sender.id, deny)
            return
        problem = self._no_screen(request.activity)
        if problem is not None:  # answered at once: asking would only end in "cannot share"
            await self._send(
                sender.id, ConsentDeny(request.activity, sender.id, problem, DenyCause.UNABLE)
            )
            await self._notice(
                f"! {sender.name} asked to {request.activity.description}, but this computer "
                f"has no screen to share ({problem})."
            )
            return
        machine = self._machines.setdefault(
            sender.id,
            ConsentMachine(
                Party.CUSTOMER, answer_timeout=self._answer_timeout, reask_delay=self._reask_delay
            ),
        )
        self._reps[sender.id] = sender
        try:
            machine.request(request.activity, trio.current_time())
        except ProtocolError as e:  # the customer said no a moment ago (codec's re-ask delay)
            deny = ConsentDeny(request.activity, sender.id, str(e)[:200], DenyCause.NOT_ASKED)
            await self._send(sender.id, deny)
            return
        self._deadline_changed.set()
        windows: list[WindowInfo] = []
        what = request.activity.description
        choices: tuple[str, ...] = ()
        if request.activity in _APPS:
            try:
                lookup = self._backends.open_windows()
                try:
                    windows = lookup.windows()
                finally:
                    lookup.close()
            except CaptureError:
                windows = []
            if request.title:
                wanted = request.title.casefold()
                # A title that matches nothing asks the customer to pick, as no title
                # does: answered "no such window" at once, without a word to the
                # customer, it would let a rep test titles (a bank's, a mail's) unseen.
                windows = [w for w in windows if wanted in w.title.casefold()][:1] or windows
            if not windows:
                machine.deny(request.activity)
                reason = "no window to share"
                deny = ConsentDeny(request.activity, sender.id, reason, DenyCause.NOT_ASKED)
                await self._send(sender.id, deny)
                return
        self._question = _Question(sender, request.activity, windows)
        titles = tuple(w.title for w in windows)
        if request.activity in _APPS and len(windows) == 1:
            verb = "control" if request.activity is Activity.CONTROL_APP else "view"
            what = f"{verb} the application “{windows[0].title}”"
        elif request.activity in _APPS:
            choices = tuple(f"  {n}) {w.title}" for n, w in enumerate(windows, 1))
            await self._emit(
                ConsentAsked(
                    f"{sender.name} ({sender.role.value}) asks to {what}. "
                    f"Share which? [1-{len(windows)}, Enter: none]",
                    choices,
                    rep=sender.name,
                    activity=request.activity,
                    windows=titles,
                )
            )
            return
        await self._emit(
            ConsentAsked(
                f"{sender.name} ({sender.role.value}) asks to {what}. Allow? [y/N]",
                rep=sender.name,
                activity=request.activity,
                windows=titles,
            )
        )

    # Activities ----------------------------------------------------------------------

    def _no_screen(self, activity: Activity) -> str | None:
        """Why this computer has no screen to capture at all, or None when it has one."""
        if activity is Activity.SHOW_REP_DESKTOP or self._sharer is not None:
            return None
        try:
            self._backends.open_screen().close()
        except NoScreenError as e:
            return e.short
        except CaptureError:
            return None  # a screen that refuses later is told when the customer says yes
        return None

    async def _start(self, rep: Member, activity: Activity, window: WindowInfo | None) -> None:
        assert self._nursery is not None
        if activity is Activity.SHOW_REP_DESKTOP:
            self._view = ScreenView()
            await self._emit(ViewOpened(self._view, f"{rep.name}'s desktop", control=False))
            return
        region = Region(window=window.id if window else None)
        if self._sharer is not None and self._sharer.region == region:
            self._sharer.add_viewer(rep.id)
        else:
            self._stop_capture()
            source = self._backends.open_screen()
            changes = self._backends.open_changes()
            lookup = self._backends.open_windows() if window else None
            self._sharer = ScreenSharer(
                source, changes, self._send, self._may_capture, region=region, windows=lookup
            )
            self._sharer.add_viewer(rep.id)
            self._share_scope = trio.CancelScope()
            self._nursery.start_soon(
                self._capture_task, self._sharer, self._share_scope, source, changes, lookup
            )
        self._viewed_before.add(rep.id)
        if window is not None:
            self._windows[rep.id] = window
        if activity in (Activity.CONTROL_DESKTOP, Activity.CONTROL_APP) and self._input is None:
            self._input = self._backends.open_input()
        if activity is Activity.CONTROL_APP and window is not None:
            confined = ConfinedInput(
                self._backends.open_app_window(window.id), self._session.name, window.title
            )
            self._confined[rep.id] = confined
            await confined.activate()

    async def _start_clipboard(self) -> None:
        if self._clipboard is not None:
            return
        assert self._nursery is not None
        try:
            clipboard = self._backends.open_clipboard()
        except CaptureError as e:
            await self._notice(f"! The clipboard is not shared: {e}")
            return
        self._clipboard = link = ClipboardLink(clipboard, self._send_clipboard, self._may_clip)
        self._clipboard_scope = scope = trio.CancelScope()

        async def run() -> None:
            with scope:
                await link.run()

        self._nursery.start_soon(run)

    def _may_clip(self) -> bool:
        return any(m.permits(Permission.CLIPBOARD) for m in self._machines.values())

    async def _send_clipboard(self, text: str) -> None:
        # The clipboard is the desktop's: a rep that controls one application gets
        # only what was copied in that application, not a password copied elsewhere.
        owner = self._clipboard.copied_by() if self._clipboard is not None else 0
        for rep_id, machine in self._machines.items():
            confined = self._confined.get(rep_id)
            if not machine.permits(Permission.CLIPBOARD):
                continue
            if confined is not None and not confined.copied_here(owner):
                # Said, since the application itself can still paste it where the rep sees it.
                title = self._window_title(rep_id)
                await self._notice(
                    f"* Not sent to {self._reps[rep_id].name}: what you copied outside "
                    f"“{title}” (pasted into “{title}”, it would show on their screen)."
                )
                continue
            await self._send(rep_id, ClipboardText(text))

    async def _tell_status(self, rep_id: int) -> None:
        """What is on for *rep_id* now, as the customer's side sees it."""
        machine = self._machines[rep_id]
        window = self._windows.get(rep_id)
        detail = window.title[:200] if window and machine.active else ""
        await self._send(rep_id, ActivityStatus(machine.active, rep_id, detail))

    def _may_capture(self, rep_id: int) -> bool:
        machine = self._machines.get(rep_id)
        return machine is not None and machine.permits(Permission.SEND_SCREEN)

    async def _capture_task(
        self, sharer: ScreenSharer, scope: trio.CancelScope, *resources: object
    ) -> None:
        try:
            with scope:
                await sharer.run()
        except (WindowGoneError, CaptureError) as e:
            await self._sharing_failed(list(sharer.viewers), e)
        finally:
            for resource in resources:
                if resource is not None:
                    resource.close()  # type: ignore[attr-defined]

    async def _sharing_failed(self, rep_ids: list[int], error: Exception) -> None:
        """The screen or the input broke: what *rep_ids* had ends, with a line on each side."""
        await self._notice(f"* Sharing stopped: {error}")
        for rep_id in rep_ids:
            activity = self._machines[rep_id].revoke()
            if activity is not None:
                await self._send(rep_id, ConsentRevoke(activity, rep_id))
            await self._end(rep_id)
            await self._tell_status(rep_id)

    async def _end(self, rep_id: int) -> None:
        """Whatever *rep_id* had stops now; the capture too once nobody views it."""
        self._windows.pop(rep_id, None)
        self._desktop.pop(rep_id, None)
        confined = self._confined.pop(rep_id, None)
        if confined is not None:
            confined.close()
        if self._sharer is not None:
            self._sharer.remove_viewer(rep_id)
            if not self._sharer.viewers:
                self._stop_capture()
        if (
            not any(m.permits(Permission.INJECT_INPUT) for m in self._machines.values())
            and self._input
        ):
            self._input.close()
            self._input = None
        if self._clipboard_scope is not None and not self._may_clip():
            self._clipboard_scope.cancel()
            self._clipboard, self._clipboard_scope = None, None
        if self._view is not None and not any(
            m.permits(Permission.RECEIVE_REP_SCREEN) for m in self._machines.values()
        ):
            view, self._view = self._view, None
            await self._emit(ViewClosed(view))

    def _stop_capture(self) -> None:
        if self._share_scope is not None:
            self._share_scope.cancel()
        self._sharer, self._share_scope = None, None

    def _sharer_monitors(self) -> MonitorList | None:
        source = self._backends.open_screen()
        try:
            monitors = source.monitors()
        finally:
            source.close()
        return MonitorList(tuple(monitors[:16])) if monitors else None

    async def _inject(
        self, rep_id: int, event: PointerMotion | PointerButton | PointerWheel | KeyInput
    ) -> None:
        sink, sharer = self._input, self._sharer
        if sink is None or sharer is None:
            return
        box = sharer.box
        if not isinstance(event, KeyInput) and not (event.x < box.width and event.y < box.height):
            raise ProtocolError("a pointer position outside the shared screen")
        confined = self._confined.get(rep_id)
        if confined is None and self._machines[rep_id].active is Activity.CONTROL_APP:
            raise ProtocolError("input for an application whose window is not known; not injected")
        try:
            notice = (
                confined.inject(sink, event, box)
                if confined
                else self._desktop_input(rep_id, sink, event, box)
            )
        except DisplayGoneError as e:
            # The X server is gone with every program on it: nothing more is shared.
            await self._send(rep_id, InputRefused(f"sharing stopped: {e}"[:200]))
            viewers = list(sharer.viewers) if rep_id in sharer.viewers else [rep_id]
            await self._sharing_failed(viewers, e)
            return
        if notice:
            await self._send(rep_id, InputRefused(notice[:200]))

    def _desktop_input(
        self,
        rep_id: int,
        sink: InputSink,
        event: PointerMotion | PointerButton | PointerWheel | KeyInput,
        box: Box,
    ) -> str:
        """Play *event* on the whole desktop; what to tell the rep ("" for nothing)."""
        if isinstance(event, KeyInput):
            rules = self._desktop.setdefault(rep_id, DesktopInput(self._session.name))
            allowed, notice = rules.key(event)
            if allowed:
                inject(sink, event, None)
            return notice
        inject(sink, event, (box.x + event.x, box.y + event.y))
        return ""

    def _describe(self, rep_id: int) -> str:
        machine = self._machines[rep_id]
        name = self._reps[rep_id].name
        match machine.active:
            case None:
                return ""
            case Activity.VIEW_DESKTOP:
                return f"{name} views your desktop (no control)"
            case Activity.CONTROL_DESKTOP:
                return f"{name} controls your desktop"
            case Activity.VIEW_APP:
                return f"{name} views “{self._window_title(rep_id)}” (no control)"
            case Activity.CONTROL_APP:
                return f"{name} controls “{self._window_title(rep_id)}”"
            case Activity.SHOW_REP_DESKTOP:
                return f"{name} shows you their desktop"

    def _window_title(self, rep_id: int) -> str:
        window = self._windows.get(rep_id)
        return window.title if window else "an application"
