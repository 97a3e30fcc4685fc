"""Three relays behind Debian's nginx, configured from docs/examples/nginx-helpline.conf.

nginx runs as the test's own process on a free loopback port with a
temporary prefix (no root paths); the relays are real processes. Every pair
of many sessions must meet through nginx, and the same check run against a
round-robin configuration must fail, which shows that it can. Killing one
of the three relays moves only its sessions: they reconnect through nginx
to another relay and resume (SPEC X3), while the others notice nothing.
"""

from __future__ import annotations

import shutil
import subprocess
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import trio

from codec import (
    CreateRoom,
    Delivered,
    JoinRoom,
    JoinTarget,
    MemberJoined,
    RelayRejected,
    Send,
    SessionTimings,
    Welcome,
    decode_relay_envelope,
    encode_envelope,
)
from peer._events import ChatReceived, MemberAway, MemberLeft, Reconnected, Reconnecting
from peer._events import MemberJoined as SomeoneJoined
from peer._open import open_hosted_session, open_joined_session
from tests.conftest import free_port, open_relay_process
from tests.peer.helpers import next_event, pending_events
from tests.relay.clients import WAIT, metric, open_member, open_ws, refused

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from peer._events import SessionEvent
    from peer._session import Session

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "nginx-helpline.conf"
SESSIONS = 24
#: Real sessions (a rep and a customer each) for the kill-one-relay test.
KILL_SESSIONS = 8
RESUME = SessionTimings(resume_timeout=60.0)
#: What a session on a relay that kept running must never see.
DISTURBED = (Reconnecting, Reconnected, MemberAway, MemberLeft)
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
RELAY_FLAGS = (
    "--trust-forwarded-for",
    "--failed-joins-per-minute",
    "1000",
    "--rooms-per-minute",
    "1000",
)

pytestmark = pytest.mark.skipif(
    not Path(NGINX).exists(), reason="nginx is not installed (./dev test installs it as root)"
)


def site_config(relay_ports: list[int], listen_port: int, *, round_robin: bool = False) -> str:
    """The shipped example with our ports, plain HTTP on loopback instead of TLS on 443."""
    lines = []
    for line in EXAMPLE.read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith(("listen ", "ssl_")):
            continue
        if stripped.startswith("server 127.0.0.1:"):
            continue
        if round_robin and stripped.startswith("hash "):
            continue
        lines.append(line)
        if stripped.startswith("upstream "):
            lines += [f"    server 127.0.0.1:{port};" for port in relay_ports]
        if stripped == "server {":
            lines.append(f"    listen 127.0.0.1:{listen_port};")
    return "\n".join(lines) + "\n"


@asynccontextmanager
async def open_nginx(prefix: Path, site: str, port: int) -> AsyncIterator[str]:
    (prefix / "helpline.conf").write_text(site)
    temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
    (prefix / "nginx.conf").write_text(
        "daemon off;\nworker_processes 1;\n"
        f"pid {prefix}/nginx.pid;\nerror_log {prefix}/error.log warn;\n"
        "events { worker_connections 512; }\n"
        "http {\n    access_log off;\n"
        + "".join(f"    {t}_temp_path {prefix}/{t};\n" for t in temp)
        + f"    include {prefix}/helpline.conf;\n}}\n"
    )
    process = await trio.lowlevel.open_process(
        [
            NGINX,
            "-p",
            str(prefix),
            "-c",
            str(prefix / "nginx.conf"),
            "-e",
            str(prefix / "error.log"),
        ],
        stdin=subprocess.DEVNULL,
    )
    try:
        with trio.fail_after(WAIT * 2):
            while True:
                assert process.poll() is None, (prefix / "error.log").read_text()
                try:
                    stream = await trio.open_tcp_stream("127.0.0.1", port)
                except OSError:
                    await trio.sleep(0.05)
                    continue
                await stream.aclose()
                break
        yield f"ws://127.0.0.1:{port}"
    finally:
        with trio.CancelScope(shield=True):
            process.terminate()
            with trio.move_on_after(5):
                await process.wait()
            if process.returncode is None:
                process.kill()
                await process.wait()


@asynccontextmanager
async def open_relays_behind_nginx(
    tmp_path: Path, *, round_robin: bool = False, processes: list[trio.Process] | None = None
) -> AsyncIterator[tuple[str, list[str]]]:
    """Three relays and nginx in front; yields nginx's URL and the relays' own.

    *processes*, if given, is filled with the relays' processes, in order.
    """
    async with AsyncExitStack() as stack:
        started = [
            await stack.enter_async_context(open_relay_process(*RELAY_FLAGS)) for _ in range(3)
        ]
        relays = [url for _, url in started]
        if processes is not None:
            processes.extend(process for process, _ in started)
        ports = [int(url.rsplit(":", 1)[1]) for url in relays]
        port = free_port()
        site = site_config(ports, port, round_robin=round_robin)
        url = await stack.enter_async_context(open_nginx(tmp_path, site, port))
        yield url, relays


