"""One session's face in the terminal: its events printed, typed lines acted on.

A :class:`Face` holds what the CLI keeps about one session (its sharing
side, desks, the names for Tab, the lines typed). :func:`run_face` prints
the session's events until it is over; :func:`command` acts on one typed
line. Every line a face prints goes through its own ``say``, which a rep
running several sessions prefixes with the session's number (SPEC M3).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import trio

from codec import (
    DEFAULT_POLICY,
    AccessState,
    CodeCause,
    JoinTarget,
    Role,
    SessionCode,
    ShareMessage,
)
from peer._errors import NotAllowedError, PeerError
from peer._events import (
    ChatReceived,
    CodeChanged,
    ControlChanged,
    JoinAttemptFailed,
    JoinerTurnedAway,
    JoiningPaused,
    MemberAway,
    MemberBack,
    MemberJoined,
    MemberLeft,
    MessageReceived,
    MessageRejected,
    PrimaryChanged,
    Reconnected,
    Reconnecting,
    RoomTaken,
    SessionEnded,
    SessionEvent,
)
from peer._gui import ViewerFace
from peer._nursery import open_task_nursery
from peer._questions import ANSWER_HELP, Question, Questions
from peer._screen import SCREEN
from peer._share_cli import SHARE_HELP, Sharing, open_sharing, share_command, share_lines
from peer._share_customer import CustomerSharing
from peer._share_events import ConsentAsked
from peer._share_rep import RepSharing

if TYPE_CHECKING:
    from collections.abc import Callable

    from codec import Policy
    from peer._desk import Desk
    from peer._file_commands import FileDesk
    from peer._session import Session
    from peer._terminal import LineInput

__all__ = [
    "COMMANDS",
    "HELP",
    "HINT",
    "Face",
    "command",
    "fail",
    "left_words",
    "open_face",
    "run_face",
    "say",
    "split_recipients",
]

HELP = """\
Type a line and press Enter to send it to everyone.
  /to NAME[,NAME...] text   a private message to those named
  /who            who is in the session
  /quit           leave the session (the rep's /quit, or Ctrl-C, ends it for everyone)"""

#: Said once to each person when the conversation can start.
HINT = "Type a message and press Enter to send it; /help lists the commands."
COMMANDS = (
    "/to",
    "/who",
    "/help",
    "/quit",
    "/end",
    "/reopen",
    "/note",
    "/notes",
    "/assistant",
    "/primary",
    "/transfer-control",
    "/remove",
    "/invite",
    "/sysinfo",
    "/new",
    "/sessions",
    "/switch",
)


def say(text: str) -> None:
    SCREEN.say(text)


def fail(text: str) -> None:
    SCREEN.fail(f"helpline: {text}")


@dataclass(eq=False)
class Face:
    """What the CLI keeps about one session while it runs."""

    session: Session
    #: The relay addresses to give others (several when this machine has several).
    relays: list[str]
    sharing: Sharing
    viewer: ViewerFace
    say: Callable[[str], None] = say
    desk: Desk | None = None
    file_desk: FileDesk | None = None
    #: Names of the others, for Tab; refreshed after each event.
    names: tuple[str, ...] = ()
    #: Typed lines sent, each with the frame count once it had left.
    sent: list[tuple[int, str]] = field(default_factory=list)
    quit_asked: bool = False
    hinted: bool = False
    #: The exit status the session's end calls for.
    outcome: int = 0
    stopped: trio.Event = field(default_factory=trio.Event)
    #: The customer's open questions, one on screen at a time (set by open_face).
    questions: Questions = field(init=False)

    def others(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.session.roster() if m.id != self.session.id)

    def stop(self) -> None:
        """The person is done with this session (it ended, or they left it)."""
        self.stopped.set()


def open_face(
    session: Session,
    relays: list[str],
    desk: Desk | None = None,
    file_desk: FileDesk | None = None,
    say: Callable[[str], None] = say,
    policy: Policy = DEFAULT_POLICY,
) -> Face:
    sharing = open_sharing(session, policy)
    if file_desk is not None:
        file_desk.watch_sharing(sharing)
    face = Face(session, relays, sharing, ViewerFace(sharing.send_input), say, desk, file_desk)
    face.questions = Questions(face.say)
    if file_desk is not None:
        file_desk.questions = face.questions
    if desk is not None:
        desk.ask_with(face.questions)
    face.names = face.others()
    face.hinted = session.role is not Role.REP
    return face


async def run_face(face: Face) -> int:
    """Print the session's events until it is over or the person is done; the exit status."""
    session, sharing = face.session, face.sharing

    async def show_events() -> None:
        async for event in session.events:
            if isinstance(event, MessageReceived) and isinstance(event.message, ShareMessage):
                await sharing.receive(event.sender, event.message)
                continue
            if isinstance(event, PrimaryChanged) and isinstance(sharing, RepSharing):
                await sharing.end_all("the primary customer changed")
            if isinstance(event, Reconnected | MemberBack) and isinstance(sharing, RepSharing):
                await sharing.restart_view()  # a fresh full frame after a drop
            if isinstance(event, ControlChanged):
                # The sharing side ended every activity already (a control hook).
                face.say(control_words(session, event))
            if face.desk is not None:
                await face.desk.observe(event)
            face.names = face.others()
            if isinstance(event, SessionEnded):
                face.outcome = show_end(face, event)
                break
            show(event, face)
            face.questions.refresh(trio.current_time())
        face.stop()

    async def show_sharing() -> None:
        async for event in sharing.events:
            if isinstance(event, ConsentAsked) and isinstance(sharing, CustomerSharing):
                face.questions.put(sharing_question(sharing, event), trio.current_time())
            else:
                for line in share_lines(event):
                    face.say(line)
            await face.viewer.show(event)
            face.questions.refresh(trio.current_time())

    async with open_task_nursery() as nursery:
        nursery.start_soon(sharing.run)
        nursery.start_soon(face.viewer.run)
        nursery.start_soon(show_sharing)
        nursery.start_soon(show_events)
        await face.stopped.wait()
        nursery.cancel_scope.cancel()
    return face.outcome


def sharing_question(sharing: CustomerSharing, event: ConsentAsked) -> Question:
    """A rep's sharing request as the customer's question; open while sharing asks it."""
    asked = sharing.question
    choices = len(event.choices)
    return Question(
        (*event.choices, event.prompt),
        event.prompt,
        lambda: asked is not None and sharing.question is asked,
        sharing.answer,
        choices,
    )


async def answer(face: Face, line: str, arrived: float) -> bool:
    """Take *line* as the answer to the question on screen; False if it answers none.

    A line that is no answer is acted on as usual by the caller, then
    :meth:`Questions.remind` names the open question once more.
    """
    face.questions.refresh(trio.current_time())
    taken = face.questions.answered_by(line, arrived)
    if taken is None:
        return False
    question, word = taken
    try:
        await question.answer(word)
    except PeerError as e:
        face.say(f"! {e}")
    face.questions.refresh(trio.current_time())
    return True


async def command(face: Face, line: str, lines: LineInput) -> bool:
    """Act on one typed line; False when the person is done with the session."""
    session, desk, sharing, file_desk = face.session, face.desk, face.sharing, face.file_desk
    asked, face.quit_asked = face.quit_asked, False
    word, _, rest = line.partition(" ")
    try:
        if file_desk is not None and await file_desk.command(line):
            return True
        if not line.strip():
            return True
        if not line.startswith("/"):
            await session.send_chat(line)
            face.sent.append((session.frames_sent, line))
            if desk is not None:
                desk.sent_chat(line)
        elif word == "/to":
            names, text = split_recipients(session, rest)
            await session.send_chat(text, to=names)
            face.sent.append((session.frames_sent, line))
            if desk is not None:
                desk.sent_chat(text, names)
        elif word == "/who":
            primary = session.primary
            for m in session.roster():
                marks = [m.role.value]
                marks += ["primary"] if primary is not None and m.id == primary.id else []
                marks += ["you"] if m.id == session.id else []
                face.say(f"  {m.name} ({', '.join(marks)})")
        elif word == "/quit":
            if session.controlling and lines.interactive and face.names and not asked:
                face.quit_asked = True
                face.say(
                    f"! {', '.join(face.names)} still in the session: /quit again (or Ctrl-C) "
                    "ends it for everyone; anything else carries on."
                )
                return True
            if desk is not None:
                await desk.before_end(lines.read_line)
            await session.leave()
            face.say(left_words(session))
            return False
        elif word == "/end":
            if desk is not None and session.controlling:
                await desk.before_end(lines.read_line)
            await session.end()
            face.say(f"Session ended by {session.name}")
            return False
        elif word in _REP_COMMANDS:
            await _rep_command(session, word, rest)
        elif word == "/help":
            face.say(HELP + ("\n" + desk.help if desk is not None and desk.help else ""))
            face.say(SHARE_HELP[Role.REP if session.role is Role.REP else Role.CUSTOMER])
            if file_desk is not None:
                face.say(file_desk.help)
            if session.role is Role.CUSTOMER:
                face.say(ANSWER_HELP)
        elif (desk is not None and await desk.command(word, rest)) or (
            await share_command(sharing, session, word, rest, face.say)
        ):
            if word in ("/stop", "/status") and (note := _file_access_note(face)):
                await sharing.tell(note)  # after /stop's own line, which sharing prints
        else:
            face.say(f"Unknown command {word}; /help lists the commands")
    except PeerError as e:
        face.say(f"! {e}")
    return True


def _file_access_note(face: Face) -> str | None:
    """The customer's reminder that /stop ends the screen, not the file access given."""
    if face.file_desk is None or face.session.role is not Role.CUSTOMER:
        return None
    gate = face.file_desk.files.gate
    names = [m.name for m in face.session.roster() if gate.access(m.id) is AccessState.GRANTED]
    if not names:
        return None
    return (
        f"{' and '.join(names)} still {'has' if len(names) == 1 else 'have'} file access "
        "(each transfer is still asked); /revoke files takes it back."
    )


_REP_COMMANDS = {
    "/reopen": "reopen joining",
    "/assistant": "issue a code for an assistant",
    "/primary": "choose the primary customer",
    "/transfer-control": "hand control to someone",
    "/remove": "remove someone from the session",
}


async def _rep_command(session: Session, word: str, rest: str) -> None:
    if not session.controlling:
        raise NotAllowedError(f"only the controlling rep can {_REP_COMMANDS[word]}")
    if word == "/reopen":
        await session.reopen()
    elif word == "/assistant":
        await session.assistant_code()
    elif word == "/primary":
        await session.set_primary(rest.strip())
    elif word == "/remove":
        if not rest.strip():
            raise NotAllowedError("name the person: /remove NAME (/who lists who is in)")
        await session.remove_member(rest.strip())
    elif not rest.strip():
        raise NotAllowedError("name the assistant: /transfer-control NAME")
    else:
        await session.transfer_control(rest.strip())


def control_words(
    session: Session,
    event: ControlChanged,
    then: str = "/quit leaves; ending needs control back (/transfer-control).",
) -> str:
    """What each side prints when control of the session moves (SPEC M5).

    *then* tells the former rep what it may do now, in its face's words.
    """
    stopped = "sharing, control and file transfers stopped; chat goes on"
    if event.yours:
        return (
            f"* {event.former or 'The rep'} handed control of the session to you: you are "
            f"the controlling rep now ({stopped})"
        )
    if event.former == session.name:
        return (
            f"* {event.controller} is the controlling rep now; you are an assistant "
            f"({stopped}). {then}"
        )
    return f"* {event.controller} is the controlling rep now ({stopped})"


def left_words(session: Session) -> str:
    """What /quit prints (and Ctrl-C): the controlling rep's leaving ends the session."""
    if session.controlling:
        return f"Session ended by {session.name}"
    return "You left the session."


def split_recipients(session: Session, rest: str) -> tuple[list[str], str]:
    """``NAME[,NAME...] text``: names may hold spaces; the longest member name wins each time."""
    names = sorted((m.name for m in session.roster() if m.id != session.id), key=len, reverse=True)
    wanted: list[str] = []
    while True:
        rest = rest.lstrip()
        match = next((n for n in names if rest.casefold().startswith(n.casefold())), None)
        after = rest[len(match) :] if match is not None else ""
        if match is None or not (after == "" or after[0] in ", "):
            token = re.split(r"[ ,]", rest, maxsplit=1)[0]
            match, after = token, rest[len(token) :]
        wanted.append(match)
        if not after.startswith(","):
            return wanted, after.strip()
        rest = after[1:]


def show(event: SessionEvent, face: Face) -> None:
    out = face.say
    match event:
        case ChatReceived(sender, text, private, role):
            # The role in brackets comes from the rep's roster; no name may hold
            # brackets or role words, so no one can forge a mark.
            mark = role.value if role is not None else "unknown"
            tag = " (private)" if private else ""
            out(f"[{mark}] {sender}{tag}: {text.replace(chr(10), ' / ')}")
        case MemberJoined(name, role):
            out(f"* {name} joined ({role.value})")
            if not face.hinted:
                face.hinted = True
                out(HINT)
        case MemberLeft(name, _, removed_by) if removed_by is not None:
            out(f"* {removed_by} removed {name} from the session")
        case MemberLeft(name, said_goodbye):
            out(f"* {name} left" + ("" if said_goodbye else " (connection lost)"))
        case MemberAway(name, role, seconds):
            who = "The rep's" if role is Role.REP else f"{name}'s"
            out(f"* {who} connection dropped; waiting up to {seconds:g} s for {name} to come back")
        case MemberBack(name):
            out(f"* {name} is back")
        case Reconnecting(reason):
            out(f"Reconnecting… ({reason})")
        case Reconnected():
            out("Reconnected")
        case RoomTaken(text):
            out(f"! Warning: {text}")
        case JoinAttemptFailed(reason, failures, max_failures):
            out(f"! Failed join attempt ({failures} of {max_failures}): {reason}")
        case JoinerTurnedAway(reason):
            out(f"! Turned away someone trying to join: {reason}")
        case CodeChanged(code, _link, CodeCause.FOR_ASSISTANT):
            out("* A code for one assistant (the customer's code is replaced too):")
            out(f"Assistant code: {code}")
            link = JoinTarget(face.relays[0], SessionCode.parse(code)).link
            out(f"The assistant joins with: helpline join {link} --assist")
        case CodeChanged(code, _link, cause):
            out(_CODE_NOTES[cause])
            out(f"Session code: {code}")
            parsed = SessionCode.parse(code)
            for url in face.relays:
                out(f"Join link: {JoinTarget(url, parsed).link}")
        case PrimaryChanged(name):
            out(f"* {name} is now the primary customer" if name else "* No customer is left")
        case JoiningPaused(failures):
            out(
                f"! {failures} failed join attempts in this session: joining is paused "
                "and no code works. Type /reopen for a fresh code."
            )
        case MessageRejected(sender, reason):
            out(f"! Rejected a message from {sender}: {reason}")


_CODE_NOTES = {
    CodeCause.USED: "* The previous code is used up (a code admits one person). For the next:",
    CodeCause.RETIRED: "! Too many failed join attempts: the old code no longer works. New code:",
    CodeCause.REOPENED: "* Joining is open again with a fresh code:",
    CodeCause.FOR_ASSISTANT: "* A code for an assistant:",
    CodeCause.TAKEN_OVER: "* You admit the next people now. The code for the next one:",
    CodeCause.MOVED: "* The session moved to a new room on the relay; the old code no longer"
    " works. For the next person:",
}


def show_end(face: Face, event: SessionEnded) -> int:
    session = face.session
    if event.by is not None:
        face.say(f"Session ended by {event.by}")
        return 0
    advice = (
        "start a new session with helpline start"
        if session.role is Role.REP
        else "ask the rep for a new code"
    )
    fail(f"{event.lost}; to go on, {advice}")
    lost = [text for mark, text in face.sent if mark > session.frames_confirmed]
    if lost:
        shown = " / ".join(f"{text[:60]!r}" for text in lost[:5])
        more = f" and {len(lost) - 5} more" if len(lost) > 5 else ""
        count = f"{len(lost)} typed line" + ("s" if len(lost) > 1 else "")
        fail(f"not delivered ({count}): {shown}{more}")
    return 1
