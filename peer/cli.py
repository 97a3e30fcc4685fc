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
forms are stable: ``Session code: 4821-9376-309-3617``, ``Joined session 4821-9376
as Bob``, ``[ROLE] NAME: text``, ``[ROLE] NAME (private): text`` (the role as
the rep's program states it, e.g. ``[rep] Alice: Hello``), ``Session ended
by NAME``. Failures are one line on stderr starting ``helpline:`` and a
non-zero exit status.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import stat
import sys
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from codec import (
    DEFAULT_LIMITS,
    DEFAULT_POLICY,
    BadCodeError,
    HelplineError,
    JoinTarget,
    SessionCode,
    SessionTimings,
    name_problem,
)
from peer._addresses import LOOPBACK_HOSTS, WILDCARD_HOSTS, relay_urls
from peer._assist_desk import AssistantDesk
from peer._cli_args import parse
from peer._cli_args import parser as cli_parser
from peer._cli_board import drive_one
from peer._cli_face import HINT, fail, say
from peer._cli_rep import run_rep
from peer._config import PeerConfig, default_name, load_config
from peer._connection import RELAY_TIMEOUT, check_relay
from peer._desk import CustomerDesk, Desk
from peer._desktop_entry import install_desktop
from peer._file_commands import open_file_desk
from peer._file_settings import FileSettings, file_settings
from peer._gui import gui_available, run_trio
from peer._history_view import run_history
from peer._malloc import keep_large_buffers, spare_the_collector
from peer._open import open_joined_session
from peer._policy import load_policy
from peer._server_process import open_embedded_relay

if TYPE_CHECKING:
    import argparse

    from codec import Policy
    from peer._config import SmtpConfig

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    parser = cli_parser()
    args = parse(parser, argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    keep_large_buffers()  # file chunks and screen captures would page-fault otherwise
    spare_the_collector()  # full collections walked every imported object again
    try:
        nameless = args.command in ("history", "install-desktop")
        config = load_config() if not nameless else PeerConfig()
        if not nameless:
            args.name = _name(args.name, config)
        code = run_trio(_run, args, config)
    except _UsageError as e:
        args.usage.error(str(e))
    except HelplineError as e:
        fail(str(e))
        code = 1
    except KeyboardInterrupt:
        fail("stopped (Ctrl-C) before the session began")
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
            say(f"Wrote {path}")
        say("Helpline is in your menus, and helpline: join links now open its window.")
        return 0
    if args.command == "history":
        for line in run_history(getattr(args, "number", None)):
            say(line)
        return 0
    if (relay := args.relay or config.relay) is not None:
        check_relay(relay)  # before any relay, window or "Connecting…" (a link's: in _join)
    policy = load_policy(args.policy)
    files = file_settings(args.download_dir, policy)
    relay_timeout = config.relay_timeout or RELAY_TIMEOUT
    timings = SessionTimings()
    if resume := args.resume_timeout or config.resume_timeout:
        timings = dataclasses.replace(timings, resume_timeout=resume)
    if config.invitation_lifetime is not None:
        timings = dataclasses.replace(timings, invitation_lifetime=config.invitation_lifetime)
    if args.command == "console":
        if not gui_available():
            raise _UsageError("the console needs a display; helpline start works in a terminal")
        from peer.gui import run_console

        return await run_console(
            args.name, config, policy, files, relay_timeout, relay=args.relay, timings=timings
        )
    if args.command == "start":
        kind = policy.start(args.type or config.session_type, args.tracking or config.tracking)
        relay = args.relay or config.relay
        if relay is not None and args.port is not None:
            raise _UsageError("--port is for the relay started on this machine; drop --relay")
        listen = (args.listen, args.port or 0)
        return await _start(
            relay,
            args.name,
            listen,
            kind,
            relay_timeout,
            config.smtp,
            policy,
            files,
            timings,
            default_type=args.type or config.session_type,
        )
    if args.gui or (_no_terminal() and gui_available()):
        return await _join_window(args, config, policy, files, relay_timeout, timings)
    if args.code is None:
        raise _UsageError("give the code (or link) the rep gave you, or --gui for a window")
    target = _join_target(args.code, args.relay or config.relay)
    return await _join(
        target,
        args.name,
        relay_timeout,
        policy,
        files,
        assist=args.assist,
        timings=timings,
        smtp=config.smtp,
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
    timings: SessionTimings,
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
    return await run_customer_window(
        code, args.name, relay, policy, files, relay_timeout, timings=timings
    )


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
    listen: tuple[str, int],
    kind: tuple[str, str | None],
    relay_timeout: float,
    smtp: SmtpConfig | None = None,
    policy: Policy = DEFAULT_POLICY,
    files: FileSettings | None = None,
    timings: SessionTimings | None = None,
    default_type: str | None = None,
) -> int:
    async with AsyncExitStack() as stack:
        if relay is None:
            host, port = listen
            local = await stack.enter_async_context(open_embedded_relay(host, port))
            actual = urlsplit(local).port or port
            shown = relay_urls(host, actual)
            # The rep's own program talks to it over loopback whatever it listens on.
            relay = f"ws://127.0.0.1:{actual}" if host in WILDCARD_HOSTS else local
            say(f"Started a relay on this machine: {', '.join(shown)}")
            if host in LOOPBACK_HOSTS:
                say("(only this machine can reach it; --listen 0.0.0.0 lets others reach it)")
        else:
            shown = [relay]
        return await run_rep(
            relay,
            shown,
            name,
            kind,
            policy=policy,
            files=files or file_settings(),
            relay_timeout=relay_timeout,
            smtp=smtp,
            default_type=default_type,
            timings=timings,
        )
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
    smtp: SmtpConfig | None = None,
) -> int:
    check_relay(target.relay)  # an address that is no relay's is refused before 'Connecting…'
    say(f"Connecting to the relay at {target.relay}…")
    async with open_joined_session(
        target,
        name,
        assist=assist,
        timings=timings,
        relay_timeout=relay_timeout,
        on_connected=lambda: say("Checking the code with the rep…"),
        max_customers=policy.max_customers,
    ) as session:
        say(f"Joined session {target.code.number} as {session.name}")
        others = [f"{m.name} ({m.role.value})" for m in session.roster() if m.id != session.id]
        say(f"In this session: {', '.join(others)}")
        say(HINT)
        # An assistant keeps a record of its own once control comes to it (SPEC M5, I4).
        desk: Desk = (
            AssistantDesk(session, say, smtp, policy)
            if assist
            else CustomerDesk(session, policy, say)
        )
        try:
            async with open_file_desk(session, files or file_settings(), say) as file_desk:
                return await drive_one(session, [target.relay], desk, file_desk, policy)
        finally:
            ended = session.ended
            by = ended.by if ended is not None else None
            desk.close(f"ended by {by}" if by else f"{session.name} left")
    raise AssertionError("unreachable")  # pragma: no cover
