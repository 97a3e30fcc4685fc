"""Driving the Tk probe window (tests/x11/tkprobe.py) from a trio test."""

from __future__ import annotations

import json
import sys
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from peer._console import Console, open_console

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


class Probe:
    def __init__(self, console: Console, box: tuple[int, int, int, int], title: str) -> None:
        self.console = console
        self.box = box
        self.title = title

    async def next(self, kind: str, within: float = 10.0) -> Any:
        """The next event of *kind* ("click", "key") the window recorded."""
        match = await self.console.expect(rf'^\{{"{kind}"', within)
        return json.loads(match.string)

    async def command(self, line: str) -> None:
        await self.console.send(line)
        await self.console.expect(rf'"done": "{line.split()[0]}"')

    async def typed(self, count: int) -> str:
        """The characters of the next *count* key presses that typed one."""
        chars = ""
        while len(chars) < count:
            event = await self.next("key")
            chars += event["char"]
        return chars


@asynccontextmanager
async def open_probe(
    display: str,
    x: int = 100,
    y: int = 80,
    width: int = 420,
    height: int = 280,
    title: str = "Probe",
) -> AsyncIterator[Probe]:
    argv = [sys.executable, "-m", "tests.x11.tkprobe", str(x), str(y), str(width), str(height)]
    async with open_console(
        "tk", [*argv, title], env={"DISPLAY": display}, stderr_to_stdout=False
    ) as console:
        ready = json.loads((await console.expect(r'^\{"ready"')).string)["ready"]
        yield Probe(console, tuple(ready), title)
