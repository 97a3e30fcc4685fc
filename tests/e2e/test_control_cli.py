"""Transfer of control with the real programs (SPEC M5): activities stop on every side."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

import trio

from peer._console import Console, open_console, python_command
from tests.e2e.test_cli import CODE, _env
from tests.x11.probe import open_probe

if TYPE_CHECKING:
    from pathlib import Path


async def printed(console: Console, *patterns: str) -> None:
    """Wait until *console* printed a line matching each pattern, in any order."""
    with trio.fail_after(10):
        while not all(any(re.search(p, line) for line in console.lines) for p in patterns):
            await console.expect(r".", within=10)


async def test_control_moves_to_the_assistant_ends_the_view_and_comes_back(
    relay_process: str, xdisplay: str, tmp_path: Path
) -> None:
    env = _env(os.fspath(tmp_path))
    relay = ["--relay", relay_process]
    start = python_command("peer", "start", "--name", "Alice", *relay)
    async with (
        open_probe(xdisplay),
        open_console("rep", start, env={**env, "DISPLAY": ""}) as alice,
    ):
        code = (await alice.expect(rf"^Session code: {CODE}$")).group(1)
        join = python_command("peer", "join", code, "--name", "Bob", *relay)
        async with open_console("Bob", join, env={**env, "DISPLAY": xdisplay}) as bob:
            await alice.expect(r"^\* Bob joined \(customer\)$")
            await alice.send("/assistant")
            assistant_code = (await alice.expect(rf"^Assistant code: {CODE}$")).group(1)
            assist = python_command("peer", "join", assistant_code, "--name", "Dave", "--assist")
            async with open_console("Dave", [*assist, *relay], env={**env, "DISPLAY": ""}) as dave:
                await bob.expect(r"^\* Dave joined \(assistant\)$")
                await alice.send("/view")
                await bob.expect(r"^Alice \(rep\) asks to view your desktop\. Allow\? \[y/N\]$")
                await bob.send("y")
                await alice.expect(r"^\* Viewing: Bob's desktop")

                await alice.send("/transfer-control Dave")
                await printed(
                    alice,
                    r"^\* Dave is the controlling rep now; you are an assistant",
                    r"^\* Sharing ended: control of the session moved to Dave$",
                )
                await printed(
                    bob,
                    r"^\* Dave is the controlling rep now \(sharing, control",
                    r"^\* Sharing stopped: control of the session moved to Dave$",
                )
                await dave.expect(r"^\* Alice handed control of the session to you")
                await dave.expect(rf"^Session code: {CODE}$")
                await bob.send("/status")
                await bob.expect(r"^Nothing is shared")

                await alice.send("/end")
                await alice.expect(r"^! only the controlling rep can end the session.*Dave can")
                await alice.send("/view")
                await alice.expect(r"^! only the controlling rep \(Dave\) can start an activity$")
                await bob.send("still there?")
                await alice.expect(r"^\[customer\] Bob: still there\?$")
                await dave.expect(r"^\[customer\] Bob: still there\?$")
                await dave.send("/view")
                await bob.expect(r"^Dave \(rep\) asks to view your desktop\. Allow\? \[y/N\]$")
                await bob.send("n")
                await dave.expect(r"declined")

                await dave.send("/transfer-control Alice")
                await alice.expect(r"^\* Dave handed control of the session to you")
                await bob.expect(r"^\* Alice is the controlling rep now")
                await dave.send("/end")
                await dave.expect(r"^! only the controlling rep can end the session")
                await alice.send("/end")
                await alice.expect(r"^Add a note")
                await alice.send("")
                await alice.expect(r"^Session ended by Alice$")
                await bob.expect(r"^Session ended by Alice$")
                await dave.expect(r"^Session ended by Alice$")
                # What crossed the transfer on the wire was dropped quietly, not reported.
                for console in (alice, bob, dave):
                    assert not [line for line in console.lines if "Dropped a message" in line]
