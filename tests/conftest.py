"""Fixtures shared by every test package: a relay in-process or as a process.

``relay_url`` runs :func:`relay.serve_relay` in the test's own trio run (fast,
and its metrics are reachable); ``relay_process`` runs the real
``python -m relay`` on a free loopback port, as users and operators do.
"""

from __future__ import annotations

import socket
import sys
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import pytest

from peer._server_process import open_server_process
from relay import RelaySettings, RunningRelay, serve_relay
from tests.x11.xvfb import open_xvfb

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    import trio

LISTENING_PREFIX = "Relay listening on "


def free_port() -> int:
    """A loopback port nothing listens on now (for a server that must keep its port)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_relay_settings(**overrides: Any) -> RelaySettings:
    """Relay settings for tests: loopback, a free port, *overrides* on top."""
    return RelaySettings(**{"host": "127.0.0.1", "port": 0, **overrides})


@pytest.fixture
async def relay_url(nursery: trio.Nursery) -> str:
    """A relay with default settings, in-process; its ``ws://127.0.0.1:PORT``."""
    running: RunningRelay = await nursery.start(serve_relay, free_relay_settings())
    return running.url


@asynccontextmanager
async def open_relay_process(*args: str) -> AsyncIterator[tuple[trio.Process, str]]:
    """Run ``python -m relay --host 127.0.0.1 --port 0 *args``; yield it and its URL.

    On exit the process gets SIGTERM (if still running), then SIGKILL after 5 s.
    """
    command = [sys.executable, "-m", "relay", "--host", "127.0.0.1", "--port", "0", *args]
    async with open_server_process(command) as (process, url):
        yield process, url


@pytest.fixture
async def relay_process() -> AsyncIterator[str]:
    """The real relay as a subprocess; its ``ws://127.0.0.1:PORT``."""
    async with open_relay_process() as (_, url):
        yield url


@pytest.fixture(scope="module")
def xdisplay() -> Iterator[str]:
    """A private Xvfb at 1280x800 for the tests of one module."""
    with open_xvfb() as display:
        yield display
