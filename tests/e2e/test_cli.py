"""The real programs, driven through stdin and stdout exactly as a person would.

A real ``helpline-relay`` process, real ``helpline start`` and ``helpline
join`` processes; only the keyboard and the screen are scripted.
"""

from __future__ import annotations

import os
import re
import signal
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import trio

from codec import SessionCode
from peer._console import Console, open_console, python_command

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

CODE = r"(\d{4}-\d{4}-\d{3}-\d{4,})"


def _env(tmp: str) -> dict[str, str]:
    """No relay from the environment or a config file of the machine running the tests."""
    return {"HELPLINE_CONFIG": os.path.join(tmp, "none.toml"), "HELPLINE_RELAY": ""}


def wrong_code(code: str) -> str:
    """The same room with another secret of the same length."""
    return str(SessionCode.parse(code).replace_secret())


@asynccontextmanager
async def rep(relay: str | None, tmp: str, *extra: str) -> AsyncIterator[tuple[Console, str]]:
    args = ["start", "--name", "Alice", *extra]
    if relay:
        args += ["--relay", relay]
    async with open_console("rep", python_command("peer", *args), env=_env(tmp)) as console:
        code = (await console.expect(rf"^Session code: {CODE}$")).group(1)
        yield console, code


@asynccontextmanager
async def customer(
    code: str, relay: str | None, tmp: str, name: str = "Bob", *extra: str
) -> AsyncIterator[Console]:
    args = ["join", code, "--name", name, *extra] + (["--relay", relay] if relay else [])
    async with open_console(name, python_command("peer", *args), env=_env(tmp)) as console:
        yield console


async def test_rep_and_customer_chat_and_the_rep_ends_the_session(
    relay_process: str, tmp_path: os.PathLike[str]
) -> None:
    tmp = os.fspath(tmp_path)
    async with rep(relay_process, tmp) as (alice, code):
        link = (await alice.expect(r"^Join link: (helpline://\S+)$")).group(1)
        assert link == f"{relay_process.replace('ws://', 'helpline://')}/{code}?tls=off"
        async with customer(code, relay_process, tmp) as bob:
            room = SessionCode.parse(code).number
            await bob.expect(rf"^Joined session {room} as Bob$")
            await alice.expect(r"^\* Bob joined \(customer\)$")
            await alice.send("Hello Bob")
            await bob.expect(r"^\[rep\] Alice: Hello Bob$")
            await bob.send("Hi Alice")
            await alice.expect(r"^\[customer\] Bob: Hi Alice$")
            await alice.send("/to Bob a secret")
            await bob.expect(r"^\[rep\] Alice \(private\): a secret$")
            await bob.send("/who")
            await bob.expect(r"^  Alice \(rep\)$")
            await bob.expect(r"^  Bob \(customer, primary, you\)$")
            await alice.send("/end")
            await alice.expect(r"^Add a note")
            await alice.send("")
            await bob.expect(r"^Session ended by Alice$")
            assert await bob.wait_exit() == 0
            assert await alice.wait_exit() == 0


async def test_customer_end_is_refused_and_the_session_goes_on(
    relay_process: str, tmp_path: os.PathLike[str]
) -> None:
    tmp = os.fspath(tmp_path)
    async with rep(relay_process, tmp) as (alice, code), customer(code, relay_process, tmp) as bob:
        await bob.expect(r"^Joined session")
        await bob.send("/end")
        await bob.expect(r"only the controlling rep can end the session; use /quit")
        await bob.send("still here")
        await alice.expect(r"^\[customer\] Bob: still here$")


REP_ONLY = ("/end", "/reopen", "/assistant", "/primary", "/transfer-control", "/remove")


async def test_each_sides_help_lists_only_what_that_side_can_do(
    relay_process: str, tmp_path: os.PathLike[str]
) -> None:
    tmp = os.fspath(tmp_path)
    async with rep(relay_process, tmp) as (alice, code), customer(code, relay_process, tmp) as bob:
        await bob.expect(r"^Joined session")
        for console in (alice, bob):
            await console.send("/help")
            await console.send("/who")  # its answer marks the end of the help
            await console.expect(r"^  Alice \(rep")
        listed = {
            who: {line.split()[0] for line in console.lines if line.startswith("  /")}
            for who, console in (("rep", alice), ("customer", bob))
        }
        assert set(REP_ONLY) <= listed["rep"]
        assert not set(REP_ONLY) & listed["customer"]
        assert {"/to", "/who", "/quit", "/status", "/stop"} <= listed["customer"]


async def test_end_of_input_means_leave(relay_process: str, tmp_path: os.PathLike[str]) -> None:
    tmp = os.fspath(tmp_path)
    async with rep(relay_process, tmp) as (alice, code), customer(code, relay_process, tmp) as bob:
        await bob.expect(r"^Joined session")
        await bob.close_input()
        assert await bob.wait_exit() == 0
        await alice.expect(r"^\* Bob left$")


