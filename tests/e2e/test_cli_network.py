"""When the network or the relay fails, each cause is one line that says what to do.

Real ``helpline`` processes against a real relay process that is frozen
(SIGSTOP), killed (SIGKILL) or stopped (SIGTERM), and against loopback
servers that are not relays. Each machine's config sets ``relay_timeout =
2``, so a silent relay is noticed in seconds rather than the default 20, and
``resume_timeout = 3``, so a session gives up reconnecting after 3 seconds
rather than the default 2 minutes (SPEC X3).
"""

from __future__ import annotations

import signal
import socket
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import trio

from tests.conftest import open_relay_process
from tests.e2e.workplace import CODE, machine
from tests.peer.restartable import open_restartable_relay

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from peer._console import Console
    from tests.e2e.workplace import Machine

TIMEOUT_CONFIG = "relay_timeout = 2\nresume_timeout = 3\n"
SOME_CODE = "1234-5678-901-2345"


def quick_machine(tmp: Path, who: str) -> Machine:
    m = machine(tmp, who)
    m.write_config(TIMEOUT_CONFIG)
    return m


async def failed_in_one_line(console: Console, pattern: str) -> None:
    """The program printed *pattern* on a ``helpline:`` line, exited non-zero, no traceback."""
    # Generous: a relay shutting down or a frozen one is noticed within seconds,
    # but the suite shares two cores with others.
    await console.expect(rf"^helpline: {pattern}", within=30)
    assert await console.wait_exit() != 0
    assert not [line for line in console.lines if "Traceback" in line], console.lines


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


async def serve_tcp(handler: object, task_status: trio.TaskStatus[int]) -> None:
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    task_status.started(listeners[0].socket.getsockname()[1])
    await trio.serve_listeners(handler, listeners)  # type: ignore[arg-type]


async def answer_404(stream: trio.SocketStream) -> None:
    await stream.receive_some(4096)
    await stream.send_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
    await stream.aclose()


async def never_answer(stream: trio.SocketStream) -> None:
    await trio.sleep_forever()


async def join_fails(tmp: Path, relay: str, pattern: str) -> None:
    """A customer joining through *relay* fails with *pattern* in one line."""
    async with quick_machine(tmp, "c").run("bob", "join", SOME_CODE, "--relay", relay) as bob:
        await failed_in_one_line(bob, pattern)


async def test_nothing_listening_is_a_refused_connection(tmp_path: Path) -> None:
    relay = f"ws://127.0.0.1:{free_port()}"
    await join_fails(tmp_path, relay, rf"nothing is listening at {relay} \(connection refused\)")


async def test_a_web_server_that_is_not_a_relay_is_named_so(
    tmp_path: Path, nursery: trio.Nursery
) -> None:
    relay = f"ws://127.0.0.1:{await nursery.start(serve_tcp, answer_404)}"
    await join_fails(tmp_path, relay, r".* answered, but not as a Helpline relay \(HTTP 404\)")


async def test_a_relay_that_never_answers_is_a_time_out(
    tmp_path: Path, nursery: trio.Nursery
) -> None:
    relay = f"ws://127.0.0.1:{await nursery.start(serve_tcp, never_answer)}"
    await join_fails(tmp_path, relay, rf"the relay at {relay} did not answer within 1 s")


async def test_tls_to_a_relay_without_tls_is_a_tls_failure(
    tmp_path: Path, relay_process: str
) -> None:
    relay = relay_process.replace("ws://", "wss://")
    await join_fails(
        tmp_path, relay, rf"{relay} answers without TLS; its address is {relay_process} "
    )


@asynccontextmanager
async def in_session(tmp: Path) -> AsyncIterator[tuple[trio.Process, Console, Console]]:
    """A real relay process, and Alice (rep) and Bob (customer) in a session through it."""
    rep, cust = quick_machine(tmp, "rep"), quick_machine(tmp, "customer")
    async with open_relay_process() as (relay, url):
        async with rep.run("alice", "start", "--relay", url, "--name", "Alice") as alice:
            code = (await alice.expect(rf"^Session code: {CODE}$")).group(1)
            async with cust.run("bob", "join", code, "--relay", url, "--name", "Bob") as bob:
                await alice.expect(r"^\* Bob joined")
                # In the session on both sides: a drop before Bob's roster ends his join.
                await bob.expect(r"^Joined session")
                yield relay, alice, bob


