"""The command line's own options: version, log level, the embedded relay's port and address."""

from __future__ import annotations

import re
import socket
from importlib.metadata import version
from typing import TYPE_CHECKING

import pytest

from peer._addresses import outward_addresses
from tests.e2e.workplace import CODE, machine

if TYPE_CHECKING:
    from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


async def test_version_prints_the_installed_version(tmp_path: Path) -> None:
    async with machine(tmp_path, "rep").run("helpline", "--version") as out:
        await out.expect(rf"^helpline {re.escape(version('helpline'))}$")
        assert await out.wait_exit() == 0


async def test_log_level_is_accepted_in_any_case(tmp_path: Path) -> None:
    async with machine(tmp_path, "rep").run("helpline", "--log-level", "DEBUG", "history") as out:
        assert await out.wait_exit() == 0
    async with machine(tmp_path, "rep").run("helpline", "--log-level", "loud", "history") as out:
        await out.expect(r"invalid choice: 'loud'")
        assert await out.wait_exit() == 2


async def test_port_fixes_the_embedded_relays_port_and_a_customer_joins_there(
    tmp_path: Path,
) -> None:
    port = free_port()
    rep, cust = machine(tmp_path, "rep"), machine(tmp_path, "customer")
    async with rep.run("alice", "start", "--name", "Alice", "--port", str(port)) as alice:
        code = (await alice.expect(rf"^Session code: {CODE}$")).group(1)
        await alice.expect(rf"^Relay: ws://127\.0\.0\.1:{port}$")
        relay = f"ws://127.0.0.1:{port}"
        async with cust.run("bob", "join", code, "--relay", relay, "--name", "Bob") as bob:
            await bob.expect(r"^Joined session")


async def test_listening_everywhere_prints_this_machines_outward_addresses(
    tmp_path: Path,
) -> None:
    port = free_port()
    start = ["start", "--name", "Alice", "--listen", "0.0.0.0", "--port", str(port)]
    rep, cust = machine(tmp_path, "rep"), machine(tmp_path, "customer")
    async with rep.run("alice", *start) as alice:
        code = (await alice.expect(rf"^Session code: {CODE}$")).group(1)
        await alice.expect(r"^Waiting for someone to join")
        shown = [line.split(" ", 1)[1] for line in alice.lines if line.startswith("Relay: ")]
        expected = outward_addresses() or ["127.0.0.1"]
        assert shown == [f"ws://{address}:{port}" for address in expected]
        assert not [line for line in alice.lines if "0.0.0.0" in line]
        links = [line for line in alice.lines if line.startswith("Join link: ")]
        assert len(links) == len(expected)
        # Other machines would use an outward address; the test stays on loopback.
        relay = f"ws://127.0.0.1:{port}"
        async with cust.run("bob", "join", code, "--relay", relay, "--name", "Bob") as bob:
            await bob.expect(r"^Joined session")


async def test_port_with_an_outside_relay_is_refused(tmp_path: Path) -> None:
    start = ["start", "--relay", "ws://127.0.0.1:9", "--port", "8765"]
    async with machine(tmp_path, "rep").run("alice", *start) as alice:
        await alice.expect(r"--port is for the relay started on this machine")
        assert await alice.wait_exit() == 2


async def test_a_join_usage_error_shows_the_join_commands_usage(tmp_path: Path) -> None:
    bob = machine(tmp_path, "customer")
    async with bob.run("bob", "join", "4821-9376-309-3617", "--bogus") as out:
        await out.expect(r"^usage: helpline join ")
        await out.expect(r"^helpline join: error: unrecognized arguments: --bogus$")
        assert await out.wait_exit() == 2
    async with bob.run("bob", "join", env={"DISPLAY": ""}) as out:
        await out.expect(r"^usage: helpline join ")
        await out.expect(r"^helpline join: error: give the code \(or link\) the rep gave you")
        assert await out.wait_exit() == 2


async def test_a_relay_address_that_is_no_relays_is_refused_before_connecting(
    tmp_path: Path,
) -> None:
    join = ["join", "4821-9376-309-3617", "--relay", "ws:/127.0.0.1:9", "--name", "Bob"]
    async with machine(tmp_path, "customer").run("bob", *join) as out:
        await out.expect(r"^helpline: 'ws:/127.0.0.1:9' is not a relay address")
        assert await out.wait_exit() == 1
        assert not any(line.startswith("Connecting") for line in out.lines)


@pytest.mark.parametrize("command", ["start", "join", "console"])
async def test_the_relays_web_address_is_refused_naming_its_relay_address(
    tmp_path: Path, command: str
) -> None:
    """The address of the relay's page, copied from a browser, is the usual slip."""
    code = ["4821-9376-309-3617"] if command == "join" else []
    args = [command, *code, "--relay", "https://help.example.org/", "--name", "Alice"]
    async with machine(tmp_path, "rep").run("alice", *args) as out:
        assert await out.wait_exit() == 1
        assert [line for line in out.lines if line.strip()] == [
            "helpline: 'https://help.example.org/' is a web address, not a relay address; "
            "try wss://help.example.org"
        ]


async def test_an_unknown_key_in_the_config_file_stops_helpline_in_one_line(
    tmp_path: Path,
) -> None:
    bob = machine(tmp_path, "customer")
    bob.write_config('reIay = "ws://127.0.0.1:9"\n')
    async with bob.run("bob", "join", "4821-9376-309-3617", "--name", "Bob") as out:
        await out.expect(r"config\.toml: line 1: reIay: unknown setting; known: ")
        assert await out.wait_exit() == 1


async def test_helpline_alone_lists_the_commands_with_what_each_is_for(tmp_path: Path) -> None:
    async with machine(tmp_path, "customer").run("bob") as out:
        assert await out.wait_exit() == 2
        shown = "\n".join(out.lines)
        assert "start a support session (the rep)" in shown
        assert "join a session with the code or link the rep gave you" in shown
        assert "the following arguments are required" not in shown
