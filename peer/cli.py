"""``helpline``: the command-line face of a session.

    helpline start [--type TYPE] [--tracking CODE] [--relay URL] [--name NAME]   (the rep)
    helpline join CODE|LINK [--relay URL] [--name NAME]   (a customer)
    helpline history [show NUMBER]                 (the rep's recorded sessions)

Lines typed are chat; ``/to NAME text``, ``/who``, ``/quit``, ``/end`` and
``/help`` are commands. Scripts read our stdout, so its line forms are
stable: ``Session code: 4821-093617``, ``Joined session 4821 as Bob``,
``NAME: text``, ``NAME (private): text``, ``Session ended by NAME``.
"""

from __future__ import annotations

import argparse
import logging
import re
import signal
import sys
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING

import trio

from codec import (
    DEFAULT_POLICY,
    BadCodeError,
    CodeCause,
    HelplineError,
    JoinTarget,
    Role,
    SessionCode,
    ShareMessage,
)
from peer._config import default_name, load_config
from peer._desk import CustomerDesk, Desk, RepDesk
from peer._errors import NotAllowedError, PeerError
from peer._events import (
    ChatReceived,
    CodeChanged,
    JoinAttemptFailed,
    JoiningPaused,
    MemberJoined,
    MemberLeft,
    MessageReceived,
    MessageRejected,
    PrimaryChanged,
    SessionEnded,
    SessionEvent,
)
from peer._gui import ViewerFace, run_trio
from peer._history_view import run_history
from peer._host import HostSession
from peer._nursery import open_task_nursery
from peer._open import open_hosted_session, open_joined_session
from peer._policy import load_policy
from peer._server_process import open_embedded_relay
from peer._share_cli import SHARE_HELP, Sharing, open_sharing, share_command, share_lines
from peer._share_rep import RepSharing

if TYPE_CHECKING:
    from codec import Policy
    from peer._config import SmtpConfig
    from peer._session import Session

__all__ = ["main"]

