"""An assistant and two customers with the real programs (SPEC M1, M4)."""

from __future__ import annotations

import os

from tests.e2e.test_cli import CODE, customer, rep


async def test_an_assistant_joins_with_its_code_and_who_shows_roles_and_the_primary(
    relay_process: str, tmp_path: os.PathLike[str]
) -> None:
    tmp = os.fspath(tmp_path)
    async with rep(relay_process, tmp) as (alice, code):
        async with customer(code, relay_process, tmp, "Bob") as bob:
            await bob.expect(r"^Joined session")
            next_code = (await alice.expect(rf"^Session code: {CODE}$")).group(1)
            await alice.send("/assistant")
            assistant_code = (await alice.expect(rf"^Assistant code: {CODE}$")).group(1)
            assert assistant_code != next_code
            async with customer(assistant_code, relay_process, tmp, "Carol") as refused:
                await refused.expect(r"did not let us in: this is an assistant's code")
            await alice.expect(
                r"^! Turned away someone trying to join: "
                r"they used an assistant's code without asking to assist$"
            )
            await alice.send("/assistant")
            assistant_code = (await alice.expect(rf"^Assistant code: {CODE}$")).group(1)
            args = ["--assist"]
            async with customer(assistant_code, relay_process, tmp, "Dave", *args) as dave:
                await dave.expect(r"^Joined session")
                await bob.expect(r"^\* Dave joined \(assistant\)$")
                await dave.send("/who")
                await dave.expect(r"^  Alice \(rep\)$")
                await dave.expect(r"^  Bob \(customer, primary\)$")
                await dave.expect(r"^  Dave \(assistant, you\)$")
                await dave.send("/end")
                await dave.expect(r"only the controlling rep can end the session")
