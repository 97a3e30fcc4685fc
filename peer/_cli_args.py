"""The ``helpline`` command line: its arguments, apart from what they make it do."""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import PackageNotFoundError, version

__all__ = ["parser"]


def _version() -> str:
    try:
        return version("helpline")
    except PackageNotFoundError:  # pragma: no cover - running from a tree never installed
        return "unknown"


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="helpline", description="End-to-end encrypted remote support."
    )
    parser.add_argument("--version", action="version", version=f"helpline {_version()}")
    parser.add_argument(
        "--log-level",
        default="error",
        type=str.lower,
        choices=["debug", "info", "warning", "error"],
        help="how much to log on stderr (any case; default: error)",
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
    start.add_argument(
        "--port",
        type=int,
        metavar="N",
        help="port the built-in relay listens on (default: any free port)",
    )
    join = sub.add_parser("join", help="join a session with the code or link the rep gave you")
    join.add_argument(
        "code", metavar="CODE|LINK", nargs="?", help="like 4821-9376-309-3617, or the join link"
    )
    join.add_argument(
        "--gui",
        action="store_true",
        help="join in a window (the default when started with no terminal, e.g. from a link)",
    )
    join.add_argument("--relay", help="relay address, ws://HOST:PORT (a join link carries it)")
    join.add_argument("--name", help="your name as others see it")
    join.add_argument(
        "--assist", action="store_true", help="join as an assistant, with a code for one"
    )
    console = sub.add_parser("console", help="the rep's console: sessions in a window")
    console.add_argument(
        "--relay",
        help="relay address (default: the config file's, else one started on this machine)",
    )
    console.add_argument("--name", help="your name as others see it")
    sub.add_parser(
        "install-desktop",
        help="add Helpline to this user's menus and open helpline: links with it (no root)",
    )
    history = sub.add_parser("history", help="the sessions recorded on this machine (rep)")
    shows = history.add_subparsers(dest="history_command")
    show = shows.add_parser("show", help="one recorded session, whole")
    show.add_argument("number", metavar="NUMBER", help="the session number (or #ID)")
    for command in (start, join, console):
        command.add_argument(
            "--resume-timeout",
            type=_seconds,
            metavar="SECONDS",
            help="after a drop, how long to keep reconnecting before the session ends "
            "(default: the config file's resume_timeout, else 120)",
        )
    for command in (start, join, console):
        command.add_argument(
            "--download-dir",
            metavar="DIR",
            help="where received files go (default: Helpline in your Downloads folder)",
        )
        command.add_argument(
            "--policy",
            metavar="FILE",
            help="site policy file "
            "(default: HELPLINE_POLICY, else policy.toml in the config folder)",
        )
    # A usage error shows the command's own usage, not the top-level one.
    for command in (*sub.choices.values(), show):
        command.set_defaults(usage=command)
    return parser


def parse(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """*argv* parsed; a stray argument is refused with the command's own usage.

    No command at all (``helpline`` typed alone, as a first try) shows the
    commands, each with a line saying what it is for, rather than only
    "the following arguments are required".
    """
    if not (sys.argv[1:] if argv is None else argv):
        parser.print_help(sys.stderr)
        parser.exit(2)
    args, extra = parser.parse_known_args(argv)
    if extra:
        args.usage.error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 1 <= value <= 3600:
        raise argparse.ArgumentTypeError("give a number of seconds from 1 to 3600")
    return value
