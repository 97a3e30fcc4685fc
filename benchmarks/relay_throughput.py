"""How fast the relay forwards, compared with one direct WebSocket.

Runs the relay (``python -m relay --port 0``) and a plain trio-websocket
sink/echo server (this script with ``--serve-direct``) as separate processes
on loopback, then drives the same loads through each:

* **bulk**: 256 KiB messages one way, then one small ack back (MB/s,
  MB = 10**6 bytes of payload);
* **small**: 100-byte messages one way, then an ack (messages/s);
* **latency**: ping-pong of 100-byte messages (round trip p50 and p99).

Through the relay, sender and receiver are two endpoints in one room; direct,
the server process is the receiver. Every figure is the median of several
runs. The clients, the relay and the direct server share the machine's cores,
so read the ratio more than the absolute numbers.

    python benchmarks/relay_throughput.py [--runs 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import trio
from trio_websocket import (
    WebSocketConnection,
    WebSocketRequest,
    open_websocket_url,
    serve_websocket,
)

from codec import CreateRoom, JoinRoom, Send, Welcome, decode_relay_envelope, encode_envelope
from peer._server_process import open_server_process

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

BULK_BYTES = 256 * 1024
SMALL_BYTES = 100
RECEIVE_BUFFER = 256 * 1024
MAX_MESSAGE = 16 * 1024 * 1024
#: Every run of every load must finish within this; the whole script stays
#: well under a minute at the default sizes.
RUN_LIMIT = 30.0


@asynccontextmanager
async def connect(url: str) -> AsyncIterator[WebSocketConnection]:
    async with open_websocket_url(
        url,
        max_message_size=MAX_MESSAGE,
        receive_buffer_size=RECEIVE_BUFFER,
        connect_timeout=10,
        disconnect_timeout=10,
    ) as ws:
        yield ws


# -- the direct server (a separate process) --------------------------------


async def direct_handler(request: WebSocketRequest) -> None:
    ws = await request.accept()
    kind, _, count = request.path.strip("/").partition("/")
    try:
        if kind == "sink":
            for _ in range(int(count)):
                await ws.get_message()
            await ws.send_message(b"ack")
        while kind == "echo":
            await ws.send_message(await ws.get_message())
        await ws.get_message()  # until the client closes
    except Exception:  # a benchmark server only needs to survive closes
        return


async def serve_websocket_printing_url(
    handler: Callable[[WebSocketRequest], Awaitable[None]], max_message: int = MAX_MESSAGE
) -> None:
    """Serve *handler* on a free loopback port, printing its ws:// address first."""
    async with trio.open_nursery() as nursery:
        server = await nursery.start(
            lambda task_status: serve_websocket(
                handler,
                "127.0.0.1",
                0,
                None,
                max_message_size=max_message,
                receive_buffer_size=RECEIVE_BUFFER,
                task_status=task_status,
            )
        )
        print(f"ws://127.0.0.1:{server.port}", flush=True)


async def serve_direct() -> None:
    await serve_websocket_printing_url(direct_handler)


# -- the loads ----------------------------------------------------------------


class Path:
    """One way to get messages from a sender to a receiver and back."""

    async def one_way(self, message_bytes: int, count: int) -> float:
        raise NotImplementedError

    async def round_trips(self, count: int) -> list[float]:
        raise NotImplementedError


class DirectPath(Path):
    def __init__(self, url: str) -> None:
        self.url = url

    async def one_way(self, message_bytes: int, count: int) -> float:
        message = encode_envelope(Send(2, b"x" * message_bytes))
        async with connect(f"{self.url}/sink/{count}") as ws:
            start = time.perf_counter()
            for _ in range(count):
                await ws.send_message(message)
            await ws.get_message()
            return time.perf_counter() - start

    async def round_trips(self, count: int) -> list[float]:
        message = encode_envelope(Send(2, b"x" * SMALL_BYTES))
        times = []
        async with connect(f"{self.url}/echo") as ws:
            for _ in range(count):
                start = time.perf_counter()
                await ws.send_message(message)
                await ws.get_message()
                times.append(time.perf_counter() - start)
        return times


class RelayPath(Path):
    def __init__(self, url: str) -> None:
        self.url = url
        self.rooms = 0

    @asynccontextmanager
    async def pair(self) -> AsyncIterator[tuple[WebSocketConnection, WebSocketConnection]]:
        self.rooms += 1
        room = f"{self.url}/s/bench{self.rooms}"
        async with connect(room) as a, connect(room) as b:
            await a.send_message(encode_envelope(CreateRoom()))
            await _welcome(a)
            await b.send_message(encode_envelope(JoinRoom()))
            await _welcome(b)
            await a.get_message()  # MemberJoined(2)
            yield a, b

    async def one_way(self, message_bytes: int, count: int) -> float:
        message = encode_envelope(Send(2, b"x" * message_bytes))
        ack = encode_envelope(Send(1, b"ack"))
        async with self.pair() as (a, b), trio.open_nursery() as nursery:

            async def receive() -> None:
                for _ in range(count):
                    await b.get_message()
                await b.send_message(ack)

            nursery.start_soon(receive)
            start = time.perf_counter()
            for _ in range(count):
                await a.send_message(message)
            await a.get_message()
            return time.perf_counter() - start

    async def round_trips(self, count: int) -> list[float]:
        message = encode_envelope(Send(2, b"x" * SMALL_BYTES))
        reply = encode_envelope(Send(1, b"x" * SMALL_BYTES))
        times = []
        async with self.pair() as (a, b), trio.open_nursery() as nursery:

            async def echo() -> None:
                for _ in range(count):
                    await b.get_message()
                    await b.send_message(reply)

            nursery.start_soon(echo)
            for _ in range(count):
                start = time.perf_counter()
                await a.send_message(message)
                await a.get_message()
                times.append(time.perf_counter() - start)
        return times


