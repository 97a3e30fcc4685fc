"""Join latency: from ``join`` to the first chat delivered.

Runs a real relay process on loopback and a rep session, then times many
joins. Figures (medians and p90 over the runs):

* session API — ``open_joined_session`` through SPAKE2, key confirmation,
  the roster, until the customer's first chat reaches the rep;
* baseline, same run — a bare WebSocket to the relay, join the room, one
  message to the rep's endpoint: the floor any join pays on this machine;
* command line — ``helpline join CODE`` as a new process until the rep reads
  its first chat (Python start-up included), fewer runs.

    .venv/bin/python benchmarks/join_latency.py [--runs 40] [--cli-runs 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import trio
import trio_websocket

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from typing import TYPE_CHECKING

from codec import (
    CreateRoom,
    Delivered,
    JoinRoom,
    JoinTarget,
    Send,
    Welcome,
    decode_relay_envelope,
    encode_envelope,
)
from peer._console import open_console, python_command
from peer._events import ChatReceived, MemberLeft, SessionEvent
from peer._open import open_hosted_session, open_joined_session

if TYPE_CHECKING:
    from peer._host import HostSession


async def _next(session: HostSession, kind: type[SessionEvent]) -> SessionEvent:
    async for event in session.events:
        if isinstance(event, kind):
            return event
    raise RuntimeError("rep session ended")


async def _api_join(rep: HostSession, relay: str) -> float:
    start = trio.current_time()
    async with open_joined_session(JoinTarget(relay, rep.code), "Bob") as bob:
        await bob.send_chat("hello")
        await _next(rep, ChatReceived)
        elapsed = trio.current_time() - start
        await bob.leave()
    await _next(rep, MemberLeft)
    return elapsed


async def _bare_join(host_ws: trio_websocket.WebSocketConnection, room_url: str) -> float:
    start = trio.current_time()
    async with trio_websocket.open_websocket_url(room_url) as ws:
        await ws.send_message(encode_envelope(JoinRoom()))
        welcome = decode_relay_envelope(_binary(await ws.get_message()))
        assert isinstance(welcome, Welcome)
        await ws.send_message(encode_envelope(Send(welcome.host, b"hello")))
        while not isinstance(
            decode_relay_envelope(_binary(await host_ws.get_message())), Delivered
        ):
            pass
        return trio.current_time() - start


async def _cli_join(rep: HostSession, relay: str) -> float:
    start = trio.current_time()
    argv = python_command("peer", "join", str(rep.code), "--relay", relay, "--name", "Cli")
    async with open_console("cli", argv) as cli:
        await cli.expect(r"^Joined session")
        await cli.send("hello")
        await _next(rep, ChatReceived)
        elapsed = trio.current_time() - start
        await cli.close_input()
        await cli.wait_exit()
    await _next(rep, MemberLeft)
    return elapsed


def _binary(message: str | bytes) -> bytes:
    assert isinstance(message, bytes)
    return message


def _summary(samples: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples)
    return {
        "p50_ms": round(statistics.median(ms), 2),
        "p90_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.9))], 2),
        "runs": len(ms),
    }


async def bench(runs: int, cli_runs: int) -> dict[str, dict[str, float]]:
    # Every join comes from 127.0.0.1 here: lift the per-address join limit.
    async with open_console(
        "relay",
        python_command(
            "relay", "--port", "0", "--failed-joins-per-minute", "100000", "--log-level", "WARNING"
        ),
    ) as relay_console:
        relay = (await relay_console.expect(r"^Relay listening on (ws://\S+)")).group(1)
        async with open_hosted_session(relay, "Alice") as rep:
            await _api_join(rep, relay)  # warm-up: imports, first handshake
            api = [await _api_join(rep, relay) for _ in range(runs)]
            cli = [await _cli_join(rep, relay) for _ in range(cli_runs)]
        room_url = f"{relay}/s/1"
        async with trio_websocket.open_websocket_url(room_url) as host_ws:
            await host_ws.send_message(encode_envelope(CreateRoom()))
            await host_ws.get_message()
            bare = [await _bare_join(host_ws, room_url) for _ in range(runs)]
        relay_console.signal()
        await relay_console.wait_exit()
    out = {"session_api": _summary(api), "bare_websocket": _summary(bare), "cli": _summary(cli)}
    out["session_api"]["ratio_to_bare"] = round(
        out["session_api"]["p50_ms"] / max(out["bare_websocket"]["p50_ms"], 1e-6), 2
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--cli-runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = trio.run(bench, args.runs, args.cli_runs)
    if args.json:
        print(json.dumps(result))
        return
    print(f"{'join path':<16} {'p50 ms':>9} {'p90 ms':>9} {'runs':>5}")
    for name, row in result.items():
        print(f"{name:<16} {row['p50_ms']:>9.2f} {row['p90_ms']:>9.2f} {int(row['runs']):>5}")
    print(f"session join / bare WebSocket join (p50): {result['session_api']['ratio_to_bare']}x")


if __name__ == "__main__":
    main()
