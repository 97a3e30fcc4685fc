"""The real ``helpline-relay`` process, as an operator runs it."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
import trio

from codec import RelayRejected, Welcome
from relay import RunningRelay, serve_relay
from tests.conftest import free_relay_settings, open_relay_process
from tests.relay.clients import WAIT, http_get, open_member

PROCESS_WAIT = 20  # interpreter start-up on a busy 2-core machine
SHUTTING_DOWN = RelayRejected(
    "shutting-down", "the relay is shutting down; reconnect to continue", True
)


async def test_relay_process_serves_rooms(relay_process: str) -> None:
    assert relay_process.startswith("ws://127.0.0.1:")
    with trio.fail_after(PROCESS_WAIT):
        async with open_member(relay_process, "room1", create=True) as host:
            assert host.welcome == Welcome(1, 1, ())
        assert (await http_get(relay_process, "/healthz"))[0] == 200


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_a_signal_closes_connections_with_1001_and_exits_0(signum: signal.Signals) -> None:
    with trio.fail_after(PROCESS_WAIT):
        async with (
            open_relay_process() as (process, url),
            open_member(url, "room1", create=True) as host,
        ):
            process.send_signal(signum)
            seen, close = await host.closed()
            assert close.code == 1001
            assert seen == [SHUTTING_DOWN]
            assert await process.wait() == 0


async def test_cancelling_serve_relay_closes_endpoints_with_1001(nursery: trio.Nursery) -> None:
    relay_scope = trio.CancelScope()

    async def run_relay(*, task_status: trio.TaskStatus[RunningRelay]) -> None:
        with relay_scope:
            await serve_relay(free_relay_settings(), task_status=task_status)

    running: RunningRelay = await nursery.start(run_relay)
    with trio.fail_after(WAIT):
        async with open_member(running.url, "room1", create=True) as host:
            relay_scope.cancel()
            seen, close = await host.closed()
            assert close.code == 1001
            assert seen == [SHUTTING_DOWN]


@pytest.mark.parametrize(
    "args",
    [["--port", "70000"], ["--idle-timeout", "-1"], ["--max-rooms", "many"], ["--bogus"]],
    ids=["port", "negative", "not-a-number", "unknown-flag"],
)
async def test_invalid_arguments_exit_2_with_one_line(args: list[str]) -> None:
    with trio.fail_after(PROCESS_WAIT):
        result = await trio.run_process(
            [sys.executable, "-m", "relay", *args],
            capture_stdout=True,
            capture_stderr=True,
            check=False,
        )
    assert result.returncode == 2
    assert result.stdout == b""
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("helpline-relay: ")


async def test_a_busy_port_is_reported_in_one_line() -> None:
    with trio.fail_after(PROCESS_WAIT):
        async with open_relay_process() as (_, url):
            port = url.rsplit(":", 1)[1]
            result = await trio.run_process(
                [sys.executable, "-m", "relay", "--port", port],
                capture_stdout=True,
                capture_stderr=True,
                check=False,
                stdin=subprocess.DEVNULL,
            )
    assert result.returncode == 1
    assert b"choose another --host or --port" in result.stderr