async def _welcome(ws: WebSocketConnection) -> None:
    data = await ws.get_message()
    assert isinstance(data, bytes)
    if not isinstance(decode_relay_envelope(data), Welcome):
        raise RuntimeError(f"the relay refused the benchmark: {decode_relay_envelope(data)}")


async def measure(path: Path, args: argparse.Namespace) -> dict[str, float]:
    """One run of every load over *path*."""
    with trio.fail_after(RUN_LIMIT):
        bulk = await path.one_way(BULK_BYTES, args.bulk_messages)
        small = await path.one_way(SMALL_BYTES, args.small_messages)
        rtts = sorted(await path.round_trips(args.round_trips))
    return {
        "bulk_mb_per_s": BULK_BYTES * args.bulk_messages / bulk / 1e6,
        "small_msgs_per_s": args.small_messages / small,
        "rtt_p50_ms": 1000 * rtts[len(rtts) // 2],
        "rtt_p99_ms": 1000 * rtts[int(len(rtts) * 0.99)],
    }


@asynccontextmanager
async def server_process(command: list[str], url: str | None = None) -> AsyncIterator[str]:
    """Run *command*, yield the ws:// URL from its first line, stop it afterwards.

    With *url*, run nothing and yield it: the server is already running.
    """
    if url is not None:
        yield url
        return
    async with open_server_process(command) as (_, announced):
        yield announced


async def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    relay_cmd = [sys.executable, "-m", "relay", "--port", "0", "--log-level", "WARNING"]
    direct_cmd = [sys.executable, __file__, "--serve-direct"]
    runs: dict[str, list[dict[str, float]]] = {"relay": [], "direct": []}
    async with (
        server_process(relay_cmd, args.relay) as relay_url,
        server_process(direct_cmd) as direct_url,
    ):
        paths: dict[str, Path] = {"relay": RelayPath(relay_url), "direct": DirectPath(direct_url)}
        # A warm-up run of each, not counted: first connections, imports, caches.
        for path in paths.values():
            await measure(path, args)
        for _ in range(args.runs):
            for name, path in paths.items():
                runs[name].append(await measure(path, args))
    medians = {
        name: {key: statistics.median(r[key] for r in results) for key in results[0]}
        for name, results in runs.items()
    }
    relay, direct = medians["relay"], medians["direct"]
    return {
        "runs": args.runs,
        "bulk_message_bytes": BULK_BYTES,
        "small_message_bytes": SMALL_BYTES,
        "relay": relay,
        "direct": direct,
        "ratio": {key: relay[key] / direct[key] for key in relay},
        "added_rtt_p50_ms": relay["rtt_p50_ms"] - direct["rtt_p50_ms"],
        "added_rtt_p99_ms": relay["rtt_p99_ms"] - direct["rtt_p99_ms"],
    }


def print_table(result: dict[str, Any]) -> None:
    relay, direct, ratio = result["relay"], result["direct"], result["ratio"]
    rows: list[tuple[str, str, Callable[[float], str]]] = [
        ("256 KiB messages, MB/s", "bulk_mb_per_s", "{:,.0f}".format),
        ("100 B messages, messages/s", "small_msgs_per_s", "{:,.0f}".format),
        ("round trip p50, ms", "rtt_p50_ms", "{:.3f}".format),
        ("round trip p99, ms", "rtt_p99_ms", "{:.3f}".format),
    ]
    print(f"Relay vs one direct WebSocket, loopback, median of {result['runs']} runs")
    print(f"{'':30}{'relay':>12}{'direct':>12}{'relay/direct':>14}")
    for label, key, fmt in rows:
        print(f"{label:30}{fmt(relay[key]):>12}{fmt(direct[key]):>12}{ratio[key]:>14.2f}")
    print(
        f"added round trip: p50 {result['added_rtt_p50_ms']:+.3f} ms, "
        f"p99 {result['added_rtt_p99_ms']:+.3f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="measured runs (median reported)")
    parser.add_argument("--bulk-messages", type=int, default=400, help="256 KiB messages a run")
    parser.add_argument("--small-messages", type=int, default=20_000, help="100 B messages a run")
    parser.add_argument("--round-trips", type=int, default=2_000, help="ping-pongs a run")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--relay", metavar="URL", help="measure this running relay instead of starting one"
    )
    parser.add_argument("--serve-direct", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_direct:
        trio.run(serve_direct)  # until the benchmark terminates it
        return
    run: Callable[[argparse.Namespace], Awaitable[dict[str, Any]]] = benchmark
    result = trio.run(run, args)
    if args.json:
        print(json.dumps(result))
    else:
        print_table(result)


if __name__ == "__main__":
    main()
