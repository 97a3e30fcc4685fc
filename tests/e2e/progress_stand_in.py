"""Transfer bars and notices through the CLI's own terminal layers, moved by typed lines.

``bar N PERCENT`` moves transfer N's bar (300 MB) there, ``done N`` ends it,
``say TEXT`` prints TEXT as the CLI prints a notice, ``/quit`` ends. A
test runs this on a pty, so the prompt, the bars and the printed lines
share one real terminal as they do in ``helpline join``.
"""

from __future__ import annotations

import trio

from peer._cli_face import say
from peer._file_events import TransferView
from peer._file_progress import open_progress
from peer._terminal import open_line_input

SIZE = 300_000_000


def transfer(number: int, percent: int) -> TransferView:
    done = SIZE * percent // 100
    return TransferView(number, f"big{number}.bin", "Bob", True, SIZE, done, "moving", 30e6, 5.0)


async def main() -> None:
    async with open_line_input(["/quit"], list) as lines:
        line = await lines.read_line()
        # Opened once the prompt is up, as a rep's file desk is.
        with open_progress(say) as progress:
            while line not in (None, "/quit"):
                word, _, rest = line.partition(" ")
                if word == "bar":
                    number, percent = rest.split()
                    progress.update(transfer(int(number), int(percent)))
                elif word == "done":
                    progress.finish(transfer(int(rest), 100))
                else:
                    say(rest)
                line = await lines.read_line()


if __name__ == "__main__":
    trio.run(main)