async def pairs_that_meet(url: str, sessions: int) -> int:
    """Open *sessions* rooms through *url*, all at once; how many rep/customer pairs meet."""
    met = 0
    async with AsyncExitStack() as stack:
        for i in range(sessions):
            room = f"scale{i}"
            rep = await stack.enter_async_context(open_member(url, room, create=True))
            customer_ws = await stack.enter_async_context(open_ws(url, room))
            await customer_ws.send_message(encode_envelope(JoinRoom()))
            with trio.fail_after(WAIT):
                data = await customer_ws.get_message()
            assert isinstance(data, bytes)
            first = decode_relay_envelope(data)
            if not isinstance(first, Welcome):
                assert isinstance(first, RelayRejected), first
                assert first.reason == "no-such-room"
                continue
            assert await rep.receive() == MemberJoined(first.id)
            await customer_ws.send_message(encode_envelope(Send(rep.id, b"hello")))
            assert await rep.receive() == Delivered(first.id, b"hello")
            met += 1
    return met


async def test_every_pair_meets_through_nginx_hashing_on_the_room(tmp_path: Path) -> None:
    async with open_relays_behind_nginx(tmp_path) as (url, relays):
        with trio.fail_after(60):
            assert await pairs_that_meet(url, SESSIONS) == SESSIONS
            # And the sessions were spread over all three relays.
            totals = [await metric(relay, "connections_total") for relay in relays]
            assert all(total > 2 for total in totals), totals


async def test_the_same_check_fails_behind_round_robin(tmp_path: Path) -> None:
    async with open_relays_behind_nginx(tmp_path, round_robin=True) as (url, _):
        with trio.fail_after(60):
            assert await pairs_that_meet(url, SESSIONS) < SESSIONS


async def test_a_refusal_still_reaches_the_client_through_nginx(tmp_path: Path) -> None:
    async with open_relays_behind_nginx(tmp_path) as (url, _):
        with trio.fail_after(30):
            async with open_ws(url, "nobody") as ws:
                rejection, close = await refused(ws, Send(1, b"x"))
                assert rejection.reason == "not-joined"
                assert close == 1008


async def owner_of(relays: list[str], room: str) -> str:
    """Which relay holds *room*: the one that says it exists (a probe creates nothing lasting)."""
    for relay in relays:
        async with open_ws(relay, room) as ws:
            await ws.send_message(encode_envelope(CreateRoom()))
            with trio.fail_after(WAIT):
                data = await ws.get_message()
            assert isinstance(data, bytes)
            answer = decode_relay_envelope(data)
            if isinstance(answer, RelayRejected) and answer.reason == "room-exists":
                return relay
    raise AssertionError(f"no relay holds room {room}")


async def events_until_chat(session: Session) -> list[SessionEvent]:
    """Every event up to and including the next chat line."""
    seen: list[SessionEvent] = []
    with trio.fail_after(WAIT * 4):
        async for event in session.events:
            seen.append(event)
            if isinstance(event, ChatReceived):
                return seen
    raise AssertionError("the session ended before a chat line")


async def test_killing_one_relay_moves_only_its_sessions_which_resume_through_nginx(
    tmp_path: Path,
) -> None:
    processes: list[trio.Process] = []
    async with (
        open_relays_behind_nginx(tmp_path, processes=processes) as (url, relays),
        AsyncExitStack() as stack,
    ):
        sessions = []
        for i in range(KILL_SESSIONS):
            rep = await stack.enter_async_context(
                open_hosted_session(url, f"Alice {i}", timings=RESUME)
            )
            bob = await stack.enter_async_context(
                open_joined_session(JoinTarget(url, rep.code), f"Bob {i}", timings=RESUME)
            )
            await next_event(rep, SomeoneJoined)
            sessions.append((rep, bob))
        owners = [await owner_of(relays, rep.code.room) for rep, _ in sessions]
        victim = max(relays, key=owners.count)
        moved = [s for s, o in zip(sessions, owners, strict=True) if o == victim]
        stayed = [s for s, o in zip(sessions, owners, strict=True) if o != victim]
        assert moved, owners
        assert stayed, owners
        processes[relays.index(victim)].kill()
        for rep, bob in moved:
            for side in (rep, bob):
                await next_event(side, Reconnected, within=WAIT * 6)
            await bob.send_chat("after the move")
            assert (await next_event(rep, ChatReceived, within=WAIT * 4)).text == "after the move"
            assert await owner_of([r for r in relays if r != victim], rep.code.room) != victim
        for rep, bob in stayed:
            await bob.send_chat("undisturbed")
            seen = await events_until_chat(rep)
            assert not [e for e in seen if isinstance(e, DISTURBED)], seen
            assert not [e for e in pending_events(bob) if isinstance(e, DISTURBED)]
