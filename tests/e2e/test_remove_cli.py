"""The controlling rep removes someone with /remove: they are told, the others see it."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from peer._console import open_console, python_command
from tests.e2e.test_cli import CODE, _env

if TYPE_CHECKING:
    from pathlib import Path


async def test_the_rep_removes_a_customer_and_only_the_controlling_rep_may(
    relay_process: str, tmp_path: Path
) -> None:
    env = {**_env(os.fspath(tmp_path)), "DISPLAY": ""}
    relay = ["--relay", relay_process]
    start = python_command("peer", "start", "--name", "Alice", *relay)
    async with open_console("rep", start, env=env) as alice:
        code = (await alice.expect(rf"^Session code: {CODE}$")).group(1)
        join = python_command("peer", "join", code, "--name", "Bob", *relay)
        async with open_console("Bob", join, env=env) as bob:
            code = (await alice.expect(rf"^Session code: {CODE}$")).group(1)  # the next one
            await alice.expect(r"^\* Bob joined \(customer\)$")
            join = python_command("peer", "join", code, "--name", "Carol", *relay)
            async with open_console("Carol", join, env=env) as carol:
                await alice.expect(r"^\* Carol joined \(customer\)$")
                await carol.send("/remove Bob")
                await carol.expect(r"^! only the controlling rep can remove someone")
                await alice.send("/remove Bob")
                await alice.expect(r"^\* Alice removed Bob from the session$")
                await bob.expect(r"Alice removed you from the session; to go on, ask the rep")
                await carol.expect(r"^\* Alice removed Bob from the session$")
                await carol.send("/who")
                await carol.expect(r"^  Carol \(customer, primary, you\)$")
