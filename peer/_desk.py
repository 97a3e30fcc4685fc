"""The desks: what the CLI hands the support workflow (records, notes, system information).

The CLI gives its desk every event, every typed line first (a pending
question takes it as the answer) and every command it does not know.
:class:`RepDesk` keeps the history record (:mod:`peer._history`), answers
``/note``, ``/notes``, ``/invite`` and ``/sysinfo``; ending offers the rep
one last look at the notes (SPEC S5): a typed line adds a note, ``=TEXT``
replaces them all, an empty line keeps them as they are.
:class:`CustomerDesk` answers the rep's system information requests.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, NamedTuple

from codec import (
    DEFAULT_POLICY,
    JoinTarget,
    PolicyRefusalError,
    Role,
    SysinfoRefused,
    SysinfoReport,
    SysinfoRequest,
    text_problem,
)
from peer._errors import InvalidMessageError, NotAllowedError
from peer._events import (
    ChatReceived,
    ControlChanged,
    InvitationEnded,
    MemberJoined,
    MemberLeft,
    MessageReceived,
    SessionEnded,
)
from peer._history import HistoryError, HistoryStore, history_path
from peer._invite import Invitation, InviteError, open_mailto, send_smtp
from peer._share_rep import RepSharing
from peer._sysinfo_desk import SysinfoRequester, SysinfoResponder

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from codec import Policy, SessionCode
    from peer._config import SmtpConfig
    from peer._events import SessionEvent
    from peer._file_commands import FileDesk
    from peer._file_events import AccessChanged, TransferView
    from peer._history import Recorder
    from peer._questions import Questions
    from peer._session import MemberSession, Session
    from peer._share_cli import Sharing

__all__ = ["MAX_NOTE_CHARS", "CustomerDesk", "Desk", "OpenInvitation", "RepDesk"]

log = logging.getLogger("helpline.peer")

MAX_NOTE_CHARS = 2000

HELP = """\
  /end            end the session for everyone
  /reopen         a fresh code, and joining reopened after a pause
  /assistant      a code that admits one assistant
  /primary NAME   make NAME the primary customer
  /transfer-control NAME   hand the session to the assistant NAME;
                  every activity stops, chat goes on, and you stay as an assistant
  /remove NAME    put NAME out of the session; they are told you removed them
  /note TEXT      add a line to this session's notes
  /notes          show this session's notes
  /invite link    a join link with a code of its own, to paste into a message
  /invite email ADDRESS [--rep]   e-mail an invitation (--rep: another rep, as an assistant)
  /invite list    the invitations still open, numbered
  /invite cancel N   withdraw invitation N: its code admits nobody from now on
  /sysinfo [NAME] ask the customer (the first to join, or NAME) for system information"""

SYSINFO_MESSAGES = (SysinfoRequest, SysinfoReport, SysinfoRefused)

INVITE_USAGE = "usage: /invite link, /invite email ADDRESS [--rep], /invite list, /invite cancel N"

END_PROMPT = "Add a note (or =TEXT to replace them all); an empty line keeps them as they are:"


class OpenInvitation(NamedTuple):
    """An invitation whose code still admits someone, in words: whom, and for how long."""

    code: SessionCode
    #: "a customer" or "an assistant".
    whom: str
    #: "23 h 59 min", "less than a minute": rounded down.
    left: str


class Desk:
    """What every desk offers the CLI; each method does nothing unless a desk needs it."""

    help = ""

    def watch(self, sharing: Sharing, file_desk: FileDesk | None) -> None:
        """Hear what the sharing and file sides have to say (for the record)."""

    async def observe(self, event: SessionEvent) -> None:
        """See each session event before the CLI shows it."""

    def ask_with(self, questions: Questions) -> None:
        """Put the desk's questions to the person through *questions* (the command line)."""

    async def answer(self, line: str) -> bool:
        """Take a typed line as the answer to a pending question; False if none is pending."""
        return False

    async def command(self, word: str, rest: str) -> bool:
        """Handle *word* if it is the desk's; False leaves it to the CLI."""
        return False

    def sent_chat(self, text: str, to: Sequence[str] = ()) -> None:
        """The person sent *text* (to everyone, or privately to *to*)."""

    async def before_end(self, read_line: Callable[[], Awaitable[str | None]]) -> None:
        """The person is about to end or leave the session."""

    def close(self, how: str) -> None:
        """The session is over (*how* says how)."""


