"""The relay's table: the server on one core, cheap clients on the other.

Each server runs in a process of its own pinned to core 0 (``taskset -c 0``);
every client runs pinned to core 1 and costs little per message: plain
blocking sockets sending frames built and masked once before the clock
starts, in batches, and counting what arrives by bytes (every message of a
load has the same size), so the server, not the clients, is what is
measured. The servers, one after the other in the same run:

* **relay**: Helpline's relay (``python -m relay``), limits opened wide;
* **trio-websocket**: a minimal forwarder on trio-websocket (the library the
  relay was first built on);
* **websockets**: a minimal forwarder on the ``websockets`` library (asyncio).

Both forwarders speak the relay envelope and forward a ``Send`` as a
``Delivered`` without re-encoding it (``codec.split_send``), so they do what
the relay does minus its limits, liveness and bookkeeping. The loads:

* **256 KiB messages, MB/s**: one pair, one way, as fast as the server takes them;
* **100 B messages/s**: one pair, one way, sent in batches of a thousand frames;
* **added round trip p50**: a ping-pong of 100 B messages through the server,
  minus the same ping-pong over one direct loopback connection;
* **round trip p50 under bulk**: the same ping-pong while another pair (in a
  process of its own) streams 256 KiB messages through the server;
* **memory per idle connection**: the server's resident memory with N idle
  sessions open, minus before, over 2N.

The server's CPU use during each throughput load is printed too (near
100 % means the server was the bottleneck). Every figure is the median of
``--runs`` runs; ratios are the relay's over each forwarder's, in the same run.

    python benchmarks/relay_pinned.py [--runs 5] [--idle 1000] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from benchmarks.relay_load import raise_file_limit
from codec import (
    CreateRoom,
    JoinRoom,
    MemberJoined,
    Send,
    Welcome,
    decode_client_envelope,
    decode_relay_envelope,
    delivered_prefix,
    encode_envelope,
    split_send,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator

    from trio_websocket import WebSocketRequest
    from websockets.asyncio.server import ServerConnection

SERVER_CORE = 0
CLIENT_CORE = 1
BULK = 256 * 1024
SMALL = 100
SMALL_BATCH = 1000
MAX_MESSAGE = 16 * 1024 * 1024
#: Every blocking socket call of a client gives up after this long.
SOCKET_TIMEOUT = 30.0
MASK = b"\x5a\xc3\x17\x9e"


# -- frames, built once -------------------------------------------------------


def masked_frame(payload: bytes) -> bytes:
    """One client frame (binary, final), masked with :data:`MASK`."""
    n = len(payload)
    if n < 126:
        head = bytes((0x82, 0x80 | n))
    elif n < 0x10000:
        head = bytes((0x82, 0xFE)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x82, 0xFF)) + n.to_bytes(8, "big")
    key = int.from_bytes((MASK * (n // 4 + 1))[:n], "little")
    body = (int.from_bytes(payload, "little") ^ key).to_bytes(n, "little")
    return head + MASK + body


def server_frame_bytes(payload_bytes: int, sender: int) -> int:
    """The size of the frame a server delivers a *payload_bytes* payload from *sender* in."""
    n = len(delivered_prefix(sender, payload_bytes)) + payload_bytes
    return n + (2 if n < 126 else 4 if n < 0x10000 else 10)


def send_frame(to: int, payload: bytes) -> bytes:
    return masked_frame(encode_envelope(Send(to, payload)))


# -- blocking clients ------------------------------------------------------------


class Client:
    """One WebSocket endpoint on a plain blocking socket."""

    def __init__(self, port: int, room: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.sendall(
            (
                f"GET /s/{room} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        self.pending = b""
        while b"\r\n\r\n" not in self.pending:
            self.pending += self._recv()
        head, _, self.pending = self.pending.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise RuntimeError(f"the server refused the upgrade: {head[:80]!r}")

    def _recv(self) -> bytes:
        data = self.sock.recv(65536)
        if not data:
            raise RuntimeError("the server closed the connection")
        return data

    def message(self) -> bytes:
        """The next whole message (set-up only: control envelopes)."""
        while True:
            data = self.pending
            if len(data) >= 2:
                n, at = data[1] & 0x7F, 2
                if n == 126:
                    n, at = int.from_bytes(data[2:4], "big"), 4
                elif n == 127:
                    n, at = int.from_bytes(data[2:10], "big"), 10
                if len(data) >= at + n:
                    self.pending = data[at + n :]
                    if data[0] & 0x0F == 0x2:
                        return data[at : at + n]
                    continue  # a ping or the like: not ours to answer here
            self.pending += self._recv()

    def take_exactly(self, total: int) -> None:
        """Read and drop *total* bytes (whole frames of known size), with large reads."""
        buffer = bytearray(1 << 20)
        left = total - len(self.pending)
        self.pending = b""
        recv_into = self.sock.recv_into
        while left > 0:
            got = recv_into(buffer)
            if not got:
                raise RuntimeError("the server closed the connection")
            left -= got
        if left:
            raise RuntimeError("more arrived than was sent")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


def open_pair(port: int, room: str) -> tuple[Client, Client]:
    a = Client(port, room)
    a.sock.sendall(masked_frame(encode_envelope(CreateRoom())))
    assert isinstance(decode_relay_envelope(a.message()), Welcome)
    b = Client(port, room)
    b.sock.sendall(masked_frame(encode_envelope(JoinRoom())))
    assert isinstance(decode_relay_envelope(b.message()), Welcome)
    assert isinstance(decode_relay_envelope(a.message()), MemberJoined)
    return a, b


def one_way(port: int, room: str, payload_bytes: int, count: int, batch: int) -> float:
    """Seconds for *count* messages from a to b, sent *batch* frames per sendall."""
    a, b = open_pair(port, room)
    try:
        frames = send_frame(2, b"x" * payload_bytes) * batch
        batches = count // batch

        def send() -> None:
            for _ in range(batches):
                a.sock.sendall(frames)

        sender = threading.Thread(target=send)
        start = time.perf_counter()
        sender.start()
        b.take_exactly(batches * batch * server_frame_bytes(payload_bytes, 1))
        elapsed = time.perf_counter() - start
        sender.join()
        return elapsed
    finally:
        a.close()
        b.close()


def ping_pong(
    a: socket.socket, b: socket.socket, count: int, gap: float, arriving: tuple[int, int]
) -> list[float]:
    """Round trips (s) of 100 B frames a -> b -> a; *gap* seconds between them.

    *arriving* is the size of the ping and of the pong as they arrive.
    """
    ping, pong = send_frame(2, b"p" * SMALL), send_frame(1, b"p" * SMALL)
    ping_in, pong_in = arriving
    buffer = bytearray(65536)
    times = []
    for _ in range(count):
        start = time.perf_counter()
        a.sendall(ping)
        _read(b, buffer, ping_in)
        b.sendall(pong)
        _read(a, buffer, pong_in)
        times.append(time.perf_counter() - start)
        if gap:
            time.sleep(gap)
    return times


def _read(sock: socket.socket, buffer: bytearray, n: int) -> None:
    while n > 0:
        got = sock.recv_into(buffer, n)
        if not got:
            raise RuntimeError("the server closed the connection")
        n -= got


def direct_round_trips(count: int) -> list[float]:
    """The same ping-pong over one loopback connection, no server between."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        a = socket.create_connection(listener.getsockname(), timeout=SOCKET_TIMEOUT)
        b, _ = listener.accept()
    with a, b:
        for sock in (a, b):
            sock.settimeout(SOCKET_TIMEOUT)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        size = len(send_frame(2, b"p" * SMALL))
        return ping_pong(a, b, count, 0.0, (size, size))


