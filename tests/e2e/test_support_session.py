"""A whole support session with the real programs (issue 11's combined test).

A real relay process; a rep, an assistant and two customers, each its own
``helpline`` process. The session runs through a primary switch that ends
a view, private chat, system information allowed and refused, transfer of
control and back, refused ends, a customer leaving and the end with notes;
then ``helpline history`` and ``history show`` on the rep's machine tell it.
Every refusal is printed on both sides.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codec import SessionCode
from tests.e2e.workplace import assistant_dave, end_with_notes, machine, next_code
from tests.x11.probe import open_probe

if TYPE_CHECKING:
    from pathlib import Path

    from peer._console import Console


def latest_code(alice: Console) -> str:
    """The code the rep's program shows now (a code admits one person)."""
    return [line for line in alice.lines if line.startswith("Session code: ")][-1].split()[-1]


async def test_a_support_session_with_an_assistant_and_two_customers(
    tmp_path: Path, relay_process: str, xdisplay: str
) -> None:
    rep, bobs, carols, daves = (machine(tmp_path, who) for who in ("rep", "bob", "carol", "dave"))
    relay = ["--relay", relay_process]
    no_display = {"DISPLAY": ""}
    start = ["start", *relay, "--name", "Alice", "--tracking", "CASE-11"]
    async with open_probe(xdisplay), rep.run("alice", *start, env=no_display) as alice:
        code = await next_code(alice)
        number = SessionCode.parse(code).number
        join_bob = ["join", code, *relay, "--name", "Bob"]
        async with bobs.run("bob", *join_bob, env={"DISPLAY": xdisplay}) as bob:
            await alice.expect(r"^\* Bob joined \(customer\)$")
            join_carol = ["join", latest_code(alice), *relay, "--name", "Carol"]
            async with carols.run("carol", *join_carol, env=no_display) as carol:
                await alice.expect(r"^\* Carol joined \(customer\)$")
                async with assistant_dave(alice, daves, relay_process) as dave:
                    await carol.expect(r"^\* Dave joined \(assistant\)$")

                    # A view of the primary customer's desktop, ended by the switch (M2).
                    await alice.send("/view")
                    await bob.expect(r"^Alice \(rep\) asks to view your desktop\. Allow\? \[y/N\]$")
                    await bob.send("y")
                    await alice.expect(r"^\* Viewing: Bob's desktop")
                    await alice.send("/primary Carol")
                    await alice.expect(r"^\* Sharing ended: the primary customer changed$")
                    await bob.expect(r"^\* Sharing stopped by Alice")
                    await dave.expect(r"^\* Carol is now the primary customer$")

                    # Private chat reaches only those named.
                    await bob.send("/to Alice,Dave my account number is 12345")
                    await alice.expect(r"^\[customer\] Bob \(private\): my account number is")
                    await dave.expect(r"^\[customer\] Bob \(private\): my account number is")
                    await bob.send("hello everyone")
                    await carol.expect(r"^\[customer\] Bob: hello everyone$")
                    assert not [line for line in carol.lines if "12345" in line]

                    # System information: allowed, then refused (both sides told).
                    await alice.send("/sysinfo")
                    await carol.expect(r"^Allow\? \[y/N\]$")
                    await carol.send("y")
                    await carol.expect(r"^Sent your system information\.$")
                    await alice.expect(r"^System information from Carol")
                    await alice.send("/sysinfo")
                    await carol.expect(r"^Allow\? \[y/N\]$")
                    await carol.send("n")
                    await carol.expect(r"^Refused; nothing was sent\.$")
                    await alice.expect(r"^! Carol refused to send system information\.$")

                    # Refused ends: a customer and an assistant can only leave.
                    await bob.send("/end")
                    await bob.expect(r"^! only the controlling rep can end the session")
                    await dave.send("/end")
                    await dave.expect(r"^! only the controlling rep can end the session")

                    # Transfer of control and back (M5).
                    await alice.send("/transfer-control Dave")
                    await dave.expect(r"^\* Alice handed control of the session to you")
                    await carol.expect(r"^\* Dave is the controlling rep now")
                    await alice.expect(r"^\* Dave is the controlling rep now; you are an assistant")
                    await alice.send("/end")
                    await alice.expect(r"^! only the controlling rep can end the session")
                    await dave.send("Dave here, I will take it from now")
                    await bob.expect(r"^\[rep\] Dave: Dave here")
                    await dave.send("/transfer-control Alice")
                    await alice.expect(r"^\* Dave handed control of the session to you")
                    await bob.expect(r"^\* Alice is the controlling rep now")

                    # A customer leaves; the rep ends with notes.
                    await carol.send("/quit")
                    await carol.expect(r"^You left the session\.$")
                    await alice.expect(r"^\* Carol left$")
                    notes = ("escalated to Dave and back", "printer driver reinstalled")
                    await end_with_notes(alice, "Alice", notes, bob, dave)
        assert await alice.wait_exit() == 0

    await rep.check_history(
        number,
        ["general", "CASE-11", "Bob,", "Carol"],
        "Tracking code: CASE-11",
        "(ended by Alice)",
        "  Bob (customer) ",
        "  Carol (customer) ",
        "  Dave (assistant) ",
        "Bob to Alice, Dave (private): my account number is 12345",
        "Bob: hello everyone",
        "Carol allowed: system information",
        "Carol refused: system information",
        "Bob allowed: view their desktop",
        "Alice handed control to Dave",
        "Dave handed control to Alice",
        "  - escalated to Dave and back\n  - printer driver reinstalled",
    )
