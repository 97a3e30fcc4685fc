"""Many sessions on one relay process, against a minimal trio-websocket forwarder.

Both servers run as separate processes on loopback and speak the same relay
envelope, so the same clients drive both:

* **idle**: N sessions (2N connections) that only connect, create or join
  and then wait; reported as the server's memory per idle connection (its
  resident memory after minus before, over 2N);
* **chatting**: pairs exchanging 100-byte messages at a steady rate;
* **streaming**: pairs sending 200 KB updates as fast as the server takes
  them (each update acknowledged, as screen sharing's credit does);
* **probe**: one more pair ping-ponging 100-byte messages, whose round trip
  (p50, p99) shows what the bulk streams add to a small message's latency.

Messages and MB forwarded per second count what the receiving clients got
while everything runs at once. The active loads run several times; each
figure is the median, and the ratio relay/baseline is taken within the same
run. Idle clients are bare sockets (a real client each would cost the
benchmark more memory than the servers); active ones use trio-websocket.
The machine's cores are shared by clients and servers (and, here, by other
people's work): read ratios more than absolute numbers.

    python benchmarks/relay_load.py [--idle 5000] [--runs 3] [--json]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import resource
import statistics
import sys
import time
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

import trio
from trio_websocket import (
    WebSocketConnection,
    WebSocketRequest,
    open_websocket_url,
    serve_websocket,
)

from codec import (
    CreateRoom,
    Delivered,
    JoinRoom,
    MemberJoined,
    MemberLeft,
    Send,
    Welcome,
    decode_client_envelope,
    decode_relay_envelope,
    encode_envelope,
)
from peer._server_process import open_server_process

if TYPE_CHECKING:
    from collections.abc import Callable

SMALL = 100
UPDATE = 200_000
MAX_MESSAGE = 4 * 1024 * 1024
CHAT_INTERVAL = 0.02


# -- the baseline: a minimal trio-websocket forwarder (a separate process) ------


class Baseline:
    """Rooms and forwarding, nothing else: no limits, no liveness, no metrics."""

    def __init__(self) -> None:
        self.rooms: dict[str, dict[int, WebSocketConnection]] = {}

    async def handle(self, request: WebSocketRequest) -> None:
        ws = await request.accept()
        room_id = request.path.rsplit("/", 1)[-1]
        my_id = 0
        try:
            first = decode_client_envelope(await _bytes(ws))
            room = self.rooms.setdefault(room_id, {})
            my_id = max(room, default=0) + 1
            room[my_id] = ws
            present = tuple(i for i in room if i != my_id)
            await ws.send_message(encode_envelope(Welcome(my_id, 1, present)))
            if isinstance(first, JoinRoom):
                for other in list(room.values()):
                    if other is not ws:
                        await other.send_message(encode_envelope(MemberJoined(my_id)))
            while True:
                envelope = decode_client_envelope(await _bytes(ws))
                if isinstance(envelope, Send) and envelope.to in room:
                    delivered = Delivered(my_id, envelope.payload)
                    await room[envelope.to].send_message(encode_envelope(delivered))
        except Exception:  # a benchmark server only needs to survive closes
            pass
        finally:
            room = self.rooms.get(room_id, {})
            room.pop(my_id, None)
            if not room:
                self.rooms.pop(room_id, None)
            for other in list(room.values()):
                with contextlib.suppress(Exception):
                    await other.send_message(encode_envelope(MemberLeft(my_id)))


async def _bytes(ws: WebSocketConnection) -> bytes:
    data = await ws.get_message()
    assert isinstance(data, bytes)
    return data


async def serve_baseline() -> None:
    baseline = Baseline()
    async with trio.open_nursery() as nursery:
        server = await nursery.start(
            lambda task_status: serve_websocket(
                baseline.handle,
                "127.0.0.1",
                0,
                None,
                max_message_size=MAX_MESSAGE,
                receive_buffer_size=256 * 1024,
                task_status=task_status,
            )
        )
        print(f"ws://127.0.0.1:{server.port}", flush=True)


# -- clients -----------------------------------------------------------------------


def _masked_frame(payload: bytes) -> bytes:
    """One client frame (binary, final), masked with a zero key: enough for idle clients."""
    n = len(payload)
    head = bytes((0x82, 0x80 | n)) if n < 126 else bytes((0x82, 0xFE)) + n.to_bytes(2, "big")
    return head + b"\0\0\0\0" + payload


async def idle_client(host: str, port: int, room: str, create: bool) -> trio.SocketStream:
    """A bare socket that upgrades, creates or joins, reads its welcome and then waits."""
    stream = await trio.open_tcp_stream(host, port)
    key = base64.b64encode(os.urandom(16)).decode()
    await stream.send_all(
        (
            f"GET /s/{room} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    seen = await _read_until(stream, b"", lambda seen: b"\r\n\r\n" in seen)
    if not seen.startswith(b"HTTP/1.1 101"):
        raise RuntimeError(f"the server refused an idle client: {seen[:80]!r}")
    # Wait for the upgrade before the first frame: trio-websocket's server
    # drops a frame that arrives together with the request.
    await stream.send_all(_masked_frame(encode_envelope(CreateRoom() if create else JoinRoom())))
    start = seen.index(b"\r\n\r\n") + 4
    await _read_until(stream, seen, lambda seen: len(seen) >= start + 6)  # the Welcome
    return stream


async def _read_until(
    stream: trio.SocketStream, seen: bytes, done: Callable[[bytes], bool]
) -> bytes:
    while not done(seen):
        chunk = await stream.receive_some(4096)
        if not chunk:
            raise RuntimeError("the server closed an idle client")
        seen += chunk
    return seen


class Pair:
    def __init__(self, url: str, room: str) -> None:
        self.url = f"{url}/s/{room}"

    async def open(self, stack: AsyncExitStack) -> tuple[WebSocketConnection, WebSocketConnection]:
        def connect() -> Any:
            return open_websocket_url(
                self.url, max_message_size=MAX_MESSAGE, receive_buffer_size=256 * 1024
            )

        a = await stack.enter_async_context(connect())
        await a.send_message(encode_envelope(CreateRoom()))
        assert isinstance(decode_relay_envelope(await _bytes(a)), Welcome)
        b = await stack.enter_async_context(connect())
        await b.send_message(encode_envelope(JoinRoom()))
        assert isinstance(decode_relay_envelope(await _bytes(b)), Welcome)
        await a.get_message()  # MemberJoined
        return a, b


class Counters:
    def __init__(self) -> None:
        self.messages = 0
        self.bytes = 0

    def got(self, n: int) -> None:
        self.messages += 1
        self.bytes += n


async def chat(a: WebSocketConnection, b: WebSocketConnection, counters: Counters) -> None:
    message = encode_envelope(Send(2, b"c" * SMALL))

    async def receive() -> None:
        while True:
            counters.got(len(await b.get_message()))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(receive)
        while True:
            await a.send_message(message)
            await trio.sleep(CHAT_INTERVAL)


async def stream_updates(
    a: WebSocketConnection, b: WebSocketConnection, counters: Counters
) -> None:
    update = encode_envelope(Send(2, b"u" * UPDATE))
    ack = encode_envelope(Send(1, b"ok"))
    while True:
        await a.send_message(update)
        counters.got(len(await b.get_message()))
        await b.send_message(ack)
        await a.get_message()


async def probe(a: WebSocketConnection, b: WebSocketConnection, rtts: list[float]) -> None:
    ping = encode_envelope(Send(2, b"p" * SMALL))
    pong = encode_envelope(Send(1, b"p" * SMALL))
    while True:
        start = time.perf_counter()
        await a.send_message(ping)
        await b.get_message()
        await b.send_message(pong)
        await a.get_message()
        rtts.append(time.perf_counter() - start)
        await trio.sleep(0.002)


async def probe_process(url: str, room: str, seconds: float) -> list[float]:
    """Round trips (s) of a probe pair run in a process of its own for *seconds*.

    Apart from the bulk clients: otherwise their work in this process's
    event loop, not the server's, would show up as the probe's latency.
    """
    argv = [sys.executable, __file__, "--probe-pair", url, room, str(seconds)]
    done = await trio.run_process(argv, capture_stdout=True)
    return [float(x) for x in json.loads(done.stdout)]


async def run_probe_pair(url: str, room: str, seconds: float) -> None:
    rtts: list[float] = []
    async with AsyncExitStack() as stack:
        a, b = await Pair(url, room).open(stack)
        with trio.move_on_after(seconds):
            await probe(a, b, rtts)
    print(json.dumps(rtts[len(rtts) // 10 :]))  # the first tenth warms up


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


async def active_run(url: str, args: argparse.Namespace, tag: str) -> dict[str, float]:
    """Chatting and streaming for args.seconds, the probe beside them; one run's figures."""
    counters = Counters()
    rtts: list[float] = []
    async with AsyncExitStack() as stack:
        pairs = [
            await Pair(url, f"{tag}{kind}{i}").open(stack)
            for kind, n in (("chat", args.chatting), ("bulk", args.streaming))
            for i in range(n)
        ]
        async with trio.open_nursery() as nursery:
            for i, (a, b) in enumerate(pairs):
                load = chat if i < args.chatting else stream_updates
                nursery.start_soon(load, a, b, counters)
            await trio.sleep(0.5)  # settle
            start_messages, start_bytes = counters.messages, counters.bytes
            start = time.perf_counter()
            rtts = sorted(await probe_process(url, f"{tag}probe", args.seconds))
            elapsed = time.perf_counter() - start
            nursery.cancel_scope.cancel()
    return {
        "msgs_per_s": (counters.messages - start_messages) / elapsed,
        "mb_per_s": (counters.bytes - start_bytes) / elapsed / 1e6,
        "probe_rtt_p50_ms": 1000 * rtts[len(rtts) // 2],
        "probe_rtt_p99_ms": 1000 * rtts[int(len(rtts) * 0.99)],
    }


async def quiet_rtt(url: str, tag: str, seconds: float) -> float:
    """The probe's round trip p50 with nothing else running (ms)."""
    rtts = sorted(await probe_process(url, f"{tag}quiet", seconds))
    return 1000 * rtts[len(rtts) // 2]


async def measure_server(name: str, argv: list[str], args: argparse.Namespace) -> dict[str, Any]:
    async with open_server_process(argv, quiet=True) as (process, url):
        host, port = url.removeprefix("ws://").rsplit(":", 1)
        await trio.sleep(0.5)
        before = rss_bytes(process.pid)
        idle: list[trio.SocketStream] = []
        try:
            with trio.fail_after(600):
                for i in range(args.idle):
                    idle.append(await idle_client(host, int(port), f"idle{i}", True))
                    idle.append(await idle_client(host, int(port), f"idle{i}", False))
            # Idle for real: a relay's reader moves to its small wait once its
            # connection has been quiet a second (relay._poller).
            await trio.sleep(2.0)
            after = rss_bytes(process.pid)
            quiet = await quiet_rtt(url, name, args.seconds)
            runs = [await active_run(url, args, f"{name}{r}x") for r in range(args.runs)]
        finally:
            for stream in idle:
                await trio.aclose_forcefully(stream)
    result: dict[str, Any] = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    result["idle_connections"] = 2 * args.idle
    result["rss_before_mb"] = before / 1e6
    result["rss_idle_mb"] = after / 1e6
    result["kib_per_idle_connection"] = (after - before) / (2 * args.idle) / 1024
    result["quiet_rtt_p50_ms"] = quiet
    result["added_p50_ms"] = result["probe_rtt_p50_ms"] - quiet
    result["latency_inflation_p50"] = result["probe_rtt_p50_ms"] / quiet
    return result


def raise_file_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else needed
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, max(needed, soft)), hard))
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        raise SystemExit(
            f"{needed} file descriptors are needed and only {soft} are allowed;"
            " raise the hard limit (ulimit -Hn) or use a smaller --idle"
        )


