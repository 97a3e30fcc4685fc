"""Screen sharing through the real programs: the customer's question, the status lines,
/snapshot on a rep with no display, /stop on either side (SPEC R1, R2)."""

from __future__ import annotations

import os
import re
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import numpy as np
import trio
from PIL import Image

from peer._console import Console, open_console, python_command
from tests.e2e.test_cli import CODE, _env
from tests.sharing.pair import display_pixels
from tests.x11.probe import open_probe

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path


@asynccontextmanager
async def rep_and_customer(
    relay: str, tmp: str, display: str
) -> AsyncIterator[tuple[Console, Console]]:
    env = _env(tmp)
    rep_args = python_command("peer", "start", "--name", "Alice", "--relay", relay)
    async with open_console("rep", rep_args, env={**env, "DISPLAY": ""}) as alice:
        code = (await alice.expect(rf"^Session code: {CODE}$")).group(1)
        bob_args = python_command("peer", "join", code, "--name", "Bob", "--relay", relay)
        async with open_console("Bob", bob_args, env={**env, "DISPLAY": display}) as bob:
            await alice.expect(r"^\* Bob joined \(customer\)$")
            yield alice, bob


async def test_the_customer_allows_a_view_and_the_rep_saves_what_it_sees(
    relay_process: str, xdisplay: str, tmp_path: Path
) -> None:
    async with (
        open_probe(xdisplay) as _probe,
        rep_and_customer(relay_process, os.fspath(tmp_path), xdisplay) as (alice, bob),
    ):
        await alice.send("/view")
        await bob.expect(r"^Alice \(rep\) asks to view your desktop\. Allow\? \[y/N\]$")
        await bob.send("y")
        await bob.expect(r"^\* Sharing: Alice views your desktop \(no control\)$")
        await alice.expect(r"^\* Viewing: Bob's desktop — view only$")
        await alice.send("/status")
        await alice.expect(r"^Bob: you may view their desktop \(view only\)$")
        await bob.send("/status")
        await bob.expect(r"^Alice views your desktop \(no control\)$")
        shot = tmp_path / "bob.png"
        expected = display_pixels(xdisplay)
        for _ in range(50):  # the first frames may still be on their way
            await alice.send(f"/snapshot {shot}")
            await alice.expect(rf"^(Saved 1280x800 to {shot}|! no picture yet.*)$")
            if shot.exists() and np.array_equal(np.asarray(Image.open(shot)), expected):
                break
            await trio.sleep(0.2)
        assert np.array_equal(np.asarray(Image.open(shot)), expected)
        await bob.send("/stop")
        await bob.expect(r"^\* Sharing stopped: nothing is shared\.$")
        await alice.expect(r"^\* Bob stopped sharing: nothing is shared\.$")
        await alice.send("/status")
        await alice.expect(r"^Nothing is shared\.$")


async def test_a_refusal_is_the_default_answer(
    relay_process: str, xdisplay: str, tmp_path: Path
) -> None:
    async with rep_and_customer(relay_process, os.fspath(tmp_path), xdisplay) as (alice, bob):
        await alice.send("/control")
        await bob.expect(r"asks to control your desktop .*Allow\? \[y/N\]$")
        await bob.send("")  # just Enter
        await bob.expect(r"^You declined: Alice may not control your desktop")
        await alice.expect(
            r"^Bob declined: you may not control their desktop \(mouse, keyboard, clipboard\)\.$"
        )
        await alice.send("/snapshot nothing.png")
        await alice.expect(r"^! no screen is being viewed; /view first$")


async def test_choosing_another_primary_customer_ends_the_sharing(
    relay_process: str, xdisplay: str, tmp_path: Path
) -> None:
    tmp = os.fspath(tmp_path)
    async with rep_and_customer(relay_process, tmp, xdisplay) as (alice, bob):
        await alice.send("/view")
        await bob.expect(r"Allow\? \[y/N\]$")
        await bob.send("y")
        await alice.expect(r"^\* Viewing: Bob's desktop")
        codes = [m[1] for line in alice.lines if (m := re.match(rf"^Session code: {CODE}$", line))]
        carol = ["join", codes[-1], "--name", "Carol", "--relay", relay_process]  # the next code
        carol_argv = python_command("peer", *carol)
        async with open_console("Carol", carol_argv, env={**_env(tmp), "DISPLAY": ""}):
            await alice.expect(r"^\* Carol joined \(customer\)$")
            await alice.send("/primary Carol")
            await alice.expect(r"^\* Sharing ended: the primary customer changed$")
            await bob.expect(r"^\* Sharing stopped by Alice: nothing is shared\.$")
