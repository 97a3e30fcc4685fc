"""``helpline start`` under a site policy: types, tracking codes, the one-click start."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from codec import SessionCode
from tests.e2e.workplace import CODE, machine

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from peer._console import Console

POLICY = """\
[sessions]
types = ["general", "billing"]
require_tracking_code = true
"""


async def test_an_unknown_session_type_is_refused_naming_the_choices(tmp_path: Path) -> None:
    rep = machine(tmp_path, "rep")
    rep.write_policy(POLICY)
    async with rep.run("rep", "start", "--type", "sales", "--tracking", "T-1") as alice:
        await alice.expect(
            r"^helpline: there is no session type 'sales'; choose one of: general, billing$"
        )
        assert await alice.wait_exit() == 1


async def test_a_required_tracking_code_is_asked_for(tmp_path: Path) -> None:
    rep = machine(tmp_path, "rep")
    policy = rep.write_policy(POLICY)
    async with rep.run("rep", "start", "--policy", str(policy), "--type", "billing") as alice:
        await alice.expect(r"^helpline: this site requires a tracking code: start with --tracking")
        assert await alice.wait_exit() == 1


async def test_a_malformed_policy_is_one_line_naming_file_line_and_key(tmp_path: Path) -> None:
    rep = machine(tmp_path, "rep")
    bad = tmp_path / "site.toml"
    bad.write_text("[features]\nview = true\ncontrol = sometimes\n", encoding="utf-8")
    for command in ("start", "join"):
        args = [command, "--policy", str(bad)] + (
            ["1234-5678-901-2345"] if command == "join" else []
        )
        async with rep.run(command, *args) as console:
            assert await console.wait_exit() == 1
            output = [line for line in console.lines if line.strip()]
            assert output == [f"helpline: {bad}: line 3: features.control: invalid value"]


async def test_a_policy_named_by_the_environment_must_exist(tmp_path: Path) -> None:
    rep = machine(tmp_path, "rep")
    missing = tmp_path / "nowhere.toml"
    async with rep.run("rep", "start", env={"HELPLINE_POLICY": str(missing)}) as alice:
        await alice.expect(rf"^helpline: {missing}: no such policy file$")
        assert await alice.wait_exit() == 1


async def test_start_alone_takes_type_tracking_code_relay_and_name_from_the_config(
    tmp_path: Path, relay_process: str
) -> None:
    rep, cust = machine(tmp_path, "rep"), machine(tmp_path, "customer")
    rep.write_policy(POLICY)
    rep.write_config(
        f'relay = "{relay_process}"\nname = "Alice"\ntype = "billing"\ntracking = "CASE-42"\n'
    )
    async with rep.run("rep", "start") as alice:
        code = (await alice.expect(rf"^Session code: {CODE}$")).group(1)
        await alice.expect(rf"^Relay: {relay_process}$")
        await alice.expect(r"^Session type: billing, tracking code CASE-42$")
        async with cust.run("bob", "join", code, "--relay", relay_process, "--name", "Bob") as bob:
            await bob.expect(r"^In this session: Alice \(rep\)$")


async def test_the_customer_cap_turns_the_next_joiner_away_on_both_sides(
    tmp_path: Path, relay_process: str
) -> None:
    rep, cust = machine(tmp_path, "rep"), machine(tmp_path, "customer")
    rep.write_policy("[sessions]\nmax_customers = 1\n")
    join = ["--relay", relay_process]
    async with rep.run("alice", "start", *join, "--name", "Alice") as alice:
        first = (await alice.expect(rf"^Session code: {CODE}$")).group(1)
        async with cust.run("bob", "join", first, *join, "--name", "Bob") as bob:
            code = (await alice.expect(rf"^Session code: {CODE}$")).group(1)
            await alice.expect(r"^\* Bob joined \(customer\)$")
            async with cust.run("carol", "join", code, *join, "--name", "Carol") as carol:
                await carol.expect(
                    r"^helpline: the session already has as many customers as the rep's "
                    r"site policy allows; ask the rep$"
                )
                assert await carol.wait_exit() == 1
            await alice.expect(
                r"^! Turned away someone trying to join: "
                r"the session has 1 customer, as many as the site policy allows$"
            )
            await bob.send("/quit")
            await alice.expect(r"^\* Bob left$")
        # The code Carol tried was not spent: she joins with it once there is room.
        async with cust.run("carol", "join", code, *join, "--name", "Carol") as carol:
            await carol.expect(r"^Joined session \d{4}-\d{4} as Carol$")


@asynccontextmanager
async def alice_and_bob(
    tmp_path: Path, relay: str, *, rep_policy: str = "", customer_policy: str = ""
) -> AsyncIterator[tuple[Console, Console]]:
    """Alice's and Bob's programs in one session, each machine under its own policy file."""
    rep, cust = machine(tmp_path, "rep"), machine(tmp_path, "customer")
    for who, policy in ((rep, rep_policy), (cust, customer_policy)):
        if policy:
            who.write_policy(policy)
    join = ["--relay", relay]
    async with rep.run("alice", "start", *join, "--name", "Alice") as alice:
        code = (await alice.expect(rf"^Session code: {CODE}$")).group(1)
        async with cust.run("bob", "join", code, *join, "--name", "Bob") as bob:
            await alice.expect(r"^\* Bob joined \(customer\)$")
            yield alice, bob


def number(alice: Console) -> str:
    """The session number of the code Alice's program printed first."""
    code = next(line for line in alice.lines if line.startswith("Session code: "))
    return SessionCode.parse(code.split()[-1]).number