def relayed_round_trips(port: int, room: str, count: int, gap: float) -> list[float]:
    a, b = open_pair(port, room)
    try:
        arriving = (server_frame_bytes(SMALL, 1), server_frame_bytes(SMALL, 2))
        return ping_pong(a.sock, b.sock, count, gap, arriving)
    finally:
        a.close()
        b.close()


def stream_bulk(port: int, room: str) -> None:
    """256 KiB messages a -> b until terminated (run in a process of its own)."""
    a, b = open_pair(port, room)
    frame = send_frame(2, b"u" * BULK)
    b.sock.settimeout(None)  # the stream runs until its process is terminated

    def send() -> None:
        with contextlib.suppress(OSError):
            while True:
                a.sock.sendall(frame)

    threading.Thread(target=send, daemon=True).start()
    buffer = bytearray(1 << 20)
    while b.sock.recv_into(buffer):
        pass


def idle_sessions(port: int, n: int, tag: str) -> list[Client]:
    clients: list[Client] = []
    for i in range(n):
        a, b = open_pair(port, f"{tag}{i}")
        clients += (a, b)
    return clients


# -- the two minimal forwarders (separate processes) -------------------------------


class Forwarder:
    """Rooms and forwarding, nothing else, over whichever WebSocket library serves."""

    def __init__(self, send: Callable[[Any, bytes], Awaitable[object]]) -> None:
        self.rooms: dict[str, dict[int, Any]] = {}
        self._send = send

    async def serve(self, room_id: str, ws: Any, receive: Callable[[], Awaitable[object]]) -> None:
        """Serve one connection until it closes; *receive* gets its next message."""
        first = decode_client_envelope(_as_bytes(await receive()))
        room = self.rooms.setdefault(room_id, {})
        my_id = max(room, default=0) + 1
        room[my_id] = ws
        try:
            present = tuple(i for i in room if i != my_id)
            await self._send(ws, encode_envelope(Welcome(my_id, 1, present)))
            if isinstance(first, JoinRoom):
                for other in list(room.values()):
                    if other is not ws:
                        await self._send(other, encode_envelope(MemberJoined(my_id)))
            while True:
                message = _as_bytes(await receive())
                split = split_send(message)
                if split is not None and split[0] in room:
                    payload = memoryview(message)[split[1] :]
                    prefix = delivered_prefix(my_id, len(payload))
                    await self._send(room[split[0]], prefix + payload)
        except Exception:  # a benchmark server only needs to survive closes
            pass
        finally:
            room.pop(my_id, None)
            if not room:
                self.rooms.pop(room_id, None)


