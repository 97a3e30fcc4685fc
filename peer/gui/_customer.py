"""The customer's face: the join, then the session's events into the window and clicks back.

:func:`run_customer_window` is the whole of ``helpline join --gui``: it
shows the window, joins with what the customer typed (again after a wrong
code), runs the session until it ends or the customer leaves, and returns
once the window is closed. :class:`CustomerFace` is one joined session:
it runs the same parts the CLI runs (sharing with its consent machines,
the file engine, the system information desk) and turns their events into
widget calls; every click reaches them through the :class:`Bridge`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import trio

from codec import (
    LINK_SCHEME,
    AccessState,
    Activity,
    BadCodeError,
    HelplineError,
    JoinTarget,
    Role,
    SessionCode,
    ShareMessage,
)
from peer._desk import CustomerDesk
from peer._events import (
    ControlChanged,
    MessageReceived,
    PrimaryChanged,
    Reconnected,
    Reconnecting,
    SessionEnded,
)
from peer._file_commands import follow_sharing
from peer._file_events import (
    FileNotice,
    FileQuestion,
    SharedFilesListed,
    TransferEnded,
    TransferProgress,
)
from peer._file_session import open_file_transfers
from peer._gui import ViewerFace
from peer._nursery import open_task_nursery
from peer._open import open_joined_session
from peer._share_customer import CustomerSharing
from peer._share_events import ConsentAsked, ShareNotice, ShareRejected, ViewClosed, ViewOpened
from peer.gui._bridge import Bridge
from peer.gui._conversation import (
    control_words,
    ended_words,
    send_and_show,
    show_connection,
    show_conversation,
)
from peer.gui._customer_window import CustomerWindow
from peer.gui._face import SessionFace

if TYPE_CHECKING:
    from codec import Policy, SessionTimings
    from peer._file_events import FileEvent
    from peer._file_settings import FileSettings
    from peer._file_transfers import FileTransfers
    from peer._session import MemberSession
    from peer._share_events import ShareEvent

__all__ = ["CustomerFace", "join_target", "link_relay", "run_customer_window"]

log = logging.getLogger("helpline.peer.gui")


def link_relay(link: str) -> str | None:
    """The relay a code-less ``helpline://HOST:PORT`` link names, else None.

    The relay's join page offers such a link (it never knows a code): it
    opens the window with the relay filled in, and the customer types the code.
    """
    parts = urlsplit(link.strip())
    query = parse_qs(parts.query, keep_blank_values=True)
    tls = query.get("tls", ["on"])
    if (
        parts.scheme != LINK_SCHEME
        or not parts.netloc
        or parts.path.strip("/")
        or parts.fragment
        or set(query) - {"tls"}
        or tls not in (["on"], ["off"])
    ):
        return None
    return f"{'ws' if tls == ['off'] else 'wss'}://{parts.netloc}"


def join_target(text: str, relay: str) -> JoinTarget:
    """What the form holds, as a place to join: a link, or a code and a relay."""
    if "://" in text:
        target = JoinTarget.from_link(text)
        return JoinTarget(relay, target.code) if relay else target
    if not relay:
        raise BadCodeError("which relay? type the relay address your support person gave you")
    return JoinTarget(relay, SessionCode.parse(text))


async def run_customer_window(
    code: str,
    name: str,
    relay: str | None,
    policy: Policy,
    files: FileSettings,
    relay_timeout: float,
    *,
    window: CustomerWindow | None = None,
    timings: SessionTimings | None = None,
) -> int:
    """Show the customer's window until it is closed; 0, or 1 if the session broke."""
    window = window or CustomerWindow()
    closed = trio.Event()
    token = trio.lowlevel.current_trio_token()
    window.on_closed = lambda: token.run_sync_soon(closed.set)
    joins, asked = trio.open_memory_channel[tuple[str, str, str]](1)
    outcome = 0
    try:
        async with open_task_nursery() as nursery:
            bridge = Bridge(nursery, window.show_error)
            window.form.on_join = lambda *typed: bridge.call(joins.send_nowait, typed)
            window.form.prefill(code, name, relay)
            window.show()

            async def join_until_closed() -> None:
                nonlocal outcome
                async for text, who, where in asked:
                    try:
                        target = join_target(text, where)
                        window.form.busy("Checking the code…")
                        async with open_joined_session(
                            target, who, relay_timeout=relay_timeout, timings=timings
                        ) as session:
                            face = CustomerFace(session, window, policy, files, bridge)
                            face.number = target.code.number
                            outcome = await face.run()
                        return
                    except HelplineError as e:
                        window.form.show_error(str(e))

            nursery.start_soon(join_until_closed)
            await closed.wait()
            nursery.cancel_scope.cancel()
    finally:
        window.on_closed = None  # the window may outlive this trio run
    return outcome


