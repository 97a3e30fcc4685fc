"""``python -m peer.demo``: a relay, a rep and a customer, on this machine.

Three real programs, as a newcomer would run them by hand in three
terminals: ``helpline-relay``, ``helpline start`` and ``helpline join``.
The demo types into them and shows what each prints, then ends the session.
It says what it is doing while the programs start, and pauses between
steps so a person can read along (``--pace 0`` for none). The programs
keep their history and settings in a throwaway folder, so the demo's
session is not left in the person's own history.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import trio

from peer._config import ENV_CONFIG
from peer._console import Console, ConsoleError, open_console, python_command
from peer._history import ENV_HISTORY

__all__ = ["main"]

WIDTH = 9
#: Seconds between the demo's steps: time to read what the last one printed.
DEFAULT_PACE = 1.5
_pace = DEFAULT_PACE
DESCRIPTION = (
    "A relay, a rep (Alice) and a customer (Bob) on this machine: the demo types into "
    "the three real programs and shows what each prints. Nothing is kept afterwards."
)


def _echo(label: str, line: str) -> None:
    print(f"{label:>{WIDTH}} | {line}", flush=True)


def _narrate(text: str) -> None:
    print(f"{'':>{WIDTH}} # {text}", flush=True)


async def _type(console: Console, line: str) -> None:
    await trio.sleep(_pace)
    _echo(console.label, f"> {line}")
    await console.send(line)


async def _step(text: str) -> None:
    await trio.sleep(_pace)
    _narrate(text)


def throwaway_env(folder: Path) -> dict[str, str]:
    """Settings and history inside *folder*, never the person's own."""
    return {
        ENV_HISTORY: os.fspath(folder / "history.sqlite3"),
        ENV_CONFIG: os.fspath(folder / "config.toml"),
        "XDG_CONFIG_HOME": os.fspath(folder / "config"),
        "XDG_DATA_HOME": os.fspath(folder / "data"),
    }


async def demo() -> None:
    with tempfile.TemporaryDirectory(prefix="helpline-demo-") as folder:
        await _demo(throwaway_env(Path(folder)))


async def _demo(env: dict[str, str]) -> None:
    _narrate("Helpline demo: a relay, a rep (Alice) and a customer (Bob) on this machine")
    _narrate("Starting the relay (helpline-relay) on a free port of this machine…")
    async with open_console(
        "relay",
        python_command("relay", "--host", "127.0.0.1", "--port", "0"),
        echo=_echo,
        env=env,
    ) as relay:
        relay_url = (await relay.expect(r"^Relay listening on (ws://\S+)")).group(1)

        await _step("The rep starts a session (helpline start); the program is starting…")
        async with open_console(
            "Alice",
            python_command("peer", "start", "--relay", relay_url, "--name", "Alice"),
            echo=_echo,
            env=env,
        ) as rep:
            code = (await rep.expect(r"^Session code: (\S+)")).group(1)
            await rep.expect(r"^Waiting for someone to join")

            await _step(f"The rep reads {code} to the customer on the phone")
            await _step(f"The customer joins with the code and nothing else (helpline join {code})")
            async with open_console(
                "Bob",
                python_command("peer", "join", code, "--relay", relay_url, "--name", "Bob"),
                echo=_echo,
                env=env,
            ) as customer:
                await customer.expect(r"^Joined session \d{4}-\d{4} as Bob$")
                await rep.expect(r"^\* Bob joined \(customer\)$")
                await _step("Every chat line shows the sender's role, set by the rep's program")

                await _type(rep, "Hello Bob, this is Alice from support. What is wrong?")
                await customer.expect(r"^\[rep\] Alice: Hello Bob")
                await _type(customer, "My printer says it is offline.")
                await rep.expect(r"^\[customer\] Bob: My printer says it is offline\.$")
                await _type(rep, "/to Bob Only you can read this one.")
                await customer.expect(r"^\[rep\] Alice \(private\): Only you can read this one\.$")
                await _type(customer, "/who")
                await customer.expect(r"Alice \(rep\)")

                await _step("Only the controlling rep may end the session")
                await _type(customer, "/end")
                await customer.expect(r"only the controlling rep can end the session")
                await _step("The rep keeps notes; ending offers one last edit")
                await _type(rep, "/note Printer offline: cable was loose")
                await rep.expect(r"^Noted")
                await _type(rep, "/end")
                await rep.expect(r"^Add a note")
                await _type(rep, "Fixed; Bob will call back if it happens again")
                await customer.expect(r"^Session ended by Alice$")
                rep_exit = await rep.wait_exit()
                customer_exit = await customer.wait_exit()
        relay.signal()
        relay_exit = await relay.wait_exit()
    if (rep_exit, customer_exit, relay_exit) != (0, 0, 0):
        raise ConsoleError(
            f"unexpected exit codes: rep {rep_exit}, customer {customer_exit}, relay {relay_exit}"
        )
    _narrate("Done: chat went end-to-end encrypted through the relay, and all three exited 0.")


def main(argv: list[str] | None = None) -> None:
    global _pace
    parser = argparse.ArgumentParser(prog="./dev demo", description=DESCRIPTION)
    parser.add_argument(
        "--pace",
        type=float,
        default=DEFAULT_PACE,
        metavar="SECONDS",
        help=f"pause between steps (default {DEFAULT_PACE})",
    )
    _pace = max(0.0, parser.parse_args(argv).pace)
    try:
        trio.run(demo)
    except ConsoleError as e:
        print(f"demo failed: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
