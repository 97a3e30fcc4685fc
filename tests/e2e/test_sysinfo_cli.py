"""``/sysinfo`` between a real rep and a real customer: asked, shown, allowed or refused."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from codec import SessionCode
from tests.e2e.workplace import CODE, machine

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from peer._console import Console
    from tests.e2e.workplace import Machine

NO_SYSINFO = "[features]\nsystem_information = false\n"


@asynccontextmanager
async def rep_and_customer(
    tmp_path: Path, relay: str, *, rep_policy: str = "", customer_policy: str = ""
) -> AsyncIterator[tuple[Console, Console, Machine, Machine]]:
    rep, cust = machine(tmp_path, "rep"), machine(tmp_path, "customer")
    rep.write_policy(rep_policy)
    cust.write_policy(customer_policy)
    async with rep.run("alice", "start", "--relay", relay, "--name", "Alice") as alice:
        code = (await alice.expect(rf"^Session code: {CODE}$")).group(1)
        async with cust.run("bob", "join", code, "--relay", relay, "--name", "Bob") as bob:
            await alice.expect(r"^\* Bob joined \(customer\)$")
            yield alice, bob, rep, cust


async def shown_report(bob: Console) -> list[str]:
    """The lines the customer is shown between "exactly what would be sent" and the question."""
    await bob.expect(r"^Alice \(rep\) asks for your system information\.$")
    await bob.expect(r"^Allow\? \[y/N\]$")
    return between(bob.lines, "This is exactly what would be sent:", "Allow? [y/N]")


def between(lines: list[str], first: str, last: str) -> list[str]:
    start = len(lines) - 1 - lines[::-1].index(first)
    return lines[start + 1 : lines.index(last, start)]


async def test_the_customer_sees_exactly_what_is_sent_and_the_rep_gets_it_on_yes(
    tmp_path: Path, relay_process: str
) -> None:
    async with rep_and_customer(tmp_path, relay_process) as (alice, bob, rep, _):
        await alice.send("/sysinfo")
        await alice.expect(r"^Asked Bob for system information; waiting for the answer\.$")
        shown = await shown_report(bob)
        for section in ("System:", "Processor:", "Memory:", "Disks:", "Displays:"):
            assert f"  {section}" in shown
        assert "Network adapters:" in "\n".join(shown)
        for label in ("OS", "Hostname", "Uptime", "Helpline version", "Model", "Cores", "Total"):
            assert any(line.startswith(f"    {label}: ") for line in shown), label
        await bob.send("y")
        await bob.expect(r"^Sent your system information\.$")
        await alice.expect(r"^System information from Bob \(as their machine reports it\):$")
        await alice.send("/notes")
        await alice.expect(r"^No notes yet")
        header = "System information from Bob (as their machine reports it):"
        assert between(alice.lines, header, "No notes yet (/note TEXT adds one).") == shown
        await alice.send("/end")
        await alice.send("")
        assert await alice.wait_exit() == 0
    async with rep.run("history", "history", "show", _number(alice)) as h:
        assert await h.wait_exit() == 0
        assert any(line.endswith("Bob allowed: system information") for line in h.lines)


def _number(console: Console) -> str:
    for line in console.lines:
        if line.startswith("Session code: "):
            return SessionCode.parse(line.removeprefix("Session code: ")).number
    raise AssertionError("no session code printed")


async def test_the_customer_may_refuse_and_both_sides_say_so(
    tmp_path: Path, relay_process: str
) -> None:
    async with rep_and_customer(tmp_path, relay_process) as (alice, bob, _, _):
        await alice.send("/sysinfo Bob")
        await shown_report(bob)
        await bob.send("n")
        await bob.expect(r"^Refused; nothing was sent\.$")
        await alice.expect(r"^! Bob refused to send system information\.$")


async def test_the_customers_policy_refuses_on_both_sides_without_asking(
    tmp_path: Path, relay_process: str
) -> None:
    customer_policy = NO_SYSINFO
    async with rep_and_customer(tmp_path, relay_process, customer_policy=customer_policy) as (
        alice,
        bob,
        _,
        _,
    ):
        await alice.send("/sysinfo")
        await bob.expect(
            r"^! Refused a system information request from Alice: "
            r"system information is turned off by this site's policy$"
        )
        await alice.expect(
            r"^! No system information from Bob: system information is turned off by the policy "
            r"on the customer's computer; the customer was not asked$"
        )
        assert not any("Allow?" in line for line in bob.lines)


async def test_the_reps_policy_refuses_before_anything_is_asked(
    tmp_path: Path, relay_process: str
) -> None:
    async with rep_and_customer(tmp_path, relay_process, rep_policy=NO_SYSINFO) as (
        alice,
        bob,
        _,
        _,
    ):
        await alice.send("/sysinfo")
        await alice.expect(r"^! system information is turned off by this site's policy$")
        await alice.send("still chatting")
        await bob.expect(r"^\[rep\] Alice: still chatting$")
        assert not any("system information" in line for line in bob.lines)


async def test_sysinfo_asks_the_primary_customer(tmp_path: Path, relay_process: str) -> None:
    async with rep_and_customer(tmp_path, relay_process) as (alice, bob, _, cust):
        code = [line for line in alice.lines if line.startswith("Session code: ")][-1]
        join = ["join", code.split()[-1], "--relay", relay_process, "--name", "Carol"]
        async with cust.run("carol", *join) as carol:
            await alice.expect(r"^\* Carol joined \(customer\)$")
            await alice.send("/primary Carol")
            await alice.send("/sysinfo")
            await alice.expect(r"^Asked Carol for system information; waiting for the answer\.$")
            await carol.expect(r"^Allow\? \[y/N\]$")
            await carol.send("n")
            await alice.expect(r"^! Carol refused to send system information\.$")
            assert not any("Allow?" in line for line in bob.lines)
