"""``helpline-relay``: run a relay until SIGINT or SIGTERM.

The first line on stdout is exactly ``Relay listening on ws://HOST:PORT``
(with the real port when ``--port 0``), flushed at once, so scripts and tests
can read it. Logs go to stderr. Exit status: 0 after a signal, 2 for bad
arguments, 1 if the relay cannot listen.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from dataclasses import MISSING, fields
from typing import TYPE_CHECKING, Any, NoReturn

import trio

from relay._errors import RelaySettingsError
from relay._memory import tune_allocator
from relay._server import serve_relay
from relay._settings import RelaySettings
from relay._version import VERSION

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["main"]

logger = logging.getLogger("helpline.relay")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, not argparse's usage block: whoever launched us (a service
        # manager, a script) shows it as it is.
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="helpline-relay",
        description="Relay for Helpline sessions: routes end-to-end encrypted "
        "traffic between peers and never sees its content.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    for f in fields(RelaySettings):
        flag = "--" + f.name.replace("_", "-")
        kwargs: dict[str, Any] = {"dest": f.name, "help": f.metadata["help"]}
        assert f.default is not MISSING
        if isinstance(f.default, bool):
            kwargs["action"] = argparse.BooleanOptionalAction
        else:
            kwargs["type"] = type(f.default)
            kwargs["metavar"] = "N" if isinstance(f.default, int | float) else "ADDR"
        parser.add_argument(flag, default=f.default, **kwargs)
    parser.add_argument("--version", action="version", version=f"helpline-relay {VERSION}")
    parser.add_argument(
        "--exit-with-stdin",
        action="store_true",
        help="exit when standard input closes (for a program that runs this relay as its "
        "child: the relay then ends with it, even if it was killed)",
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        type=str.upper,
        help="how much to log on stderr",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    options = {f.name: getattr(args, f.name) for f in fields(RelaySettings)}
    try:
        settings = RelaySettings(**options)
    except RelaySettingsError as exc:
        parser.error(str(exc))
    logging.basicConfig(
        level=args.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    tune_allocator()
    problem = trio.run(_run, settings, args.exit_with_stdin)
    if problem is not None:
        print(f"helpline-relay: {problem}", file=sys.stderr)
        return 1
    return 0


async def _run(settings: RelaySettings, exit_with_stdin: bool = False) -> str | None:
    """Serve until a signal; return why the relay could not start, if it could not."""
    # Subscribe before listening so a signal sent right after the first line
    # is printed is never missed.
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with trio.open_nursery() as nursery:
            try:
                running = await nursery.start(serve_relay, settings)
            except OSError as exc:
                return (
                    f"cannot listen on {settings.host}:{settings.port}: "
                    f"{exc.strerror or exc}; choose another --host or --port"
                )
            print(f"Relay listening on {running.url}", flush=True)
            if exit_with_stdin:
                nursery.start_soon(_close_when_stdin_closes, nursery.cancel_scope)
            async for signum in signals:
                logger.info("%s received, closing connections", signal.Signals(signum).name)
                break
            nursery.cancel_scope.cancel()
    return None


async def _close_when_stdin_closes(scope: trio.CancelScope) -> None:
    # A parent killed with SIGKILL cannot stop its child, but the kernel
    # closes its end of our stdin: that end of file is the parent's death.
    async with trio.lowlevel.FdStream(os.dup(sys.stdin.fileno())) as stdin:
        while await stdin.receive_some(4096):
            pass
    logger.info("the program that started this relay has gone; closing connections")
    scope.cancel()
