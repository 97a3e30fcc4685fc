"""``helpline``: the command-line face of a session.

    helpline start [--type TYPE] [--tracking CODE] [--relay URL] [--name NAME]   (the rep)
    helpline join CODE|LINK [--relay URL] [--name NAME]   (a customer)
    helpline join --gui [CODE|LINK]                (a customer, in a window)
    helpline console                               (the rep, in a window)
    helpline install-desktop                       (menu entries, helpline: links)
    helpline history [show NUMBER]                 (the rep's recorded sessions)

Lines typed are chat; ``/to NAME text``, ``/who``, ``/quit``, ``/end`` and
``/help`` are commands. At a terminal the line being typed can be edited,
earlier lines come back with Up, Tab completes commands and names, and
what arrives is printed above the line being typed; anywhere else (a pipe,
a file) lines are read as they come. Scripts read our stdout, so its line
forms are stable: ``Session code: 4821-093617``, ``Joined session 4821 as
Bob``, ``[ROLE] NAME: text``, ``[ROLE] NAME (private): text`` (the role as
the rep's program states it, e.g. ``[rep] Alice: Hello``), ``Session ended
by NAME``. Failures are one line on stderr starting ``helpline:`` and a
non-zero exit status.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import stat
import sys
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import trio

from codec import (
    DEFAULT_LIMITS,
    DEFAULT_POLICY,
    BadCodeError,
    CodeCause,
    HelplineError,
    JoinTarget,
    Role,
    SessionCode,
    SessionTimings,
    ShareMessage,
    name_problem,
)
from peer._addresses import LOOPBACK_HOSTS, WILDCARD_HOSTS, relay_urls
from peer._cli_args import parser as cli_parser
from peer._config import PeerConfig, default_name, load_config
from peer._connection import RELAY_TIMEOUT
from peer._desk import CustomerDesk, Desk, RepDesk
from peer._desktop_entry import install_desktop
from peer._errors import NotAllowedError, PeerError
from peer._events import (
    ChatReceived,
    CodeChanged,
    ControlChanged,
    JoinAttemptFailed,
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
    SessionEnded,
    SessionEvent,
)
from peer._file_commands import FileDesk, open_file_desk
from peer._file_settings import FileSettings, file_settings
from peer._gui import ViewerFace, gui_available, run_trio
from peer._history_view import run_history
from peer._malloc import keep_large_buffers
from peer._nursery import open_task_nursery
from peer._open import open_hosted_session, open_joined_session
from peer._policy import load_policy
from peer._server_process import open_embedded_relay
from peer._share_cli import SHARE_HELP, Sharing, open_sharing, share_command, share_lines
from peer._share_rep import RepSharing
from peer._terminal import LineInput, open_line_input

if TYPE_CHECKING:
    import argparse

    from codec import Policy
    from peer._config import SmtpConfig
    from peer._session import Session

__all__ = ["main"]

HELP = """\
Type a line and press Enter to send it to everyone.
  /to NAME[,NAME...] text   a private message to those named
  /who            who is in the session
  /quit           leave the session (the rep's /quit, or Ctrl-C, ends it for everyone)
  /end            end the session for everyone (controlling rep only)
  /reopen         a fresh code, and joining reopened after a pause (rep only)
  /assistant      a code that admits one assistant (rep only)
  /primary NAME   make NAME the primary customer (rep only)
  /transfer-control NAME   hand the session to the assistant NAME (rep only);
                  every activity stops, chat goes on, and you stay as an assistant"""


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
    "/invite",
    "/sysinfo",
)


def main(argv: list[str] | None = None) -> None:
    parser = cli_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    keep_large_buffers()  # file chunks and screen captures would page-fault otherwise
    try:
        nameless = args.command in ("history", "install-desktop")
        config = load_config() if not nameless else PeerConfig()
        if not nameless:
            args.name = _name(args.name, config)
        code = run_trio(_run, args, config)
    except _UsageError as e:
        parser.error(str(e))
    except HelplineError as e:
        _fail(str(e))
        code = 1
    except KeyboardInterrupt:
        _fail("stopped (Ctrl-C) before the session began")
        code = 130
    sys.exit(code)


class _UsageError(Exception):
    """A flag that cannot work; argparse prints it with the usage line."""


def _name(given: str | None, config: PeerConfig) -> str:
    """The name to use, refused here (not after connecting) when nobody could carry it."""
    if given is not None:
        source, name = "--name", given.strip()
    elif config.name is not None:
        source, name = "the config file's name", config.name.strip()
    else:
        source, name = "your login name", default_name().strip()
    problem = name_problem(name, max_chars=DEFAULT_LIMITS.max_name_chars)
    if problem is not None:
        raise _UsageError(f"{source} {name!r} cannot be used: {problem}; pass --name NAME")
    return name


async def _run(args: argparse.Namespace, config: PeerConfig) -> int:
    if args.command == "install-desktop":
        for path in install_desktop():
            _say(f"Wrote {path}")
        _say("Helpline is in your menus, and helpline: join links now open its window.")
        return 0
    if args.command == "history":
        for line in run_history(getattr(args, "number", None)):
            _say(line)
        return 0
    policy = load_policy(args.policy)
    files = file_settings(args.download_dir, policy)
    relay_timeout = config.relay_timeout or RELAY_TIMEOUT
    resume = args.resume_timeout or config.resume_timeout
    timings = SessionTimings() if resume is None else SessionTimings(resume_timeout=resume)
    if args.command == "console":
        if not gui_available():
            raise _UsageError("the console needs a display; helpline start works in a terminal")
        from peer.gui import run_console

        return await run_console(args.name, config, policy, files, relay_timeout, relay=args.relay)
    if args.command == "start":
        kind = policy.start(args.type or config.session_type, args.tracking or config.tracking)
        relay = args.relay or config.relay
        if relay is not None and args.port is not None:
            raise _UsageError("--port is for the relay started on this machine; drop --relay")
        listen = (args.listen, args.port or 0)
        return await _start(
            relay, args.name, listen, kind, relay_timeout, config.smtp, policy, files, timings
        )
    if args.gui or (_no_terminal() and gui_available()):
        return await _join_window(args, config, policy, files, relay_timeout)
    if args.code is None:
        raise _UsageError("give the code (or link) the rep gave you, or --gui for a window")
    target = _join_target(args.code, args.relay or config.relay)
    return await _join(
        target, args.name, relay_timeout, policy, files, assist=args.assist, timings=timings
    )


def _no_terminal() -> bool:
    """Started with no input at all (a desktop launcher, a clicked link), not from a shell.

    A pipe or a file on stdin is a script talking to the CLI; only a closed
    stdin or a character device that is not a terminal (/dev/null) means
    nobody could type a line.
    """
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (OSError, ValueError, AttributeError):
        return True
    return stat.S_ISCHR(mode) and not sys.stdin.isatty()


async def _join_window(
    args: argparse.Namespace,
    config: PeerConfig,
    policy: Policy,
    files: FileSettings,
    relay_timeout: float,
) -> int:
    if not gui_available():
        raise _UsageError("--gui needs a display; without one, join in the terminal with the code")
    from peer.gui import link_relay, run_customer_window

    code, relay = args.code or "", args.relay or config.relay
    if "://" in code and (bare := link_relay(code)) is not None:
        code, relay = "", relay or bare  # the relay's join page links to it without a code
    elif "://" in code:
        target = JoinTarget.from_link(code)
        code, relay = str(target.code), relay or target.relay
    return await run_customer_window(code, args.name, relay, policy, files, relay_timeout)


def _join_target(text: str, relay: str | None) -> JoinTarget:
    if "://" in text:
        target = JoinTarget.from_link(text)
        return JoinTarget(relay, target.code) if relay else target
    if relay is None:
        raise BadCodeError(
            "which relay? pass --relay ws://HOST:PORT (the rep's program prints it), "
            "or join with the link instead of the code"
        )
    return JoinTarget(relay, SessionCode.parse(text))


@dataclass
class _Face:
    """What the CLI keeps about one session while it runs."""

    lines: LineInput
    #: The relay addresses to give others (several when this machine has several).
    relays: list[str]
    desk: Desk | None = None
    #: Names of the others, for Tab; refreshed by the trio side after each event.
    names: tuple[str, ...] = ()
    #: Typed lines sent, each with the frame count once it had left.
    sent: list[tuple[int, str]] = field(default_factory=list)
    quit_asked: bool = False
    hinted: bool = False
    sharing: Sharing | None = None
    file_desk: FileDesk | None = None


async def _start(
    relay: str | None,
    name: str,
    listen: tuple[str, int],
    kind: tuple[str, str | None],
    relay_timeout: float,
    smtp: SmtpConfig | None = None,
    policy: Policy = DEFAULT_POLICY,
    files: FileSettings | None = None,
    timings: SessionTimings | None = None,
) -> int:
    async with AsyncExitStack() as stack:
        if relay is None:
            host, port = listen
            local = await stack.enter_async_context(open_embedded_relay(host, port))
            actual = urlsplit(local).port or port
            shown = relay_urls(host, actual)
            # The rep's own program talks to it over loopback whatever it listens on.
            relay = f"ws://127.0.0.1:{actual}" if host in WILDCARD_HOSTS else local
            _say(f"Started a relay on this machine: {', '.join(shown)}")
            if host in LOOPBACK_HOSTS:
                _say("(only this machine can reach it; --listen 0.0.0.0 lets others reach it)")
        else:
            shown = [relay]
        session = await stack.enter_async_context(
            open_hosted_session(
                relay,
                name,
                max_customers=policy.max_customers,
                relay_timeout=relay_timeout,
                timings=timings,
            )
        )
        _say(f"Session code: {session.code}")
        for url in shown:
            _say(f"Join link: {JoinTarget(url, session.code).link}")
        for url in shown:
            _say(f"Relay: {url}")
        _say(f"Session type: {kind[0]}" + (f", tracking code {kind[1]}" if kind[1] else ""))
        _say("Waiting for someone to join…")
        desk = RepDesk.open(session, kind, _say, smtp, policy)
        file_desk = await stack.enter_async_context(
            open_file_desk(session, files or file_settings(), _say)
        )
        try:
            return await _drive(session, shown, desk, file_desk)
        finally:
            desk.close(f"ended by {session.name}")
    raise AssertionError("unreachable")  # pragma: no cover


async def _join(
    target: JoinTarget,
    name: str,
    relay_timeout: float,
    policy: Policy = DEFAULT_POLICY,
    files: FileSettings | None = None,
    *,
    assist: bool = False,
    timings: SessionTimings | None = None,
) -> int:
    _say(f"Connecting to the relay at {target.relay}…")
    async with open_joined_session(
        target,
        name,
        assist=assist,
        timings=timings,
        relay_timeout=relay_timeout,
        on_connected=lambda: _say("Checking the code with the rep…"),
    ) as session:
        _say(f"Joined session {target.code.room} as {session.name}")
        others = [f"{m.name} ({m.role.value})" for m in session.roster() if m.id != session.id]
        _say(f"In this session: {', '.join(others)}")
        _say(HINT)
        async with open_file_desk(session, files or file_settings(), _say) as file_desk:
            return await _drive(
                session, [target.relay], CustomerDesk(session, policy, _say), file_desk
            )
    raise AssertionError("unreachable")  # pragma: no cover


async def _drive(
    session: Session,
    relays: list[str],
    desk: Desk | None = None,
    file_desk: FileDesk | None = None,
) -> int:
    """Run the face until the session ends or the person leaves; the exit code."""
    outcome = 0
    sharing = open_sharing(session)
    if file_desk is not None:
        file_desk.watch_sharing(sharing)
    viewer = ViewerFace(sharing.send_input)

    def others() -> tuple[str, ...]:
        return tuple(m.name for m in session.roster() if m.id != session.id)

    async with (
        open_line_input(COMMANDS, lambda: face.names) as lines,
        open_task_nursery() as nursery,
    ):
        face = _Face(lines, relays, desk, others(), hinted=session.role is not Role.REP)
        face.sharing = sharing
        face.file_desk = file_desk

        async def show_events() -> None:
            nonlocal outcome
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
                    _say(_control_words(session, event))
                if desk is not None:
                    await desk.observe(event)
                face.names = others()
                if isinstance(event, SessionEnded):
                    outcome = _show_end(session, event, face)
                    break
                _show(event, face)
            nursery.cancel_scope.cancel()

        async def show_sharing() -> None:
            async for event in sharing.events:
                for line in share_lines(event):
                    _say(line)
                await viewer.show(event)

        async def read_commands() -> None:
            while (line := await lines.read_line()) is not None:
                if getattr(sharing, "asking", False):
                    await sharing.answer(line)  # type: ignore[union-attr]
                    continue
                if not await _command(session, line, face):
                    break
            else:
                await session.leave()
            nursery.cancel_scope.cancel()

        async def on_signals() -> None:
            with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                async for _ in signals:
                    await session.leave()
                    _say(_left_words(session))
                    nursery.cancel_scope.cancel()

        nursery.start_soon(sharing.run)
        nursery.start_soon(viewer.run)
        nursery.start_soon(show_sharing)
        nursery.start_soon(show_events)
        nursery.start_soon(read_commands)
        nursery.start_soon(on_signals)
    return outcome


async def _command(session: Session, line: str, face: _Face) -> bool:
    """Act on one typed line; False when the person is done."""
    asked, face.quit_asked = face.quit_asked, False
    desk, sharing, file_desk = face.desk, face.sharing, face.file_desk
    word, _, rest = line.partition(" ")
    try:
        if desk is not None and await desk.answer(line):
            return True
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
            names, text = _split_recipients(session, rest)
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
                _say(f"  {m.name} ({', '.join(marks)})")
        elif word == "/quit":
            if session.role is Role.REP and face.lines.interactive and face.names and not asked:
                face.quit_asked = True
                _say(
                    f"! {', '.join(face.names)} still in the session: /quit again (or Ctrl-C) "
                    "ends it for everyone; anything else carries on."
                )
                return True
            if desk is not None:
                await desk.before_end(face.lines.read_line)
            await session.leave()
            _say(_left_words(session))
            return False
        elif word == "/end":
            if desk is not None and session.role is Role.REP:
                await desk.before_end(face.lines.read_line)
            await session.end()
            _say(f"Session ended by {session.name}")
            return False
        elif word == "/reopen":
            if not session.controlling:
                raise NotAllowedError("only the controlling rep can reopen joining")
            await session.reopen()
        elif word == "/assistant":
            if not session.controlling:
                raise NotAllowedError("only the controlling rep can issue a code for an assistant")
            await session.assistant_code()
        elif word == "/primary":
            if not session.controlling:
                raise NotAllowedError("only the controlling rep can choose the primary customer")
            await session.set_primary(rest.strip())
        elif word == "/transfer-control":
            if not session.controlling:
                raise NotAllowedError("only the controlling rep can hand control to someone")
            if not rest.strip():
                raise NotAllowedError("name the assistant: /transfer-control NAME")
            await session.transfer_control(rest.strip())
        elif word == "/help":
            _say(HELP + ("\n" + desk.help if desk is not None and desk.help else ""))
            _say(SHARE_HELP[Role.REP if session.role is Role.REP else Role.CUSTOMER])
            if file_desk is not None:
                _say(file_desk.help)
        elif (desk is not None and await desk.command(word, rest)) or (
            sharing is not None and await share_command(sharing, session, word, rest, _say)
        ):
            pass
        else:
            _say(f"Unknown command {word}; /help lists the commands")
    except PeerError as e:
        _say(f"! {e}")
    return True


def _control_words(session: Session, event: ControlChanged) -> str:
    """What each side prints when control of the session moves (SPEC M5)."""
    stopped = "sharing, control and file transfers stopped; chat goes on"
    if event.yours:
        return (
            f"* {event.former or 'The rep'} handed control of the session to you: you are "
            f"the controlling rep now ({stopped})"
        )
    if event.former == session.name:
        return (
            f"* {event.controller} is the controlling rep now; you are an assistant "
            f"({stopped}). /quit leaves; ending needs control back (/transfer-control)."
        )
    return f"* {event.controller} is the controlling rep now ({stopped})"


def _left_words(session: Session) -> str:
    """What /quit prints (and Ctrl-C): the rep's leaving ends the session."""
    if session.role is Role.REP:
        return f"Session ended by {session.name}"
    return "You left the session."


def _split_recipients(session: Session, rest: str) -> tuple[list[str], str]:
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


def _show(event: SessionEvent, face: _Face) -> None:
    match event:
        case ChatReceived(sender, text, private, role):
            # The role in brackets comes from the rep's roster; no name may hold
            # brackets or role words, so no one can forge a mark.
            mark = role.value if role is not None else "unknown"
            tag = " (private)" if private else ""
            _say(f"[{mark}] {sender}{tag}: {text.replace(chr(10), ' / ')}")
        case MemberJoined(name, role):
            _say(f"* {name} joined ({role.value})")
            if not face.hinted:
                face.hinted = True
                _say(HINT)
        case MemberLeft(name, said_goodbye):
            _say(f"* {name} left" + ("" if said_goodbye else " (connection lost)"))
        case MemberAway(name, role, seconds):
            who = "The rep's" if role is Role.REP else f"{name}'s"
            _say(f"* {who} connection dropped; waiting up to {seconds:g} s for {name} to come back")
        case MemberBack(name):
            _say(f"* {name} is back")
        case Reconnecting(reason):
            _say(f"Reconnecting… ({reason})")
        case Reconnected():
            _say("Reconnected")
        case JoinAttemptFailed(reason, failures, max_failures):
            _say(f"! failed join attempt ({failures} of {max_failures}): {reason}")
        case CodeChanged(code, _link, CodeCause.FOR_ASSISTANT):
            _say("* A code for one assistant (the customer's code is replaced too):")
            _say(f"Assistant code: {code}")
            link = JoinTarget(face.relays[0], SessionCode.parse(code)).link
            _say(f"The assistant joins with: helpline join {link} --assist")
        case CodeChanged(code, _link, cause):
            _say(_CODE_NOTES[cause])
            _say(f"Session code: {code}")
            parsed = SessionCode.parse(code)
            for url in face.relays:
                _say(f"Join link: {JoinTarget(url, parsed).link}")
        case PrimaryChanged(name):
            _say(f"* {name} is now the primary customer" if name else "* No customer is left")
        case JoiningPaused(failures):
            _say(
                f"! {failures} failed join attempts in this session: joining is paused "
                "and no code works. Type /reopen for a fresh code."
            )
        case MessageRejected(sender, reason):
            _say(f"! Rejected a message from {sender}: {reason}")


_CODE_NOTES = {
    CodeCause.USED: "* The previous code is used up (a code admits one person). For the next:",
    CodeCause.RETIRED: "! Too many failed join attempts: the old code no longer works. New code:",
    CodeCause.REOPENED: "* Joining is open again with a fresh code:",
    CodeCause.FOR_ASSISTANT: "* A code for an assistant:",
    CodeCause.TAKEN_OVER: "* You admit the next people now. The code for the next one:",
}


def _show_end(session: Session, event: SessionEnded, face: _Face) -> int:
    if event.by is not None:
        _say(f"Session ended by {event.by}")
        return 0
    advice = (
        "start a new session with helpline start"
        if session.role is Role.REP
        else "ask the rep for a new code"
    )
    _fail(f"{event.lost}; to go on, {advice}")
    lost = [text for mark, text in face.sent if mark > session.frames_confirmed]
    if lost:
        shown = " / ".join(f"{text[:60]!r}" for text in lost[:5])
        more = f" and {len(lost) - 5} more" if len(lost) > 5 else ""
        count = f"{len(lost)} typed line" + ("s" if len(lost) > 1 else "")
        _fail(f"not delivered ({count}): {shown}{more}")
    return 1


def _say(text: str) -> None:
    print(text, flush=True)


def _fail(text: str) -> None:
    print(f"helpline: {text}", file=sys.stderr, flush=True)