class CustomerFace(SessionFace[CustomerSharing]):
    def __init__(
        self,
        session: MemberSession,
        window: CustomerWindow,
        policy: Policy,
        files: FileSettings,
        bridge: Bridge,
    ) -> None:
        super().__init__(session, CustomerSharing, bridge, policy, files)
        self.session = session
        self.window = window
        self.desk = CustomerDesk(session, policy, self.window.chat.add_notice)
        self.desk.sysinfo.on_question = self._sysinfo_asked
        #: The session number, for the window's title.
        self.number = ""
        #: Cancelled when the customer leaves: the event loop stops reading.
        self._leave_scope = trio.CancelScope()

    async def run(self) -> int:
        """Until the session ends or the customer leaves; 1 if it broke."""
        window, session = self.window, self.session
        window.joined(self.number, session.name)
        window.chat.on_send = lambda text, to: self.bridge.call(self._send_chat, text, to)
        window.on_leave = lambda: self.bridge.call(self._leave)
        window.share_bar.on_stop = lambda key: self.bridge.call(self._stop, key)
        self._refresh_people()
        outcome = 0
        async with open_file_transfers(session, self.settings) as files:
            self.files = files
            follow_sharing(files, self.sharing)  # F3: no transfer while an application is shared
            window.shared_files.on_download = lambda numbers: self.bridge.call(files.get, numbers)
            window.transfers.on_cancel = lambda number: self.bridge.call(files.cancel, number)
            viewer = ViewerFace(self.sharing.send_input)
            async with open_task_nursery() as nursery:
                nursery.start_soon(self.sharing.run)
                nursery.start_soon(viewer.run)
                nursery.start_soon(self._share_events, viewer)
                nursery.start_soon(self._file_events, files)
                outcome = await self._session_events()
                nursery.cancel_scope.cancel()
        return outcome

    # Session events ------------------------------------------------------------------------

    async def _session_events(self) -> int:
        window = self.window
        with self._leave_scope:
            async for event in self.session.events:
                if isinstance(event, MessageReceived) and isinstance(event.message, ShareMessage):
                    await self.sharing.receive(event.sender, event.message)
                    self._refresh_bar()
                    continue
                await self.desk.observe(event)
                if show_conversation(window.chat, event) or show_connection(
                    window.connection, window.chat, event
                ):
                    if isinstance(event, Reconnecting | Reconnected):
                        window.set_reconnecting(isinstance(event, Reconnecting))
                    self._refresh_people()
                    continue
                match event:
                    case PrimaryChanged(name):
                        if name is not None:
                            window.chat.add_notice(f"{name} is now the primary customer")
                    case ControlChanged():
                        window.chat.add_notice(control_words(self.session, event))
                        if self.desk.sysinfo.gate.pending is None:  # withdrawn by the move
                            window.withdraw_question("sysinfo")
                    case SessionEnded(by, lost, removed_by):
                        if lost is not None and removed_by is None:
                            window.connection.lost(lost)
                        window.ended(ended_words(event))
                        return 0 if by or removed_by else 1
                self._refresh_people()
        window.ended("You left the session.")
        return 0

    async def _send_chat(self, text: str, to: list[str]) -> None:
        await send_and_show(self.session, self.window.chat, text, to)

    async def _leave(self) -> None:
        await self.session.leave()
        self._leave_scope.cancel()

    def _refresh_people(self) -> None:
        others = [m for m in self.session.roster() if m.id != self.session.id]
        self.window.chat.set_people([m.name for m in others])
        self.window.set_reps([m.name for m in others if m.role is not Role.CUSTOMER])
        self._refresh_bar()

    # Sharing -------------------------------------------------------------------------------

    async def _share_events(self, viewer: ViewerFace) -> None:
        async for event in self.sharing.events:
            self._show_share(event)
            if isinstance(event, ViewOpened | ViewClosed):
                await viewer.show(event)
            self._refresh_bar()

    def _show_share(self, event: ShareEvent) -> None:
        match event:
            case ConsentAsked(prompt, _, rep, activity, windows) if activity is not None:
                self.window.ask(
                    "screen",
                    consent_question(rep, activity, windows),
                    self._screen_answer,
                    choices=windows if len(windows) > 1 else (),
                )
            case ConsentAsked(prompt):
                self.window.chat.add_notice(prompt)
            case ShareNotice(text):
                if not self.sharing.asking:
                    self.window.withdraw_question("screen")  # withdrawn or timed out
                self.window.chat.add_notice(text.lstrip("*! "))
            case ShareRejected(sender, reason):
                self.window.chat.add_notice(f"Dropped a message from {sender}: {reason}")
            case ViewOpened(_, banner, _):
                self.window.chat.add_notice(f"Showing you: {banner}")
            case ViewClosed():
                self.window.chat.add_notice("The rep's desktop is no longer shown.")

    def _screen_answer(self, yes: bool, choice: int | None) -> None:
        reply = "n" if not yes else ("y" if choice is None else str(choice + 1))
        self.bridge.call(self.sharing.answer, reply)

    async def _stop(self, key: str) -> None:
        if key == "screen":
            await self.sharing.stop()
        elif key == "files" and self.files is not None:
            self.files.revoke()
            self.window.chat.add_notice("File access taken back.")
        self._refresh_bar()

    def _refresh_bar(self) -> None:
        items = []
        status = self.sharing.status()
        if status != "Nothing is shared.":
            items.append(("screen", status, "&Stop sharing"))
        if self.files is not None:
            granted = [
                m.name
                for m in self.session.roster()
                if m.role is not Role.CUSTOMER
                and self.files.gate.access(m.id) is AccessState.GRANTED
            ]
            if granted:
                text = f"{', '.join(granted)} may send you files and fetch files you allow"
                items.append(("files", text, "Stop &file access"))
        self.window.share_bar.set_items(items)

    # Files and system information -------------------------------------------------------------

    async def _file_events(self, files: FileTransfers) -> None:
        async for event in files.events:
            self._show_file(event, files)
            self._refresh_bar()

    def _show_file(self, event: FileEvent, files: FileTransfers) -> None:
        match event:
            case FileQuestion(number, text):

                def reply(yes: bool, _choice: int | None, n: int = number) -> None:
                    self.bridge.call(self._answer_file, files, yes, n)

                self.window.ask(f"file {number}", text.removesuffix(" Allow? [y/N]"), reply)
            case SharedFilesListed(rep, items):
                self.window.shared_files.set_items(rep, items)
                if items:
                    self.window.chat.add_notice(f"{rep} shares {len(items)} file(s) with you.")
            case TransferProgress(view) | TransferEnded(view):
                self.window.transfers.update_view(view)
                if isinstance(event, TransferEnded) or view.done == 0:
                    self.window.files_tabs.setCurrentWidget(self.window.transfers)
            case FileNotice(text):
                self.window.chat.add_notice(text.lstrip("*! "))

    def _answer_file(self, files: FileTransfers, yes: bool, number: int) -> None:
        files.answer(yes, number)
        self._refresh_bar()  # file access may have just been granted

    def _sysinfo_asked(self, rep: str, lines: list[str]) -> None:
        def reply(yes: bool, _choice: int | None) -> None:
            self.bridge.call(self.desk.sysinfo.answer, "y" if yes else "n")

        self.window.ask(
            "sysinfo", f"{rep} wants to see your system information", reply, details=lines
        )


def consent_question(rep: str, activity: Activity, windows: tuple[str, ...]) -> str:
    """The question in plain words: "Alice wants to control your desktop"."""
    if activity in (Activity.VIEW_APP, Activity.CONTROL_APP):
        verb = "control" if activity is Activity.CONTROL_APP else "see"
        if len(windows) == 1:
            return f"{rep} wants to {verb} your window “{windows[0]}”"
        return f"{rep} wants to {verb} one of your windows"
    words = {
        Activity.VIEW_DESKTOP: "see your desktop",
        Activity.CONTROL_DESKTOP: "control your desktop (mouse, keyboard, clipboard)",
        Activity.SHOW_REP_DESKTOP: "show you their desktop",
    }
    return f"{rep} wants to {words[activity]}"