async def test_customer_joins_with_the_link_alone(
    relay_process: str, tmp_path: os.PathLike[str]
) -> None:
    tmp = os.fspath(tmp_path)
    async with rep(relay_process, tmp) as (alice, _):
        link = (await alice.expect(r"^Join link: (\S+)$")).group(1)
        async with customer(link, None, tmp) as bob:
            await bob.expect(r"^Joined session \d{4}-\d{4} as Bob$")


async def test_wrong_code_fails_on_both_sides_with_a_clear_message(
    relay_process: str, tmp_path: os.PathLike[str]
) -> None:
    tmp = os.fspath(tmp_path)
    async with rep(relay_process, tmp) as (alice, code):
        async with customer(wrong_code(code), relay_process, tmp, "Mallory") as mallory:
            await mallory.expect(r"^helpline: wrong code, or someone interfered")
            assert await mallory.wait_exit() != 0
        await alice.expect(
            r"^! Failed join attempt \(1 of 3\): someone tried a wrong session code$"
        )


async def test_three_failed_attempts_retire_the_code_and_print_a_new_one(
    relay_process: str, tmp_path: os.PathLike[str]
) -> None:
    tmp = os.fspath(tmp_path)
    async with rep(relay_process, tmp) as (alice, old):
        room = SessionCode.parse(old).number
        for _ in range(3):
            async with customer(wrong_code(old), relay_process, tmp, "Mallory") as mallory:
                assert await mallory.wait_exit() != 0
        new = (await alice.expect(rf"^Session code: {CODE}$")).group(1)
        assert new != old
        assert new.startswith(room + "-")
        async with customer(old, relay_process, tmp) as late:
            await late.expect(r"^helpline: wrong code, or someone interfered")
        async with customer(new, relay_process, tmp) as bob:
            await bob.expect(r"^Joined session")


async def test_a_code_admits_one_person_and_the_rep_is_shown_the_next(
    relay_process: str, tmp_path: os.PathLike[str]
) -> None:
    tmp = os.fspath(tmp_path)
    async with rep(relay_process, tmp) as (alice, first):
        async with customer(first, relay_process, tmp) as bob:
            await bob.expect(r"^Joined session")
            await alice.expect(r"^\* The previous code is used up \(a code admits one person\)")
            second = (await alice.expect(rf"^Session code: {CODE}$")).group(1)
            assert second != first
            async with customer(first, relay_process, tmp, "Mallory") as mallory:
                await mallory.expect(r"^helpline: wrong code, or someone interfered")
            en_dash = second.replace("-", "\N{EN DASH}")  # as a word processor writes it
            async with customer(en_dash, relay_process, tmp, "Carol") as carol:
                await carol.expect(r"^Joined session")
                await bob.expect(r"^\* Carol joined \(customer\)$")


async def test_start_without_a_relay_runs_one_on_this_machine(tmp_path: os.PathLike[str]) -> None:
    tmp = os.fspath(tmp_path)
    async with rep(None, tmp) as (alice, code):
        relay = None
        for line in alice.lines:
            if m := re.match(r"^Relay: (ws://127\.0\.0\.1:\d+)$", line):
                relay = m.group(1)
        if relay is None:
            relay = (await alice.expect(r"^Relay: (ws://127\.0\.0\.1:\d+)$")).group(1)
        async with customer(code, relay, tmp) as bob:
            await bob.expect(r"^Joined session")
            await alice.send("/quit")
            await alice.send("")
            await bob.expect(r"^Session ended by Alice$")
        assert await alice.wait_exit() == 0


async def test_a_killed_rep_takes_its_relay_with_it(tmp_path: os.PathLike[str]) -> None:
    tmp = os.fspath(tmp_path)
    async with rep(None, tmp) as (alice, _code):
        await alice.expect(r"^Waiting for someone to join")
        relays = [
            m for line in alice.lines if (m := re.match(r"^Relay: ws://127.0.0.1:(\d+)$", line))
        ]
        port = int(relays[0].group(1))
        stream = await trio.open_tcp_stream("127.0.0.1", port)  # the relay is up
        await stream.aclose()
        alice.signal(signal.SIGKILL)
        await alice.wait_exit()
        with trio.fail_after(15):
            while True:
                try:
                    stream = await trio.open_tcp_stream("127.0.0.1", port)
                except OSError:
                    break  # nobody listens there any more: the relay has gone
                await stream.aclose()
                await trio.sleep(0.1)


async def test_joining_with_a_malformed_code_explains_the_form(tmp_path: os.PathLike[str]) -> None:
    async with customer("12-ab", "ws://127.0.0.1:9", os.fspath(tmp_path)) as bob:
        await bob.expect(r"^helpline: .*15 digits in four groups of 4, 4, 3 and 4")
        assert await bob.wait_exit() == 1