def _as_bytes(data: object) -> bytes:
    assert isinstance(data, bytes)
    return data


def serve_websockets() -> None:
    from websockets.asyncio.server import serve

    forwarder = Forwarder(lambda ws, data: ws.send(data))

    async def handler(ws: ServerConnection) -> None:
        room_id = ws.request.path.rsplit("/", 1)[-1] if ws.request else ""
        await forwarder.serve(room_id, ws, ws.recv)

    async def main() -> None:
        async with serve(
            handler,
            "127.0.0.1",
            0,
            compression=None,
            ping_interval=None,
            max_size=MAX_MESSAGE,
            max_queue=None,
        ) as server:
            port = server.sockets[0].getsockname()[1]
            print(f"ws://127.0.0.1:{port}", flush=True)
            await asyncio.Future()

    asyncio.run(main())


def serve_trio_websocket() -> None:
    import trio

    from benchmarks.relay_throughput import serve_websocket_printing_url

    forwarder = Forwarder(lambda ws, data: ws.send_message(data))

    async def handler(request: WebSocketRequest) -> None:
        ws = await request.accept()
        await forwarder.serve(request.path.rsplit("/", 1)[-1], ws, ws.get_message)

    trio.run(serve_websocket_printing_url, handler, MAX_MESSAGE)


# -- the run ---------------------------------------------------------------------


def relay_argv(idle: int) -> list[str]:
    wide = str(4 * idle + 1000)
    profile = os.environ.get("RELAY_PINNED_PROFILE")  # a cProfile output file, for tuning
    return [
        sys.executable,
        *(("-m", "cProfile", "-o", profile) if profile else ()),
        "-m",
        "relay",
        "--port",
        "0",
        "--log-level",
        "WARNING",
        *("--max-connections", wide, "--max-connections-per-address", wide),
        *("--rooms-per-minute", wide, "--max-rooms-per-address", wide, "--max-rooms", wide),
        *("--failed-joins-per-minute", wide),
        *("--idle-timeout", "3600", "--handshake-timeout", "3600"),
        *("--join-answer-timeout", "3600"),
    ]


