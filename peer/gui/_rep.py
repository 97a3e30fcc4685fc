"""One session in the rep's console: the session's parts wired to its tab.

The parts are the CLI's (:class:`RepSharing`, :class:`RepDesk` with its
history record, notes and system information, the file engine); this
class turns their events into calls on the tab's widgets and the widgets'
callbacks into calls on them, through the :class:`Bridge`. After every
event the activity bar is recomputed from the session (:func:`why_not`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import trio

from codec import (
    Activity,
    CodeCause,
    ConsentState,
    Feature,
    HelplineError,
    Role,
    SessionCode,
    ShareMessage,
)
from peer._assist_desk import AssistantDesk
from peer._desk import Desk, RepDesk
from peer._events import (
    CodeChanged,
    ControlChanged,
    JoinAttemptFailed,
    JoinerTurnedAway,
    JoiningPaused,
    MemberBack,
    MessageReceived,
    PrimaryChanged,
    Reconnected,
    SessionEnded,
)
from peer._file_commands import follow_sharing
from peer._file_events import (
    AccessChanged,
    FileNotice,
    FolderListed,
    TransferEnded,
    TransferProgress,
)
from peer._file_session import open_file_transfers
from peer._host import HostSession
from peer._nursery import open_task_nursery
from peer._share_events import ShareNotice, ShareRejected, ViewClosed, ViewOpened
from peer._share_rep import RepSharing
from peer.gui._activities import Action, Situation, why_not
from peer.gui._activity_bar import FileAction
from peer.gui._conversation import (
    control_words,
    ended_words,
    send_and_show,
    show_connection,
    show_conversation,
)
from peer.gui._face import SessionFace
from peer.gui._invitations import InvitationsDialog
from peer.gui._notes import EndNotesDialog
from peer.gui._remote_files import RemoteFilesDialog
from peer.gui._roster import Person, RosterChoice
from peer.gui._sysinfo_view import SysinfoView

if TYPE_CHECKING:
    from PySide6.QtWidgets import QFileDialog

    from codec import Policy
    from peer._config import SmtpConfig
    from peer._file_events import FileEvent
    from peer._file_settings import FileSettings
    from peer._file_transfers import FileTransfers
    from peer._screen_share import ScreenView
    from peer._session import MemberSession
    from peer._share_events import ShareEvent
    from peer.gui._bridge import Bridge
    from peer.gui._session_tab import SessionTab

__all__ = ["RepFace"]

log = logging.getLogger("helpline.peer.gui")

_ASK = {
    Action.VIEW_DESKTOP: Activity.VIEW_DESKTOP,
    Action.CONTROL_DESKTOP: Activity.CONTROL_DESKTOP,
    Action.VIEW_APP: Activity.VIEW_APP,
    Action.CONTROL_APP: Activity.CONTROL_APP,
    Action.SHOW_DESKTOP: Activity.SHOW_REP_DESKTOP,
}
_CODE_NOTES = {
    CodeCause.USED: "The last code is used up (a code admits one person); this is the next.",
    CodeCause.RETIRED: "Too many failed attempts: the old code no longer works. Give this one.",
    CodeCause.REOPENED: "Joining is open again with this code.",
    CodeCause.FOR_ASSISTANT: "This code admits one assistant (another rep).",
    CodeCause.MOVED: "The session moved to a new room on the relay; the old code no longer"
    " works. Give this one.",
}


class RepFace(SessionFace[RepSharing]):
    def __init__(
        self,
        session: HostSession | MemberSession,
        tab: SessionTab,
        bridge: Bridge,
        policy: Policy,
        files: FileSettings,
        kind: tuple[str, str | None],
        smtp: SmtpConfig | None = None,
    ) -> None:
        super().__init__(session, RepSharing, bridge, policy, files)
        self.session = session
        self.tab = tab

        def say(text: str) -> None:
            # The desks speak the terminal's lines; the chat shows notices without its markers.
            tab.chat.add_notice(text.lstrip("*! "))

        #: Notes, system information, invitations: this person's desk as the controlling rep.
        self.desk: RepDesk
        #: What the session's events, chat, consents and ending are recorded by (SPEC I4).
        self.records: Desk
        if isinstance(session, HostSession):
            self.desk = self.records = RepDesk.open(session, kind, say, smtp, policy)
        else:
            # An assistant keeps notes for itself, in no record; once control comes to it
            # (M5) the CLI's AssistantDesk opens its record, and the desk becomes that one.
            self.desk = RepDesk(session, None, say, smtp, policy)
            self.records = AssistantDesk(session, say, smtp, policy, on_take_over=self._took_over)
        self.records.watch(self.sharing, None)
        self.desk.sysinfo.on_report = self._show_report
        self.reports: list[SysinfoView] = []
        #: The dialogs open now (the file picker, the end-of-session notes), for tests.
        self.file_dialog: QFileDialog | None = None
        self.end_dialog: EndNotesDialog | None = None
        #: The customer's files as the rep browses them (Files, Browse), once opened.
        self.remote_files: RemoteFilesDialog | None = None
        #: Invitations by e-mail or link, and the ones still open (S4), once opened.
        self.invitations: InvitationsDialog | None = None
        self._refusals = {f: None if policy.allows(f) else policy.refusal(f) for f in Feature}
        #: Cancelled when this rep ends or leaves: the session sends no event for that.
        self._events_scope = trio.CancelScope()
        self.outcome = ""
        #: How the record says this person's session ended, in the terminal's words.
        self._how = ""
        #: Set once the session is over and its tab says so.
        self.done = trio.Event()

    # Running -----------------------------------------------------------------------------

    async def run(self) -> None:
        """Until the session is over; the tab then stays, saying how it ended."""
        tab, session = self.tab, self.session
        if isinstance(session, HostSession):
            tab.code_panel.set_code(str(session.code), session.link)
        # Whoever controls the session later (M5) issues codes from this panel too.
        tab.code_panel.on_assistant_code = lambda: self.bridge.call(session.assistant_code)
        tab.set_controlling(session.role is Role.REP)
        tab.chat.on_send = lambda text, to: self.bridge.call(self._send_chat, text, to)
        tab.activities.on_action = lambda action: self.bridge.call(self._act, action)
        tab.activities.on_file_action = self._file_action
        tab.roster.on_choice = lambda what, name: self.bridge.call(self._roster_choice, what, name)
        tab.code_panel.on_invitations = self.show_invitations
        tab.notes.on_save = self._save_notes
        tab.on_end = self.ask_end
        tab.viewer.on_release = tab.chat.entry.setFocus
        if isinstance(session, HostSession):
            tab.chat.add_notice("Waiting for someone to join… Read the code above to the customer.")
        else:
            tab.chat.add_notice("You assist in this session; the controlling rep leads it.")
        self.refresh()
        try:
            async with open_file_transfers(session, self.settings) as files:
                self.files = files
                follow_sharing(files, self.sharing)  # F3: transfers stop when an app is shared
                tab.transfers.on_cancel = lambda number: self.bridge.call(files.cancel, number)
                async with open_task_nursery() as nursery:
                    nursery.start_soon(self.sharing.run)
                    nursery.start_soon(self._share_events, nursery)
                    nursery.start_soon(self._file_events, files)
                    with self._events_scope:
                        await self._session_events()
                    nursery.cancel_scope.cancel()
        finally:
            self.records.close(self._how or f"ended by {session.name}")
            tab.ended(self.outcome or f"Session ended by {session.name}")
            self.refresh()
            self.done.set()

    async def _session_events(self) -> None:
        tab = self.tab
        async for event in self.session.events:
            if isinstance(event, MessageReceived) and isinstance(event.message, ShareMessage):
                await self.sharing.receive(event.sender, event.message)
                self.refresh()
                continue
            if isinstance(event, PrimaryChanged):
                await self.sharing.end_all("the primary customer changed")
            if isinstance(event, Reconnected | MemberBack):
                await self.sharing.restart_view()  # a fresh full frame after a drop
            await self.records.observe(event)
            self._list_invitations()  # one was used, expired or retired, or control moved
            if show_conversation(tab.chat, event) or show_connection(
                tab.connection, tab.chat, event
            ):
                self.refresh()
                continue
            match event:
                case CodeChanged(code, link, cause):
                    tab.code_panel.set_code(code, link, _CODE_NOTES.get(cause))
                case JoinAttemptFailed(reason, failures, max_failures):
                    tab.say(f"Failed join attempt ({failures} of {max_failures}): {reason}")
                case JoinerTurnedAway(reason):
                    tab.say(f"Turned away someone trying to join: {reason}")
                case JoiningPaused(failures):
                    tab.say(f"{failures} failed join attempts: joining is paused.")
                case PrimaryChanged(name):
                    tab.chat.add_notice(f"{name} is now the primary customer" if name else "")
                case ControlChanged():
                    tab.chat.add_notice(control_words(self.session, event))
                case SessionEnded(_, lost, removed_by):
                    if lost is not None and removed_by is None:
                        tab.connection.lost(lost)
                    self.outcome = ended_words(event)
                    return
            self.refresh()

    # What the buttons may do -------------------------------------------------------------

    def situation(self) -> Situation:
        machines = self.sharing.consent_machines()
        primary = self.session.primary
        return Situation(
            role=self.session.role,
            customer=primary.name if primary is not None else None,
            sharing=any(m.state is not ConsentState.NOTHING_SHARED and m.active for m in machines),
            asking=any(m.asked is not None for m in machines),
            over=self.tab.over or self.session.finished.is_set(),
        )

    def refresh(self) -> None:
        now = self.situation()
        self.tab.activities.set_reasons({a: why_not(a, self._refusals, now) for a in Action})
        me, primary = self.session.id, self.session.primary
        self.tab.roster.set_people(
            [
                Person(m.name, m.role, primary is not None and m.id == primary.id, m.id == me)
                for m in self.session.roster()
            ]
        )
        controlling = self.session.role is Role.REP and not now.over
        if not now.over:
            self.tab.set_controlling(self.session.role is Role.REP)  # control may move (M5)
        # What the controlling rep may do to others; the session refuses anyone else too.
        self.tab.roster.offers = set(RosterChoice) if controlling else set()
        self.tab.chat.set_people([m.name for m in self.session.roster() if m.id != me])

    # Clicks ------------------------------------------------------------------------------

    async def _send_chat(self, text: str, to: list[str]) -> None:
        await send_and_show(self.session, self.tab.chat, text, to)
        self.records.sent_chat(text, to)

    async def _act(self, action: Action) -> None:
        if action in _ASK:
            primary = self.session.primary
            if primary is not None:
                await self.sharing.ask(primary, _ASK[action])
        elif action is Action.STOP:
            await self.sharing.stop()
        elif action is Action.SYSINFO:
            await self.desk.sysinfo.ask("")
        self.refresh()

    async def _roster_choice(self, what: RosterChoice, name: str) -> None:
        match what:
            case RosterChoice.PRIMARY:
                await self.session.set_primary(name)
            case RosterChoice.TRANSFER:
                await self.session.transfer_control(name)
            case RosterChoice.REMOVE:
                await self.session.remove_member(name)
        self.refresh()

    def _file_action(self, label: str) -> None:
        from PySide6.QtWidgets import QFileDialog

        files = self.files
        if files is None:
            return
        if label in (FileAction.SHARE, FileAction.SEND):
            dialog = QFileDialog(self.tab, label.rstrip("…"))
            dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
            act = files.share if label == FileAction.SHARE else files.put
            dialog.filesSelected.connect(
                lambda paths: self.bridge.call(self._files_chosen, act, paths)
            )
            self.file_dialog = dialog
            dialog.open()  # not exec(): a nested loop would re-enter trio's guest run
        elif label == FileAction.BROWSE:
            self._browse(files)
        elif label == FileAction.ACCESS:
            self.bridge.call(files.ask_access)
        elif label == FileAction.END:
            self.bridge.call(files.end_files)

    def _browse(self, files: FileTransfers) -> None:
        """The customer's granted folder, listed; what the rep picks or types is fetched."""
        primary = self.session.primary
        if primary is None:
            self.tab.say("No customer has joined yet.")
            return
        dialog = self.remote_files
        if dialog is None or not dialog.isVisible():
            dialog = RemoteFilesDialog(primary.name, self.tab)
            dialog.on_list = lambda path: self.bridge.call(files.list_remote, path)
            dialog.on_fetch = lambda path: self.bridge.call(files.fetch, path)
            self.remote_files = dialog
            dialog.show()
            dialog.list_folder("")
        dialog.raise_()

    def show_invitations(self) -> None:
        """The invitations dialog: e-mail one, copy a new link, withdraw an open one (S4)."""
        dialog = self.invitations
        if dialog is None:
            dialog = InvitationsDialog(self.tab)
            dialog.on_email = lambda address: self.bridge.call(self._invite, address)
            dialog.on_link = lambda: self.bridge.call(self._invite, None)
            dialog.on_withdraw = lambda code: self.bridge.call(self._withdraw, code)
            dialog.on_refresh = lambda: self.bridge.call(self._list_invitations)  # trio's clock
            self.invitations = dialog
        dialog.show()
        dialog.raise_()

    async def _invite(self, address: str | None) -> None:
        """An invitation mailed to *address*, or (None) a new link on the clipboard."""
        from PySide6.QtGui import QGuiApplication

        assert self.invitations is not None
        try:
            if address is not None:
                await self.desk.invite(["email", address])
                self.invitations.say(f"Invited {address}; the invitation is listed below.")
            else:
                code, link = await self.desk.new_invitation(Role.CUSTOMER)
                QGuiApplication.clipboard().setText(link)
                self.invitations.say(
                    f"Copied a join link with the code {code}: paste it into a message."
                )
        except HelplineError as e:
            self.invitations.say(f"No invitation: {e}")
        self._list_invitations()

    async def _withdraw(self, code: str) -> None:
        assert self.invitations is not None
        await self.session.withdraw_invitation(SessionCode.parse(code))
        self.invitations.say(f"Withdrawn: the code {code} admits nobody from now on.")
        self._list_invitations()

    def _list_invitations(self) -> None:
        if self.invitations is None:
            return
        if self.session.role is not Role.REP or self.tab.over:
            self.invitations.close()  # control moved (M5) or the session is over
            return
        self.invitations.set_invitations(self.desk.open_invitations())

    def _browsing(self) -> bool:
        return self.remote_files is not None and self.remote_files.isVisible()

    def share_files(self, paths: list[Path]) -> None:
        """Share *paths* for download (F1), as the Files menu's first entry does."""
        if self.files is not None:
            self.bridge.call(self._files_chosen, self.files.share, [str(p) for p in paths])

    def _files_chosen(self, act: object, paths: list[str]) -> None:
        chosen = [Path(p) for p in paths]
        act(chosen)  # type: ignore[operator]
        self.tab.chat.add_notice("Files: " + ", ".join(p.name for p in chosen))

    # Notes, system information, ending ---------------------------------------------------

    def _took_over(self, rep: RepDesk) -> None:
        """Control came to this assistant: its record begins, with the notes it kept so far."""
        kept = self.desk.notes
        if kept:
            rep.replace_notes(kept)
        rep.sysinfo.on_report = self._show_report
        self.desk = rep

    def _save_notes(self, notes: list[str]) -> None:
        try:
            self.desk.replace_notes(notes)
        except Exception as e:  # a refused note (too long, a control character) says why
            self.tab.say(str(e))
            return
        self.tab.notes.saved(len(notes))

    def _show_report(self, customer: str, lines: list[str]) -> None:
        view = SysinfoView(customer, lines, self.tab)
        self.reports.append(view)
        view.show()
        self.tab.chat.add_notice(f"System information from {customer} arrived.")

    def ask_end(self) -> None:
        """End (controlling rep): the notes once more first (S5). Leave (assistant): at once."""
        if self.session.role is not Role.REP:
            self.bridge.call(self._leave)
            return
        self.tab.notes.show()
        notes = self.tab.notes.notes() or self.desk.notes
        dialog = EndNotesDialog(notes, lambda kept: self.bridge.call(self._end, kept), self.tab)
        self.end_dialog = dialog
        dialog.open()

    async def _end(self, notes: list[str]) -> None:
        self._save_notes(notes)
        self.tab.notes.set_notes(self.desk.notes)
        await self.sharing.end_all("the session ended")
        await self.session.end()
        self.outcome = f"Session ended by {self.session.name}"
        self._how = f"ended by {self.session.name}"
        self._events_scope.cancel()

    async def _leave(self) -> None:
        await self.session.leave()
        self.outcome = "You left the session."
        self._how = f"{self.session.name} left"
        self._events_scope.cancel()

    async def end_now(self) -> None:
        """The console is closing: end (or leave) without the notes dialog."""
        if self.session.role is Role.REP:
            await self._end(self.tab.notes.notes() or self.desk.notes)
        else:
            await self._leave()

    # Sharing and files -------------------------------------------------------------------

    async def _share_events(self, nursery: trio.Nursery) -> None:
        paint: trio.CancelScope | None = None
        async for event in self.sharing.events:
            self._show_share(event)
            if isinstance(event, ViewOpened):
                self.tab.viewer.open_view(event.banner, control=event.control, post=self._post)
                if paint is None:
                    paint = trio.CancelScope()
                    nursery.start_soon(self._paint, event.view, paint)
            elif isinstance(event, ViewClosed):
                if paint is not None:
                    paint.cancel()
                    paint = None
                self.tab.viewer.close_view()
            self.refresh()

    def _post(self, message: object) -> None:
        self.bridge.call(self.sharing.send_input, message)

    async def _paint(self, view: ScreenView, scope: trio.CancelScope) -> None:
        with scope:
            while True:
                if view.frames and self.tab.viewer.viewer is not None:
                    self.tab.viewer.viewer.show_frame(view.picture())
                await view.frame_done.wait()

    def _show_share(self, event: ShareEvent) -> None:
        match event:
            case ShareNotice(text):
                # The CLI's hint on picking a monitor names a command the console has not.
                self.tab.chat.add_notice(
                    text.lstrip("*! ").removesuffix(" (/view --monitor N|all)")
                )
            case ShareRejected(sender, reason):
                self.tab.chat.add_notice(f"Dropped a message from {sender}: {reason}")

    async def _file_events(self, files: FileTransfers) -> None:
        async for event in files.events:
            self._show_file(event)
            self.refresh()

    def _show_file(self, event: FileEvent) -> None:
        match event:
            case TransferProgress(view):
                self.tab.transfers.update_view(view)
            case TransferEnded(view):
                self.tab.transfers.update_view(view)
                self.desk.transfer_ended(view)
            case AccessChanged():
                self.desk.access_changed(event)
            case FileNotice(text):
                self.tab.chat.add_notice(text.lstrip("*! "))
            case FolderListed(_, path, entries, error) if self._browsing():
                assert self.remote_files is not None
                self.remote_files.set_listing(path, entries, error)
            case FolderListed(customer, path, entries, error):
                where = path or "the shared folder"
                listing = ", ".join(e.name + ("/" if e.is_dir else "") for e in entries)
                self.tab.chat.add_notice(
                    f"{customer}: cannot list {where}: {error}"
                    if error
                    else f"{customer}: {where}: {listing or 'empty'}"
                )
