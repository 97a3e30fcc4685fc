"""Several sessions in one rep program (SPEC M3), with the real programs.

``/new`` starts another session and prints its code; ``/sessions`` lists
them with their customers; ``/switch N`` picks where typed lines go; lines
from a session are prefixed with its number while several are open; the
site policy caps how many; each session keeps its own history record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codec import SessionCode
from tests.e2e.workplace import CODE, machine

if TYPE_CHECKING:
    from pathlib import Path


async def test_a_rep_runs_two_sessions_each_with_its_own_customer(
    tmp_path: Path, relay_process: str
) -> None:
    rep, cust = machine(tmp_path, "rep"), machine(tmp_path, "customer")
    rep.write_policy("[sessions]\nmax_sessions = 2\n")
    relay = ["--relay", relay_process]
    async with rep.run("alice", "start", *relay, "--name", "Alice") as alice:
        first = (await alice.expect(rf"^Session code: {CODE}$")).group(1)
        async with cust.run("bob", "join", first, *relay, "--name", "Bob") as bob:
            await alice.expect(r"^\* Bob joined \(customer\)$")
            await alice.send("/new --tracking CASE-2")
            second = (await alice.expect(rf"^\[2\] Session code: {CODE}$")).group(1)
            await alice.expect(r"^\* Session 2 started: typed lines go to it")
            assert SessionCode.parse(second).number != SessionCode.parse(first).number
            async with cust.run("carol", "join", second, *relay, "--name", "Carol") as carol:
                await alice.expect(r"^\[2\] \* Carol joined \(customer\)$")
                await alice.send("/sessions")
                await alice.expect(rf"^  1: general \({CODE}\): Bob$")
                await alice.expect(rf"^\* 2: general, tracking code CASE-2 \({CODE}\): Carol$")

                await alice.send("hello Carol")
                await carol.expect(r"^\[rep\] Alice: hello Carol$")
                await bob.send("is anyone there?")
                await alice.expect(r"^\[1\] \[customer\] Bob: is anyone there\?$")
                await alice.send("/switch 1")
                await alice.expect(r"^\* Typed lines go to session 1 now$")
                await alice.send("yes Bob")
                await bob.expect(r"^\[rep\] Alice: yes Bob$")

                await alice.send("/new")
                await alice.expect(r"^! the site policy allows 2 sessions at once; end one first$")
                await alice.send("/switch 7")
                await alice.expect(r"^! there is no open session 7 \(open: 1, 2\)")

                await alice.send("/switch 2")
                await alice.send("/end")
                await alice.expect(r"^\[2\] Add a note")
                await alice.send("")
                await alice.expect(r"^\[2\] Session ended by Alice$")
                await carol.expect(r"^Session ended by Alice$")
                await alice.expect(r"^\* Typed lines go to session 1 now")
            await alice.send("still here")
            await bob.expect(r"^\[rep\] Alice: still here$")
            assert not [line for line in bob.lines if "hello Carol" in line]
            await alice.send("/end")
            await alice.send("")
            await alice.expect(r"^Session ended by Alice$")
        assert await alice.wait_exit() == 0
    async with rep.run("history", "history") as listing:
        assert await listing.wait_exit() == 0
    rows = [line.split() for line in listing.lines[1:]]
    assert [row[2:] for row in rows] == [  # newest first: one record per session
        [SessionCode.parse(second).number, "general", "CASE-2", "Carol"],
        [SessionCode.parse(first).number, "general", "-", "Bob"],
    ]
