"""The rep's history, written by real ``helpline start`` processes and read back.

A real relay process, a real rep and a real customer; then ``helpline
history`` and ``helpline history show`` on the rep's machine.
"""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING

from codec import SessionCode
from tests.e2e.workplace import CODE, machine

if TYPE_CHECKING:
    from pathlib import Path

    from tests.e2e.workplace import Machine


async def history(rep: Machine, *args: str) -> list[str]:
    async with rep.run("history", "history", *args) as console:
        assert await console.wait_exit() == 0
        return console.lines


async def test_a_session_is_recorded_whole_and_listed_newest_first(
    tmp_path: Path, relay_process: str
) -> None:
    rep, cust = machine(tmp_path, "rep"), machine(tmp_path, "customer")
    start = ["start", "--relay", relay_process, "--name", "Alice", "--tracking", "CASE-7"]
    join = ["--relay", relay_process, "--name", "Bob"]
    async with rep.run("alice", *start) as alice:
        code = (await alice.expect(rf"^Session code: {CODE}$")).group(1)
        async with cust.run("bob", "join", code, *join) as bob:
            await alice.expect(r"^\* Bob joined \(customer\)$")
            await bob.send("my printer is stuck")
            await alice.expect(r"^\[customer\] Bob: my printer is stuck$")
            await alice.send("/to Bob try turning it off")
            await bob.expect(r"^\[rep\] Alice \(private\): try turning it off$")
            await alice.send("/note printer jammed")
            await alice.expect(r"^Noted \(1 note\)\.$")
            await bob.send("/quit")
            await alice.expect(r"^\* Bob left$")
        await alice.send("/end")
        await alice.expect(r"^  1\. printer jammed$")
        await alice.expect(r"^Add a note .*an empty line keeps them as they are:$")
        await alice.send("fixed by power cycle")
        await alice.expect(r"^Notes saved \(2 notes\)\.$")
        assert await alice.wait_exit() == 0
    number = SessionCode.parse(code).number

    async with rep.run("alice", "start", "--relay", relay_process, "--type", "general") as again:
        await again.expect(rf"^Session code: {CODE}$")
        await again.send("/end")
        await again.send("")
        assert await again.wait_exit() == 0

    listing = await history(rep)
    assert listing[0].split() == ["DATE", "NUMBER", "TYPE", "TRACKING", "CUSTOMERS"]
    assert listing[1].split()[3:] == ["general", "-", "-"]
    assert listing[2].split()[2:] == [number, "general", "CASE-7", "Bob"]

    shown = "\n".join(await history(rep, "show", number))
    assert f"Session {number} " in shown
    assert "Tracking code: CASE-7" in shown
    assert "(ended by Alice)" in shown
    assert "  Alice (rep) " in shown
    assert "  Bob (customer) " in shown
    assert "Bob: my printer is stuck" in shown
    assert "Alice to Bob (private): try turning it off" in shown
    assert shown.endswith("Notes:\n  - printer jammed\n  - fixed by power cycle")


async def test_a_killed_rep_leaves_a_readable_record_marked_not_ended_cleanly(
    tmp_path: Path, relay_process: str
) -> None:
    rep, cust = machine(tmp_path, "rep"), machine(tmp_path, "customer")
    async with rep.run("alice", "start", "--relay", relay_process, "--name", "Alice") as alice:
        code = (await alice.expect(rf"^Session code: {CODE}$")).group(1)
        async with cust.run("bob", "join", code, "--relay", relay_process, "--name", "Bob") as bob:
            await alice.expect(r"^\* Bob joined \(customer\)$")
            await bob.send("before the crash")
            await alice.expect(r"^\[customer\] Bob: before the crash$")
            await alice.send("/note written before the kill")
            await alice.expect(r"^Noted")
            alice.signal(signal.SIGKILL)
            assert await alice.wait_exit() == -signal.SIGKILL
            await bob.expect(r"rep's connection dropped")
    listing = await history(rep)
    assert listing[1].endswith("Bob  (not ended cleanly)")
    shown = "\n".join(await history(rep, "show", code))
    assert "Ended: not ended cleanly" in shown
    assert "Bob: before the crash" in shown
    assert "  - written before the kill" in shown


async def test_show_of_an_unknown_number_says_how_to_list(tmp_path: Path) -> None:
    rep = machine(tmp_path, "rep")
    async with rep.run("history", "history", "show", "9999") as console:
        assert await console.wait_exit() == 0
        assert console.lines == [
            f"No sessions recorded yet (history file: {rep.data_dir / 'history.sqlite3'})."
        ]