async def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    relay = [
        sys.executable,
        "-m",
        "relay",
        "--port",
        "0",
        "--log-level",
        "WARNING",
        *("--max-connections", str(4 * args.idle + 1000)),
        *("--max-connections-per-address", str(4 * args.idle + 1000)),
        *("--rooms-per-minute", str(2 * args.idle + 1000)),
        *("--max-rooms-per-address", str(2 * args.idle + 1000)),
        *("--max-rooms", str(2 * args.idle + 1000)),
        *("--failed-joins-per-minute", str(2 * args.idle + 1000)),
        # Idle sessions stay put: no timeouts, and the idle joiners (whom
        # their bare-socket hosts never answer) are not closed as unanswered.
        *("--idle-timeout", "3600", "--handshake-timeout", "3600"),
        *("--join-answer-timeout", "3600"),
    ]
    baseline = [sys.executable, __file__, "--serve-baseline"]
    return {
        "relay": await measure_server("relay", relay, args),
        "baseline": await measure_server("baseline", baseline, args),
    }


ROWS: list[tuple[str, str, Callable[[float], str]]] = [
    ("idle connections", "idle_connections", "{:,.0f}".format),
    ("server memory with them, MB", "rss_idle_mb", "{:,.1f}".format),
    ("memory per idle connection, KiB", "kib_per_idle_connection", "{:.1f}".format),
    ("messages forwarded per s", "msgs_per_s", "{:,.0f}".format),
    ("MB forwarded per s", "mb_per_s", "{:,.1f}".format),
    ("small round trip, quiet, p50 ms", "quiet_rtt_p50_ms", "{:.3f}".format),
    ("small round trip under bulk, p50 ms", "probe_rtt_p50_ms", "{:.3f}".format),
    ("small round trip under bulk, p99 ms", "probe_rtt_p99_ms", "{:.3f}".format),
    ("added by bulk, p50 ms", "added_p50_ms", "{:+.3f}".format),
    ("latency inflation under bulk, p50", "latency_inflation_p50", "{:.2f}x".format),
]