async def test_a_frozen_relay_ends_both_sides_and_names_the_lines_not_delivered(
    tmp_path: Path,
) -> None:
    async with in_session(tmp_path) as (relay, alice, bob):
        await alice.send("before the freeze")
        await bob.expect(r"^\[rep\] Alice: before the freeze$")
        # A round trip through Bob gives Alice's ping after that line time to come back.
        await bob.send("got it")
        await alice.expect(r"^\[customer\] Bob: got it$")
        relay.send_signal(signal.SIGSTOP)
        try:
            await alice.send("typed during the freeze")
            await alice.expect(r"^Reconnecting… \(the relay stopped answering")
            await failed_in_one_line(
                alice,
                r"the relay stopped answering \(no reply in 2 s\); reconnecting did not work "
                r"within 3 s \(last try: .*\); to go on, start a new session",
            )
            await alice.expect(
                r"^helpline: not delivered \(1 typed line\): 'typed during the freeze'$"
            )
            await failed_in_one_line(bob, r".*; to go on, ask the rep for a new code")
        finally:
            relay.send_signal(signal.SIGCONT)


async def test_a_killed_relay_that_stays_down_ends_both_sides_in_one_line(tmp_path: Path) -> None:
    async with in_session(tmp_path) as (relay, alice, bob):
        relay.kill()
        for console in (alice, bob):
            await console.expect(r"^Reconnecting… \(the connection to the relay broke")
        broke = (
            r"the connection to the relay broke: the relay stopped, or the network dropped; "
            r"reconnecting did not work within 3 s \(last try: nothing is listening"
        )
        await failed_in_one_line(alice, broke)
        await failed_in_one_line(bob, broke)


async def test_a_relay_restarted_on_its_port_is_found_again_and_chat_goes_on(
    tmp_path: Path,
) -> None:
    rep, cust = machine(tmp_path, "rep"), machine(tmp_path, "customer")
    for m in (rep, cust):
        m.write_config("relay_timeout = 2\nresume_timeout = 60\n")
    async with open_restartable_relay() as relay:
        async with rep.run("alice", "start", "--relay", relay.url, "--name", "Alice") as alice:
            code = (await alice.expect(rf"^Session code: {CODE}$")).group(1)
            async with cust.run("bob", "join", code, "--relay", relay.url, "--name", "Bob") as bob:
                await alice.expect(r"^\* Bob joined")
                await bob.expect(r"^Joined session")
                await relay.kill()
                for console in (alice, bob):
                    await console.expect(r"^Reconnecting… \(the connection to the relay broke")
                await bob.send("typed while the relay was down")
                await relay.start()
                for console in (alice, bob):
                    await console.expect(r"^Reconnected$", within=30)
                await alice.expect(r"^\[customer\] Bob: typed while the relay was down$")
                await alice.send("and after")
                await bob.expect(r"^\[rep\] Alice: and after$")
                after = alice.lines[alice.lines.index("Reconnected") :]
                assert not [line for line in after if "Session code" in line]  # no new code


async def test_a_relay_shutting_down_says_so(tmp_path: Path) -> None:
    async with in_session(tmp_path) as (relay, alice, bob):
        # Let the join's traffic settle first: a relay closing while it answers a
        # ping crashes in trio-websocket (a relay bug of its own, not this test's).
        await alice.send("about to stop the relay")
        await bob.expect(r"^\[rep\] Alice: about to stop the relay$")
        relay.terminate()
        gave_up = r"the relay is shutting down; reconnecting did not work within 3 s .*"
        await failed_in_one_line(alice, gave_up + r"; to go on, start")
        await failed_in_one_line(bob, gave_up + r"; to go on, ask")
