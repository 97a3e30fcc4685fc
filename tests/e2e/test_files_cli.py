"""File transfer through the real programs, typed as a person types it."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from tests.e2e.test_cli import customer, rep
from tests.files.helpers import make_file, sha256_of

if TYPE_CHECKING:
    from pathlib import Path


async def test_share_get_access_put_and_revoke_from_the_command_line(
    relay_process: str, tmp_path: Path
) -> None:
    tmp = os.fspath(tmp_path)
    shared = make_file(tmp_path / "notes 2024.txt", 100_000)
    tool = make_file(tmp_path / "tool.sh", 5_000)
    into = tmp_path / "bob-downloads"
    async with rep(relay_process, tmp, "--download-dir", str(tmp_path / "alice")) as (alice, code):
        async with customer(code, relay_process, tmp, "Bob", "--download-dir", str(into)) as bob:
            await alice.expect(r"^\* Bob joined")
            await alice.send(f'/share "{tmp_path / "notes 2024.txt"}"')
            await alice.expect(r"^Sharing \[1\] notes 2024.txt \(100.0 KB\)$")
            await bob.expect(r"^\* Alice shares 1 item")
            await bob.send("/files")
            await bob.expect(r"^  \[1\] notes 2024.txt \(100.0 KB\)$")
            await bob.send("/get 1")
            await bob.expect(r"^\[1\] notes 2024.txt \(100.0 KB\) from Alice: complete, verified")
            assert sha256_of(into / "notes 2024.txt") == shared
            await alice.send("/file-access")
            await bob.expect(r"^\? Alice \(rep\) asks for file access.* Allow\? \[y/N\]$")
            await bob.send("y")
            await alice.expect(r"^\* File access granted \(Bob\)$")
            await alice.send(f"/put {tmp_path / 'tool.sh'} --to tools")
            await bob.expect(r"^\? Alice \(rep\) wants to send you tools/tool.sh \(5.0 KB\)")
            await bob.send("y")
            await bob.expect(r"^\[2\] tools/tool.sh \(5.0 KB\) from Alice: complete, verified")
            assert sha256_of(into / "tools" / "tool.sh") == tool
            await bob.send("/transfers")
            await bob.expect(r"^  \[1\] notes 2024.txt")
            await bob.send("/revoke files")
            await bob.expect(r"^File access revoked$")
            await alice.expect(
                r"^\* File access withdrawn: the customer revoked file access \(Bob\)$"
            )


async def test_the_customers_stop_says_that_file_access_is_still_given_and_how_to_take_it_back(
    relay_process: str, tmp_path: Path
) -> None:
    """/stop ends the screen; a customer who typed it must not believe file access ended too."""
    tmp = os.fspath(tmp_path)
    async with rep(relay_process, tmp) as (alice, code):
        async with customer(code, relay_process, tmp, "Bob") as bob:
            await alice.expect(r"^\* Bob joined")
            await bob.send("/stop")
            await bob.expect(r"^Nothing is shared\.$")
            await alice.send("/file-access")
            await bob.expect(r"^\? Alice \(rep\) asks for file access.* Allow\? \[y/N\]$")
            await bob.send("y")
            await alice.expect(r"^\* File access granted \(Bob\)$")
            note = (
                r"^Alice still has file access \(each transfer is still asked\); "
                r"/revoke files takes it back\.$"
            )
            for command in ("/stop", "/status"):
                await bob.send(command)
                await bob.expect(r"^Nothing is shared\.$")
                await bob.expect(note)
            await bob.send("/revoke files")
            await bob.expect(r"^File access revoked$")
            await bob.send("/stop")
            await bob.expect(r"^Nothing is shared\.$")
            await bob.send("/who")
            await bob.expect(r"^  Alice \(rep\)$")
            assert sum(1 for line in bob.lines if "still has file access" in line) == 2