def never_asked(bob: Console) -> bool:
    return not [line for line in bob.lines if "Allow?" in line]


async def test_an_activity_the_reps_policy_turns_off_is_refused_before_the_customer_is_asked(
    tmp_path: Path, relay_process: str
) -> None:
    off = "[features]\ncontrol = false\napplication_sharing = false\n"
    async with alice_and_bob(tmp_path, relay_process, rep_policy=off) as (alice, bob):
        await alice.send("/control")
        await alice.expect(
            r"^! control of the customer's screen is turned off by this site's policy$"
        )
        await alice.send("/view-app")
        await alice.expect(r"^! application sharing is turned off by this site's policy$")
        await alice.send("nothing was asked before this line")
        await bob.expect(r"nothing was asked before this line$")
        assert never_asked(bob)


async def test_the_customers_own_policy_refuses_an_activity_and_the_rep_reads_whose_no_it_is(
    tmp_path: Path, relay_process: str
) -> None:
    off = "[features]\ncontrol = false\n"
    async with alice_and_bob(tmp_path, relay_process, customer_policy=off) as (alice, bob):
        await alice.send("/control")
        await bob.expect(
            r"^! Refused Alice's request to control your desktop \(mouse, keyboard, "
            r"clipboard\): control of the customer's screen is turned off by this site's "
            r"policy$"
        )
        await alice.expect(
            r"^Bob's computer's policy does not allow you to control their desktop "
            r"\(mouse, keyboard, clipboard\); Bob was not asked\.$"
        )
        assert never_asked(bob)
        assert not any("declined" in line for line in alice.lines)
        async with machine(tmp_path, "rep").run("history", "history", "show", number(alice)) as h:
            assert await h.wait_exit() == 0
            assert any(
                line.endswith(
                    " Bob's computer's policy refused: "
                    "control their desktop (mouse, keyboard, clipboard)"
                )
                for line in h.lines
            )


async def test_the_customers_own_policy_refuses_file_access_without_asking(
    tmp_path: Path, relay_process: str
) -> None:
    off = "[features]\nfile_transfer_advanced = false\n"
    async with alice_and_bob(tmp_path, relay_process, customer_policy=off) as (alice, bob):
        await alice.send("/file-access")
        await bob.expect(
            r"^! Refused Alice's request for file access: transferring files to or from "
            r"the customer's computer is turned off by this site's policy$"
        )
        await alice.expect(
            r"^\* File access refused: transferring files to or from the customer's computer is "
            r"turned off by the policy on the customer's computer; the customer was not asked "
            r"\(Bob\)$"
        )
        assert never_asked(bob)
