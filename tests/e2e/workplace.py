"""A rep's or customer's machine for end-to-end tests: its own config and data folders.

Each person gets folders under the test's tmp dir (``XDG_CONFIG_HOME``,
``XDG_DATA_HOME``), so a policy file, a config file or the history database
of the machine running the tests is never read or written.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from peer._console import open_console, python_command

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from peer._console import Console

CODE = r"(\d{4}-\d{4}-\d{3}-\d{4,})"


@dataclass(frozen=True)
class Machine:
    home: Path

    @property
    def config_dir(self) -> Path:
        return self.home / "config" / "helpline"

    @property
    def data_dir(self) -> Path:
        return self.home / "data" / "helpline"

    def env(self) -> dict[str, str]:
        return {
            "XDG_CONFIG_HOME": str(self.home / "config"),
            "XDG_DATA_HOME": str(self.home / "data"),
            "HELPLINE_CONFIG": "",
            "HELPLINE_POLICY": "",
            "HELPLINE_RELAY": "",
        }

    def write_config(self, text: str) -> None:
        self.config_dir.mkdir(parents=True, exist_ok=True)
        (self.config_dir / "config.toml").write_text(text, encoding="utf-8")

    def write_policy(self, text: str) -> Path:
        self.config_dir.mkdir(parents=True, exist_ok=True)
        path = self.config_dir / "policy.toml"
        path.write_text(text, encoding="utf-8")
        return path

    @asynccontextmanager
    async def run(
        self, label: str, *args: str, env: dict[str, str] | None = None
    ) -> AsyncIterator[Console]:
        argv = python_command("peer", *args)
        async with open_console(label, argv, env={**self.env(), **(env or {})}) as console:
            yield console

    async def history(self, *args: str) -> list[str]:
        """What ``helpline history ARGS`` prints on this machine."""
        async with self.run("history", "history", *args) as console:
            assert await console.wait_exit() == 0
            return console.lines

    async def check_history(self, number: str, row: list[str], *shown: str) -> None:
        """``helpline history`` lists *number* first as *row* (after the date); its
        ``history show`` holds each of *shown*."""
        listing = await self.history()
        assert listing[1].split()[2:] == [number, *row]
        whole = "\n".join(await self.history("show", number))
        for expected in shown:
            assert expected in whole, f"{expected!r} not in\n{whole}"


@asynccontextmanager
async def assistant_dave(rep: Console, dave: Machine, relay: str) -> AsyncIterator[Console]:
    """Dave joins *rep*'s session as an assistant, with a code the rep issues for one."""
    await rep.send("/assistant")
    code = (await rep.expect(rf"^Assistant code: {CODE}$")).group(1)
    join = ["join", code, "--relay", relay, "--name", "Dave", "--assist"]
    async with dave.run("dave", *join, env={"DISPLAY": ""}) as console:
        await rep.expect(r"^\* Dave joined \(assistant\)$")
        yield console


async def end_with_notes(rep: Console, name: str, notes: tuple[str, str], *others: Console) -> None:
    """*rep* notes one line, ends, adds the other at the notes prompt; everyone sees the end."""
    await rep.send(f"/note {notes[0]}")
    await rep.expect(r"^Noted \(1 note\)\.$")
    await rep.send("/end")
    await rep.expect(r"^Add a note .*an empty line keeps them as they are:$")
    await rep.send(notes[1])
    await rep.expect(r"^Notes saved \(2 notes\)\.$")
    for console in (rep, *others):
        await console.expect(rf"^Session ended by {name}$")


async def next_code(rep: Console) -> str:
    """The next ``Session code:`` the rep's program prints."""
    return (await rep.expect(rf"^Session code: {CODE}$")).group(1)


def machine(tmp: Path, who: str) -> Machine:
    home = tmp / who
    home.mkdir(parents=True, exist_ok=True)
    return Machine(home)
