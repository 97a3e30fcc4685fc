"""A real relay process to attack, and what an attacker and a bystander need.

:func:`open_attacked_relay` runs ``python -m relay`` with the given flags,
its log in a file, and yields a :class:`Target`: its URL, its memory, its
log. :func:`live_pair_works` is the check every probe ends with: a rep and
a customer, from their own address, still meet and exchange a message.
"""

from __future__ import annotations

import subprocess
import sys
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import trio

from codec import CreateRoom, Delivered, JoinRoom, MemberJoined, Send, Welcome
from peer._server_process import stop_process
from tests.relay.clients import WAIT, RawClient, open_member

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

STARTUP = 20.0  # interpreter start-up on a busy 2-core machine


@dataclass
class Target:
    process: trio.Process
    url: str
    log_path: Path

    def rss_bytes(self) -> int:
        """The relay process's resident memory now."""
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS in /proc status")

    def log(self) -> str:
        return self.log_path.read_text()

    def assert_still_running_without_tracebacks(self) -> None:
        assert self.process.returncode is None, self.log()
        assert "Traceback" not in self.log(), self.log()


@asynccontextmanager
async def open_attacked_relay(tmp_path: Path, *flags: str) -> AsyncIterator[Target]:
    log_path = tmp_path / "relay.log"
    argv = [sys.executable, "-m", "relay", "--host", "127.0.0.1", "--port", "0", *flags]
    with log_path.open("wb") as log:
        process = await trio.lowlevel.open_process(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log
        )
    try:
        assert process.stdout is not None
        line = b""
        with trio.fail_after(STARTUP):
            while not line.endswith(b"\n"):
                chunk = await process.stdout.receive_some(1)
                assert chunk, log_path.read_text()
                line += chunk
        yield Target(process, "ws://" + line.decode().strip().rsplit("ws://", 1)[1], log_path)
    finally:
        await stop_process(process)


async def as_address(url: str, room: str, address: str) -> RawClient:
    """A raw client that the relay (trusting X-Forwarded-For) sees at *address*."""
    return await RawClient.connect(url, room, headers=[(b"X-Forwarded-For", address)])


async def live_pair_works(url: str, room: str = "live1") -> None:
    """A rep and a customer meet in a fresh room and exchange a message both ways."""
    with trio.fail_after(WAIT * 2):
        async with open_member(url, room, create=True) as rep, open_member(url, room) as customer:
            assert customer.welcome == Welcome(2, 1, (1,))
            assert await rep.receive() == MemberJoined(2)
            await customer.send(Send(rep.id, b"hello"))
            assert await rep.receive() == Delivered(customer.id, b"hello")
            await rep.send(Send(customer.id, b"hi"))
            assert await customer.receive() == Delivered(rep.id, b"hi")


async def live_pair_from(url: str, room: str, address: str) -> None:
    """The same, with both ends at *address* (relay trusting X-Forwarded-For)."""
    with trio.fail_after(WAIT * 2):
        rep = await as_address(url, room, address)
        try:
            await rep.send_envelope(CreateRoom())
            assert isinstance(await rep.first_envelope(), Welcome), rep.envelopes()
            customer = await as_address(url, room, address)
            try:
                await customer.send_envelope(JoinRoom())
                welcome = await customer.first_envelope()
                assert welcome == Welcome(2, 1, (1,)), customer.envelopes()
                await customer.send_envelope(Send(1, b"hello"))
                await rep.read_until(lambda: Delivered(2, b"hello") in rep.envelopes())
            finally:
                await customer.stream.aclose()
        finally:
            await rep.stream.aclose()