def print_table(result: dict[str, Any], args: argparse.Namespace) -> None:
    relay, baseline = result["relay"], result["baseline"]
    print(
        f"{args.idle:,} idle sessions, {args.chatting} chatting, {args.streaming} streaming"
        f" 200 KB updates; active loads: median of {args.runs} runs of {args.seconds} s"
    )
    print(f"{'':38}{'relay':>12}{'baseline':>12}{'relay/base':>12}")
    for label, key, fmt in ROWS:
        ratio = relay[key] / baseline[key] if baseline[key] else float("nan")
        print(f"{label:38}{fmt(relay[key]):>12}{fmt(baseline[key]):>12}{ratio:>12.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--idle", type=int, default=5000, help="idle sessions (2 connections each)")
    parser.add_argument("--chatting", type=int, default=20, help="pairs chatting")
    parser.add_argument("--streaming", type=int, default=4, help="pairs streaming 200 KB updates")
    parser.add_argument("--seconds", type=float, default=4.0, help="length of one active run")
    parser.add_argument("--runs", type=int, default=3, help="active runs (median reported)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--serve-baseline", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--probe-pair", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_baseline:
        trio.run(serve_baseline)
        return
    if args.probe_pair:
        url, room, seconds = args.probe_pair
        trio.run(run_probe_pair, url, room, float(seconds))
        return
    # This process and the server (which inherits the limit) each hold one
    # descriptor per connection, 2 per idle session, plus the active ones.
    raise_file_limit(2 * args.idle + 1000)
    result = trio.run(benchmark, args)
    if args.json:
        print(json.dumps(result))
    else:
        print_table(result, args)


if __name__ == "__main__":
    main()