class CustomerDesk(Desk):
    def __init__(self, session: MemberSession, policy: Policy, say: Callable[[str], None]) -> None:
        self.sysinfo = SysinfoResponder(session, policy, say)
        # A hook, not an event seen later: no answer may slip in between (SPEC M5).
        session.control_hooks.append(self.sysinfo.control_moved)

    async def observe(self, event: SessionEvent) -> None:
        if isinstance(event, MessageReceived) and isinstance(event.message, SYSINFO_MESSAGES):
            await self.sysinfo.received(event.sender, event.message)

    def ask_with(self, questions: Questions) -> None:
        self.sysinfo.ask_with(questions)

    async def answer(self, line: str) -> bool:
        return await self.sysinfo.answer(line)


class RepDesk(Desk):
    """The controlling rep's desk: the one who started the session, or one handed control.

    It asks *session* only what every session answers for whoever controls it
    now (code, roster, invitations), so an assistant's session serves as well.
    """

    def __init__(
        self,
        session: Session,
        recorder: Recorder | None,
        say: Callable[[str], None],
        smtp: SmtpConfig | None = None,
        policy: Policy = DEFAULT_POLICY,
    ) -> None:
        self.session = session
        self.recorder = recorder
        self.smtp = smtp
        self._say = say
        self.sysinfo = SysinfoRequester(session, policy, say, lambda: self.recorder)
        self._notes: list[str] = []
        self._closed = False

    @classmethod
    def open(
        cls,
        session: Session,
        kind: tuple[str, str | None],
        say: Callable[[str], None],
        smtp: SmtpConfig | None = None,
        policy: Policy = DEFAULT_POLICY,
    ) -> RepDesk:
        """A desk recording into the user's history file (or, if that fails, nowhere)."""
        try:
            store = HistoryStore(history_path())
            recorder = store.begin(
                number=session.code.number,
                session_type=kind[0],
                tracking=kind[1],
                rep=session.name,
                relay=session.relay,
            )
        except HistoryError as e:
            say(f"! This session is not recorded: {e}")
            recorder = None
        return cls(session, recorder, say, smtp, policy)

    help = HELP

    # What the CLI hands over -----------------------------------------------------

    async def observe(self, event: SessionEvent) -> None:
        match event:
            case MessageReceived(sender, message) if isinstance(message, SYSINFO_MESSAGES):
                self.sysinfo.received(sender, message)
            case InvitationEnded(code, "expired"):
                self._say(f"* The invitation with the code {code} expired unused.")
            case InvitationEnded(code, "withdrawn"):
                self._say(f"* The invitation with the code {code} is withdrawn: it admits nobody.")
            case InvitationEnded(code, _):
                self._say(
                    f"! The invitation with the code {code} had too many failed join attempts "
                    "and no longer works; invite again if it is still needed."
                )
            case ChatReceived(sender, text, private, _role, to):
                recipients = list(to or [self.session.name]) if private else []
                self._record(lambda r: r.chat(sender, text, recipients))
            case MemberJoined(name, role):
                self._record(lambda r: r.joined(name, role.value))
            case MemberLeft(name, said_goodbye, removed_by):
                how = "left" if said_goodbye else "connection lost"
                how = f"removed by {removed_by}" if removed_by else how
                self._record(lambda r: r.left(name, how))
                self.sysinfo.member_left(name)
            case ControlChanged(controller, _yours, former):
                former_name = former or "the rep"
                self._record(lambda r: r.control(former=former_name, controller=controller))
            case SessionEnded(by, lost):
                self.close(f"ended by {by}" if by else f"connection lost: {lost}")

    # What the sharing and file sides tell the record (SPEC I4) --------------------

    def watch(self, sharing: Sharing, file_desk: FileDesk | None) -> None:
        if isinstance(sharing, RepSharing):
            sharing.on_consent = self.consent_changed
        if file_desk is not None:
            file_desk.on_ended = self.transfer_ended
            file_desk.on_access = self.access_changed

    def record_present(self, name: str, role: str) -> None:
        """*name* was in the session when this record began (a rep who took control)."""
        self._record(lambda r: r.joined(name, role))

    def consent_changed(self, customer: str, activity: str, how: str) -> None:
        """A customer allowed, refused or revoked a screen activity, or could not share one."""
        granted = how == "allowed"
        self._record(
            lambda r: r.consent(customer=customer, activity=activity, granted=granted, how=how)
        )

    def access_changed(self, change: AccessChanged) -> None:
        """A customer granted file access (F2), or refused or withdrew it."""
        # The customer's program says which in words: "... revoked file access".
        revoked = "revoked" in change.reason
        how = "allowed" if change.granted else ("revoked" if revoked else "refused")
        self._record(
            lambda r: r.consent(
                customer=change.customer, activity="file access", granted=change.granted, how=how
            )
        )

    def transfer_ended(self, view: TransferView) -> None:
        """A file transfer ended: its name, size, digest and how it ended."""
        direction = f"to {view.peer}" if view.sending else f"from {view.peer}"
        outcome = view.state + (f": {view.reason}" if view.reason else "")
        digest = f"sha256:{view.digest}" if view.digest else "no digest (it did not finish)"
        self._record(
            lambda r: r.transfer(
                direction=direction,
                name=view.name,
                size=view.size,
                digest=digest,
                outcome=outcome,
            )
        )

    def sent_chat(self, text: str, to: Sequence[str] = ()) -> None:
        self._record(lambda r: r.chat(self.session.name, text, list(to)))

    async def command(self, word: str, rest: str) -> bool:
        if word == "/sysinfo":
            try:
                await self.sysinfo.ask(rest)
            except PolicyRefusalError as e:
                raise NotAllowedError(str(e)) from None
        elif word == "/note":
            self.add_note(rest)
            self._say(f"Noted ({_count(self._notes)}).")
        elif word == "/notes":
            self.show_notes()
        elif word == "/invite":
            await self.invite(rest.split())
        else:
            return False
        return True

    async def before_end(self, read_line: Callable[[], Awaitable[str | None]]) -> None:
        """Offer to add or edit the notes once, before the session closes."""
        self.show_notes()
        self._say(END_PROMPT)
        line = await read_line()
        text = (line or "").strip()
        try:
            if text.startswith("="):
                self.replace_notes([text[1:].strip()] if text[1:].strip() else [])
            elif text:
                self.add_note(text)
            else:
                return
        except InvalidMessageError as e:
            self._say(f"! {e}; the notes are kept as they were")
            return
        self._say(f"Notes saved ({_count(self._notes)}).")

    def close(self, how: str) -> None:
        if not self._closed:
            self._closed = True
            self._record(lambda r: r.end(how))

    # Invitations -----------------------------------------------------------------

    async def invite(self, args: list[str]) -> None:
        """Each invitation gets a code of its own; the code the rep reads out stays as it is."""
        if args == ["list"]:
            self._list_invitations()
            return
        if len(args) == 2 and args[0] == "cancel":
            await self._withdraw(args[1])
            return
        if args == ["link"]:
            code, link = await self.new_invitation(Role.CUSTOMER)
            self._say(f"Join link: {link}")
            self._say(f"* The link's code, {code}, {self._admits('one person')}")
            return
        if len(args) < 2 or args[0] != "email" or set(args[2:]) - {"--rep"}:
            raise InviteError(INVITE_USAGE)
        assist = "--rep" in args[2:]
        # Checked before a code is minted: a typo must not hold one of the session's slots.
        invitation = Invitation.to(args[1], rep=self.session.name, code="", link="", assist=assist)
        code, link = await self.new_invitation(Role.ASSISTANT if assist else Role.CUSTOMER)
        invitation = dataclasses.replace(invitation, code=str(code), link=link)
        if self.smtp is not None:
            await send_smtp(invitation, self.smtp)
            self._say(f"Sent an invitation to {invitation.address} via {self.smtp.host}.")
        elif await open_mailto(invitation):
            self._say(f"Opened your mail program with an invitation to {invitation.address}.")
        else:
            self._say("! No mail program could be opened; send the link yourself.")
        self._say(f"Join link: {link}")
        whom = "one assistant" if assist else "one person"
        self._say(f"* The invitation's code, {code}, {self._admits(whom)}")

    def open_invitations(self) -> list[OpenInvitation]:
        """The invitations whose codes still admit someone, soonest to expire first."""
        return [
            OpenInvitation(
                code,
                "an assistant" if role is Role.ASSISTANT else "a customer",
                _time_left(left),
            )
            for code, role, left in self.session.invitations()
        ]

    def _list_invitations(self) -> None:
        listed = self.open_invitations()
        if not listed:
            self._say("No invitation is open.")
            return
        for n, open_one in enumerate(listed, 1):
            self._say(f"  {n}. {open_one.code} for {open_one.whom}, open {open_one.left} more")

    async def _withdraw(self, number: str) -> None:
        listed = self.session.invitations()
        if not number.isdecimal() or not 1 <= int(number) <= len(listed):
            raise InviteError(
                f"no open invitation is numbered {number!r}; /invite list shows them"
                if listed
                else "no invitation is open"
            )
        await self.session.withdraw_invitation(listed[int(number) - 1][0])

    async def new_invitation(self, role: Role) -> tuple[SessionCode, str]:
        """A code of its own for one *role*, and its join link."""
        code = await self.session.invite(role)
        return code, JoinTarget(self.session.relay, code).link

    def _admits(self, whom: str) -> str:
        hours = self.session.rules.timings.invitation_lifetime / 3600
        return f"is its own: it admits {whom} within {hours:g} hours."

    # Notes -----------------------------------------------------------------------

    @property
    def notes(self) -> list[str]:
        return list(self._notes)

    def add_note(self, text: str) -> None:
        text = _note_text(text)
        self._notes.append(text)
        self._record(lambda r: r.note(text))

    def replace_notes(self, lines: Sequence[str]) -> None:
        cleaned = [_note_text(line) for line in lines]
        self._notes = cleaned
        self._record(lambda r: r.replace_notes(cleaned))

    def show_notes(self) -> None:
        if not self._notes:
            self._say("No notes yet (/note TEXT adds one).")
            return
        self._say("Notes:")
        for number, note in enumerate(self._notes, start=1):
            self._say(f"  {number}. {note}")

    def _record(self, write: Callable[[Recorder], None]) -> None:
        if self.recorder is None:
            return
        try:
            write(self.recorder)
        except HistoryError as e:
            # The session matters more than its record: say so once and go on.
            log.warning("history: %s", e)
            self._say(f"! The history record stops here: {e}")
            self.recorder = None


def _note_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise InvalidMessageError("a note needs some text: /note TEXT")
    if problem := text_problem(text, max_chars=MAX_NOTE_CHARS, multiline=False):
        raise InvalidMessageError(f"the note is refused: {problem}")
    return text


def _time_left(seconds: float) -> str:
    minutes = int(seconds // 60)  # rounded down: never promise more time than there is
    if minutes < 1:
        return "less than a minute"
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def _count(notes: Sequence[str]) -> str:
    return f"{len(notes)} note" + ("" if len(notes) == 1 else "s")
