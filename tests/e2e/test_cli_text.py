"""What people type reaches the other side as typed, and what cannot is refused out loud.

Real programs on pipes: text people really write (emoji sequences, Persian
with its zero-width non-joiner) is delivered; a bidi override is refused
by name before sending; an over-long line is refused whole with its length;
a name that could pose as a role never gets as far as the relay.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import pytest

from tests.e2e.workplace import CODE, machine

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from peer._console import Console

FAMILY = "family \U0001f468\u200d\U0001f469\u200d\U0001f467"
RAINBOW = "\U0001f3f3\ufe0f\u200d\U0001f308 flag"
PERSIAN = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # "I want", with a ZWNJ
SOFT_HYPHEN = "Donau\u00addampf\u00adschiff"


@asynccontextmanager
async def chatting(tmp: Path, relay: str) -> AsyncIterator[tuple[Console, Console]]:
    rep, cust = machine(tmp, "rep"), machine(tmp, "customer")
    async with rep.run("alice", "start", "--relay", relay, "--name", "Alice") as alice:
        code = (await alice.expect(rf"^Session code: {CODE}$")).group(1)
        await alice.expect(r"^Waiting for someone to join…$")
        async with cust.run("bob", "join", code, "--relay", relay, "--name", "Bob") as bob:
            await bob.expect(r"^Connecting to the relay at ws://127\.0\.0\.1:\d+…$")
            await bob.expect(r"^Checking the code with the rep…$")
            await bob.expect(r"^Joined session")
            await bob.expect(r"/help lists the commands\.$")
            await alice.expect(r"^\* Bob joined \(customer\)$")
            await alice.expect(r"/help lists the commands\.$")
            yield alice, bob


async def test_emoji_sequences_persian_and_soft_hyphens_are_delivered(
    tmp_path: Path, relay_process: str
) -> None:
    async with chatting(tmp_path, relay_process) as (alice, bob):
        for text in (FAMILY, RAINBOW, PERSIAN, SOFT_HYPHEN):
            await bob.send(text)
            line = await alice.expect(r"^\[customer\] Bob: ")
            assert line.string == f"[customer] Bob: {text}"


async def test_a_bidi_override_is_refused_by_name_before_sending(
    tmp_path: Path, relay_process: str
) -> None:
    async with chatting(tmp_path, relay_process) as (alice, bob):
        await bob.send("invoice\u202efdp.exe")
        await bob.expect(r"^! not sent: U\+202E RIGHT-TO-LEFT OVERRIDE is not allowed$")
        await bob.send("plain again")
        await alice.expect(r"^\[customer\] Bob: plain again$")
        assert not [line for line in alice.lines if "invoice" in line]


async def test_a_line_over_the_limit_is_refused_whole_with_its_length(
    tmp_path: Path, relay_process: str
) -> None:
    async with chatting(tmp_path, relay_process) as (alice, bob):
        await bob.send("x" * 100_000)
        await bob.expect(r"^! not sent: 100,000 characters is over the limit of 8,000$")
        await bob.send("y" * 8000)
        line = await alice.expect(r"^\[customer\] Bob: y")
        assert line.string == "[customer] Bob: " + "y" * 8000
        assert not [line for line in alice.lines if "xxxx" in line]


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("Alice (rep)", "may not contain the word 'rep'"),
        ("[rep] Alice", r"may not contain \[ or \]"),
        ("Bob (private)", "may not contain the word 'private'"),
        ("", "needs at least one visible character"),
    ],
)
async def test_a_name_that_could_pose_as_a_role_or_is_empty_is_refused_before_joining(
    tmp_path: Path, relay_process: str, name: str, problem: str
) -> None:
    join = ["join", "1234-5678-901-2345", "--relay", relay_process, "--name", name]
    async with machine(tmp_path, "mallory").run("mallory", *join) as mallory:
        await mallory.expect(
            rf"^helpline join: error: --name '.*' cannot be used: a name {problem}"
        )
        assert await mallory.wait_exit() == 2
        assert not [line for line in mallory.lines if line.startswith("Connecting")]
