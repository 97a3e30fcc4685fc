"""An assistant that takes control keeps the records of a controlling rep (SPEC M5, I4).

Real ``helpline`` processes and a real relay: Alice hands the session to
Dave, an assistant; from that moment Dave's own machine records it (the
people in it, the chat, the system information Dave asks for and Bob's
consent, Dave's notes) and Dave's ``/end`` offers the notes prompt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codec import SessionCode
from tests.e2e.workplace import assistant_dave, end_with_notes, machine, next_code

if TYPE_CHECKING:
    from pathlib import Path


async def test_an_assistant_given_control_keeps_its_own_record_and_ends_with_notes(
    tmp_path: Path, relay_process: str
) -> None:
    rep, bobs, daves = (machine(tmp_path, who) for who in ("rep", "bob", "dave"))
    relay, no_display = ["--relay", relay_process], {"DISPLAY": ""}
    start = ["start", *relay, "--name", "Alice", "--tracking", "CASE-7"]
    async with rep.run("alice", *start, env=no_display) as alice:
        code = await next_code(alice)
        number = SessionCode.parse(code).number
        async with bobs.run("bob", "join", code, *relay, "--name", "Bob", env=no_display) as bob:
            await alice.expect(r"^\* Bob joined \(customer\)$")
            async with assistant_dave(alice, daves, relay_process) as dave:
                await alice.send("/transfer-control Dave")
                await dave.expect(r"^\* You control the session: it is recorded in your history")
                await bob.expect(r"^\* Dave is the controlling rep now")
                await bob.send("the printer is still offline")
                await dave.expect(r"^\[customer\] Bob: the printer is still offline$")
                await dave.send("/sysinfo")
                await bob.expect(r"^Allow\? \[y/N\]$")
                await bob.send("y")
                await dave.expect(r"^System information from Bob")
                await end_with_notes(dave, "Dave", ("cable replaced", "back online"), alice, bob)
                assert await dave.wait_exit() == 0

    await daves.check_history(
        number,
        ["general", "CASE-7", "Bob"],
        "(ended by Dave)",
        "  Dave (rep) ",
        "  Alice (assistant) ",
        "  Bob (customer) ",
        "Alice handed control to Dave",
        "Bob: the printer is still offline",
        "Bob allowed: system information",
        "  - cable replaced",
        "  - back online",
    )