HELP = """\
Type a line to send it to everyone.
  /to NAME[,NAME...] text   a private message to those named
  /who            who is in the session
  /quit           leave the session (the rep's /quit ends it)
  /end            end the session for everyone (controlling rep only)
  /reopen         a fresh code, and joining reopened after a pause (rep only)
  /assistant      a code that admits one assistant (rep only)
  /primary NAME   make NAME the primary customer (rep only)"""


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        code = run_trio(_run, args)
    except HelplineError as e:
        print(f"helpline: {e}", file=sys.stderr, flush=True)
        code = 1
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="helpline", description="End-to-end encrypted remote support."
    )
    parser.add_argument(
        "--log-level", default="error", choices=["debug", "info", "warning", "error"]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", help="start a support session (the rep)")
    start.add_argument(
        "--relay",
        help="relay address, ws://HOST:PORT (default: HELPLINE_RELAY, "
        "the config file, else a relay started on this machine)",
    )
    start.add_argument("--name", help="your name as others see it")
    start.add_argument(
        "--type",
        help="session type from the site policy (default: the config file's, else the first)",
    )
    start.add_argument(
        "--tracking",
        metavar="CODE",
        help="tracking code (a ticket number); the site policy may require one",
    )
    start.add_argument(
        "--listen",
        default="127.0.0.1",
        metavar="HOST",
        help="address the built-in relay listens on (default 127.0.0.1; "
        "0.0.0.0 lets customers on other machines reach it)",
    )
    join = sub.add_parser("join", help="join a session with the code or link the rep gave you")
    join.add_argument("code", metavar="CODE|LINK", help="like 4821-093617, or the join link")
    join.add_argument("--relay", help="relay address, ws://HOST:PORT (a join link carries it)")
    join.add_argument("--name", help="your name as others see it")
    join.add_argument(
        "--assist", action="store_true", help="join as an assistant, with a code for one"
    )
    history = sub.add_parser("history", help="the sessions recorded on this machine (rep)")
    shows = history.add_subparsers(dest="history_command")
    show = shows.add_parser("show", help="one recorded session, whole")
    show.add_argument("number", metavar="NUMBER", help="the session number (or #ID)")
    for command in (start, join):
        command.add_argument(
            "--policy",
            metavar="FILE",
            help="site policy file "
            "(default: HELPLINE_POLICY, else policy.toml in the config folder)",
        )
    return parser


async def _run(args: argparse.Namespace) -> int:
    if args.command == "history":
        for line in run_history(getattr(args, "number", None)):
            _say(line)
        return 0
    config = load_config()
    policy = load_policy(args.policy)
    name = (args.name or config.name or default_name()).strip()
    if args.command == "start":
        kind = policy.start(args.type or config.session_type, args.tracking or config.tracking)
        relay = args.relay or config.relay
        return await _start(relay, name, args.listen, kind, config.smtp, policy)
    target = _join_target(args.code, args.relay or config.relay)
    return await _join(target, name, policy, assist=args.assist)


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


async def _start(
    relay: str | None,
    name: str,
    listen: str,
    kind: tuple[str, str | None],
    smtp: SmtpConfig | None = None,
    policy: Policy = DEFAULT_POLICY,
) -> int:
    async with AsyncExitStack() as stack:
        if relay is None:
            relay = await stack.enter_async_context(open_embedded_relay(listen))
            _say(f"Started a relay on this machine: {relay}")
            if listen in ("127.0.0.1", "localhost", "::1"):
                _say("(only this machine can reach it; use --listen 0.0.0.0 for others)")
        session = await stack.enter_async_context(
            open_hosted_session(relay, name, max_customers=policy.max_customers)
        )
        _say(f"Session code: {session.code}")
        _say(f"Join link: {session.link}")
        _say(f"Relay: {relay}")
        _say(f"Session type: {kind[0]}" + (f", tracking code {kind[1]}" if kind[1] else ""))
        desk = RepDesk.open(session, kind, _say, smtp, policy)
        try:
            return await _drive(session, desk)
        finally:
            desk.close(f"ended by {session.name}")
    raise AssertionError("unreachable")  # pragma: no cover


async def _join(
    target: JoinTarget, name: str, policy: Policy = DEFAULT_POLICY, *, assist: bool = False
) -> int:
    async with open_joined_session(target, name, assist=assist) as session:
        _say(f"Joined session {target.code.room} as {session.name}")
        others = [f"{m.name} ({m.role.value})" for m in session.roster() if m.id != session.id]
        _say(f"In this session: {', '.join(others)}")
        return await _drive(session, CustomerDesk(session, policy, _say))
    raise AssertionError("unreachable")  # pragma: no cover


async def _drive(session: Session, desk: Desk | None = None) -> int:
    """Run the face until the session ends or the person leaves; the exit code."""
    outcome = 0
    sharing = open_sharing(session)
    viewer = ViewerFace(sharing.send_input)
    async with open_task_nursery() as nursery:

        async def show_events() -> None:
            nonlocal outcome
            async for event in session.events:
                if isinstance(event, MessageReceived) and isinstance(event.message, ShareMessage):
                    await sharing.receive(event.sender, event.message)
                    continue
                if isinstance(event, PrimaryChanged) and isinstance(sharing, RepSharing):
                    await sharing.end_all("the primary customer changed")
                if desk is not None:
                    await desk.observe(event)
                if isinstance(event, SessionEnded):
                    outcome = _show_end(event)
                    break
                _show(session, event)
            nursery.cancel_scope.cancel()

        async def show_sharing() -> None:
            async for event in sharing.events:
                for line in share_lines(event):
                    _say(line)
                await viewer.show(event)

        async def read_commands() -> None:
            while (line := await _read_line()) is not None:
                if getattr(sharing, "asking", False):
                    await sharing.answer(line)  # type: ignore[union-attr]
                    continue
                if not await _command(session, line.rstrip("\r\n"), desk, sharing):
                    break
            else:
                await session.leave()
            nursery.cancel_scope.cancel()

        async def on_signals() -> None:
            with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                async for _ in signals:
                    await session.leave()
                    nursery.cancel_scope.cancel()

        nursery.start_soon(sharing.run)
        nursery.start_soon(viewer.run)
        nursery.start_soon(show_sharing)
        nursery.start_soon(show_events)
        nursery.start_soon(read_commands)
        nursery.start_soon(on_signals)
    return outcome


async def _command(
    session: Session, line: str, desk: Desk | None = None, sharing: Sharing | None = None
) -> bool:
    """Act on one typed line; False when the person is done."""
    word, _, rest = line.partition(" ")
    try:
        if desk is not None and await desk.answer(line):
            return True
        if not line.strip():
            return True
        if not line.startswith("/"):
            await session.send_chat(line)
            if desk is not None:
                desk.sent_chat(line)
        elif word == "/to":
            names, text = _split_recipients(session, rest)
            await session.send_chat(text, to=names)
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
            if desk is not None:
                await desk.before_end(_read_line)
            await session.leave()
            _say(
                "You left the session."
                if session.role is not Role.REP
                else f"Session ended by {session.name}"
            )
            return False
        elif word == "/end":
            if desk is not None and session.role is Role.REP:
                await desk.before_end(_read_line)
            await session.end()
            _say(f"Session ended by {session.name}")
            return False
        elif word == "/reopen":
            if not isinstance(session, HostSession):
                raise NotAllowedError("only the controlling rep can reopen joining")
            await session.reopen()
        elif word == "/assistant":
            if not isinstance(session, HostSession):
                raise NotAllowedError("only the controlling rep can issue a code for an assistant")
            await session.assistant_code()
        elif word == "/primary":
            if not isinstance(session, HostSession):
                raise NotAllowedError("only the controlling rep can choose the primary customer")
            await session.set_primary(rest.strip())
        elif word == "/help":
            _say(HELP + ("\n" + desk.help if desk is not None else ""))
            _say(SHARE_HELP[Role.REP if session.role is Role.REP else Role.CUSTOMER])
        elif (desk is not None and await desk.command(word, rest)) or (
            sharing is not None and await share_command(sharing, session, word, rest, _say)
        ):
            pass
        else:
            _say(f"Unknown command {word}; /help lists the commands")
    except PeerError as e:
        _say(f"! {e}")
    return True


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


def _show(session: Session, event: SessionEvent) -> None:
    match event:
        case ChatReceived(sender, text, private):
            tag = " (private)" if private else ""
            _say(f"{sender}{tag}: {text.replace(chr(10), ' / ')}")
        case MemberJoined(name, role):
            _say(f"* {name} joined ({role.value})")
        case MemberLeft(name, said_goodbye):
            _say(f"* {name} left" + ("" if said_goodbye else " (connection lost)"))
        case JoinAttemptFailed(reason, failures, max_failures):
            _say(f"! failed join attempt ({failures} of {max_failures}): {reason}")
        case CodeChanged(code, link, CodeCause.FOR_ASSISTANT):
            _say("* A code for one assistant (the customer's code is replaced too):")
            _say(f"Assistant code: {code}")
            _say(f"The assistant joins with: helpline join {link} --assist")
        case CodeChanged(code, link, cause):
            _say(_CODE_NOTES[cause])
            _say(f"Session code: {code}")
            _say(f"Join link: {link}")
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
}


def _show_end(event: SessionEnded) -> int:
    if event.by is not None:
        _say(f"Session ended by {event.by}")
        return 0
    print(f"helpline: {event.lost}", file=sys.stderr, flush=True)
    return 1


async def _read_line() -> str | None:
    # A thread, not an FdStream: stdin may be a file or /dev/null, which epoll refuses.
    line = await trio.to_thread.run_sync(sys.stdin.readline, abandon_on_cancel=True)
    return line or None


def _say(text: str) -> None:
    print(text, flush=True)