SERVERS: dict[str, Callable[[int], list[str]]] = {
    "relay": relay_argv,
    "trio-websocket": lambda _: [sys.executable, __file__, "--serve", "trio-websocket"],
    "websockets": lambda _: [sys.executable, __file__, "--serve", "websockets"],
}


@contextlib.contextmanager
def server_process(argv: list[str]) -> Iterator[tuple[int, int]]:
    """Run *argv* pinned to the server core; yield (pid, port) from its ws:// line."""
    process = subprocess.Popen(
        ["taskset", "-c", str(SERVER_CORE), *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if "ws://" not in line:
            raise RuntimeError(f"{argv[:3]} did not start: {line[:200]!r}")
        yield process.pid, int(line.strip().rsplit(":", 1)[1])
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def throughput(pid: int, work: Callable[[], float]) -> tuple[float, float, float]:
    """(seconds *work* took, the server's and the clients' CPU use meanwhile, in cores)."""
    cpu, mine = cpu_seconds(pid), time.process_time()
    elapsed = work()
    return elapsed, (cpu_seconds(pid) - cpu) / elapsed, (time.process_time() - mine) / elapsed


def one_run(pid: int, port: int, tag: str, args: argparse.Namespace) -> dict[str, float]:
    bulk, bulk_cpu, bulk_client = throughput(
        pid, lambda: one_way(port, f"{tag}b", BULK, args.bulk_messages, 1)
    )
    small, small_cpu, small_client = throughput(
        pid, lambda: one_way(port, f"{tag}s", SMALL, args.small_messages, SMALL_BATCH)
    )
    quiet = sorted(relayed_round_trips(port, f"{tag}q", args.round_trips, 0.0))
    direct = sorted(direct_round_trips(args.round_trips))
    streamer = subprocess.Popen([sys.executable, __file__, "--stream", str(port), f"{tag}x"])
    try:
        time.sleep(0.5)  # the stream is under way
        loaded = sorted(relayed_round_trips(port, f"{tag}p", args.round_trips, 0.001))
    finally:
        streamer.terminate()
        streamer.wait(timeout=SOCKET_TIMEOUT)
    return {
        "bulk_mb_per_s": BULK * args.bulk_messages / bulk / 1e6,
        "bulk_server_cpu": bulk_cpu,
        "bulk_client_cpu": bulk_client,
        "bulk_mb_per_cpu_s": BULK * args.bulk_messages / bulk / 1e6 / bulk_cpu,
        "small_msgs_per_s": args.small_messages // SMALL_BATCH * SMALL_BATCH / small,
        "small_server_cpu": small_cpu,
        "small_client_cpu": small_client,
        "small_msgs_per_cpu_s": args.small_messages
        // SMALL_BATCH
        * SMALL_BATCH
        / small
        / small_cpu,
        "rtt_p50_ms": 1000 * quiet[len(quiet) // 2],
        "added_rtt_p50_ms": 1000 * (quiet[len(quiet) // 2] - direct[len(direct) // 2]),
        "under_bulk_rtt_p50_ms": 1000 * loaded[len(loaded) // 2],
        "under_bulk_rtt_p99_ms": 1000 * loaded[int(len(loaded) * 0.99)],
    }


def measure_idle(pid: int, port: int, n: int) -> dict[str, float]:
    time.sleep(0.3)
    before = rss_bytes(pid)
    clients = idle_sessions(port, n, "idle")
    try:
        time.sleep(2.0)  # quiet long enough for the relay's small wait (relay._poller)
        after = rss_bytes(pid)
    finally:
        for client in clients:
            client.close()
    return {"kib_per_idle_connection": (after - before) / (2 * n) / 1024}


def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    os.sched_setaffinity(0, {CLIENT_CORE})  # this process and every client it starts
    raise_file_limit(2 * args.idle + 100)
    names = args.servers.split(",")
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    idle: dict[str, dict[str, float]] = {}
    for name in names:
        with server_process(SERVERS[name](args.idle)) as (pid, port):
            idle[name] = measure_idle(pid, port, args.idle)
            one_run(pid, port, "warm", args)  # first connections, caches: not counted
            for r in range(args.runs):
                runs[name].append(one_run(pid, port, f"r{r}", args))
    result: dict[str, Any] = {"runs": args.runs, "idle_sessions": args.idle, "servers": {}}
    for name in names:
        medians = {key: statistics.median(run[key] for run in runs[name]) for key in runs[name][0]}
        result["servers"][name] = medians | idle[name]
    return result


ROWS: list[tuple[str, str, Callable[[float], str]]] = [
    ("256 KiB messages, MB/s", "bulk_mb_per_s", "{:,.0f}".format),
    ("  server CPU meanwhile", "bulk_server_cpu", "{:.0%}".format),
    ("  clients' CPU meanwhile", "bulk_client_cpu", "{:.0%}".format),
    ("  MB per second of server CPU", "bulk_mb_per_cpu_s", "{:,.0f}".format),
    ("100 B messages/s", "small_msgs_per_s", "{:,.0f}".format),
    ("  server CPU meanwhile", "small_server_cpu", "{:.0%}".format),
    ("  clients' CPU meanwhile", "small_client_cpu", "{:.0%}".format),
    ("  messages per second of server CPU", "small_msgs_per_cpu_s", "{:,.0f}".format),
    ("round trip p50, ms", "rtt_p50_ms", "{:.3f}".format),
    ("added round trip p50, ms", "added_rtt_p50_ms", "{:+.3f}".format),
    ("round trip p50 under bulk, ms", "under_bulk_rtt_p50_ms", "{:.3f}".format),
    ("round trip p99 under bulk, ms", "under_bulk_rtt_p99_ms", "{:.3f}".format),
    ("memory per idle connection, KiB", "kib_per_idle_connection", "{:.1f}".format),
]


def print_table(result: dict[str, Any]) -> None:
    servers = result["servers"]
    names = list(servers)
    anchors = [n for n in names if n != "relay"]
    print(
        f"server pinned to core {SERVER_CORE}, clients on core {CLIENT_CORE};"
        f" median of {result['runs']} runs; {result['idle_sessions']:,} idle sessions"
    )
    head = "".join(f"{n:>16}" for n in names)
    ratios = "".join(f"{'relay/' + n:>22}" for n in anchors) if "relay" in servers else ""
    print(f"{'':34}{head}{ratios}")
    for label, key, fmt in ROWS:
        cells = "".join(f"{fmt(servers[n][key]):>16}" for n in names)
        if "relay" in servers and not label.startswith(" "):
            for n in anchors:
                base = servers[n][key]
                cells += f"{servers['relay'][key] / base:>22.2f}" if base else f"{'-':>22}"
        print(f"{label:34}{cells}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="measured runs (median reported)")
    parser.add_argument("--idle", type=int, default=1000, help="idle sessions for the memory row")
    parser.add_argument("--bulk-messages", type=int, default=2000, help="256 KiB messages a run")
    parser.add_argument("--small-messages", type=int, default=100_000, help="100 B messages a run")
    parser.add_argument("--round-trips", type=int, default=2000, help="ping-pongs per figure")
    parser.add_argument(
        "--servers", default=",".join(SERVERS), help="comma-separated, from: " + ", ".join(SERVERS)
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--serve", choices=["trio-websocket", "websockets"], help=argparse.SUPPRESS)
    parser.add_argument("--stream", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve == "websockets":
        serve_websockets()
    elif args.serve == "trio-websocket":
        serve_trio_websocket()
    elif args.stream:
        port, room = args.stream
        stream_bulk(int(port), room)
    else:
        result = benchmark(args)
        if args.json:
            print(json.dumps(result))
        else:
            print_table(result)


if __name__ == "__main__":
    main()
