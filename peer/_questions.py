"""The customer's questions on the command line, and which typed line answers which.

A rep's request (to share the screen, for system information, for file
access, to send or fetch a file) becomes a question for the customer. The
rules for the lines the customer types, whatever the questions' features:

- A line that starts with ``/`` is a command, never an answer: ``/stop``
  and ``/quit`` reach their commands whatever question is open.
- Only ``y``, ``yes``, ``n``, ``no`` (any case), an empty line (no) or,
  where the question offers choices, a choice number answer a question.
  Anything else is an ordinary line (chat) and is followed by a one-line
  reminder of the open question.
- One question is on screen at a time. The others wait their turn, in the
  order they came, and the next is shown once the one before is answered
  or gone; so an answer always answers the question shown last, the one
  just above the prompt, and no line printed meanwhile can change which.
- A line that arrived before the question was shown does not answer it:
  the customer cannot have meant it for a question they had not seen.
- A bare yes or no that answers nothing (it came before the question on
  screen, or just after the last question closed: answered, withdrawn or
  timed out) is not sent as chat either; the customer is told so.

The features keep their own rules (:class:`codec.ConsentMachine`,
:class:`codec.SysinfoGate`, :class:`codec.FileGate`); a :class:`Question`
only says how to show one, whether it is still open, and whom to hand the
answer to. The owner calls :meth:`Questions.refresh` after anything that
may have closed a question (an event printed, a line acted on).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

__all__ = ["ANSWER_HELP", "LATE_ANSWER_SECONDS", "Question", "Questions", "answer_word"]

#: How long after a question closed a bare y or n is taken as a late answer, not chat.
LATE_ANSWER_SECONDS = 10.0

ANSWER_HELP = """\
  y / n           answer the question on screen (Enter alone is no; a number picks
                  one of its choices). Questions come one at a time; a line typed
                  before a question was shown does not answer it (nor is a lone
                  y or n then sent as chat), a line starting with / is always a
                  command, and any other line is chat."""

_WORDS = {"y": "y", "yes": "y", "n": "n", "no": "n", "": "n"}


@dataclass(eq=False)
class Question:
    """One question: how it is shown, whether it still waits, and who takes the answer."""

    #: The lines shown; the last one ends with the prompt (``Allow? [y/N]``).
    lines: tuple[str, ...]
    #: The question in one line, for the reminder.
    summary: str
    is_open: Callable[[], bool]
    #: Given ``"y"``, ``"n"`` or a choice number as text.
    answer: Callable[[str], Awaitable[None]]
    #: How many numbered choices it offers (0: yes or no only).
    choices: int = 0
    #: When it was shown (the owner's clock), None while it waits its turn.
    shown_at: float | None = None


def answer_word(line: str, choices: int) -> str | None:
    """*line* as an answer (``"y"``, ``"n"`` or a choice number), None if it is not one."""
    text = line.strip().casefold()
    if text in _WORDS:
        return _WORDS[text]
    if choices and text.isdigit() and 1 <= int(text) <= choices:
        return str(int(text))
    return None


class Questions:
    """The open questions of one session's face, one shown at a time."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self._say = say
        self._waiting: deque[Question] = deque()
        #: When a question last closed (answered, withdrawn, timed out).
        self._closed_at = -math.inf

    @property
    def current(self) -> Question | None:
        """The question on screen, if one is."""
        front = self._waiting[0] if self._waiting else None
        return front if front is not None and front.shown_at is not None else None

    def put(self, question: Question, now: float) -> None:
        """Add *question*; it is shown at once unless another is on screen."""
        self._waiting.append(question)
        self.refresh(now)

    def refresh(self, now: float) -> None:
        """Drop the questions that closed; show the next if none is on screen."""
        still = deque(q for q in self._waiting if q.is_open())
        if len(still) < len(self._waiting):
            self._closed_at = now
        self._waiting = still
        front = self._waiting[0] if self._waiting else None
        if front is not None and front.shown_at is None:
            front.shown_at = now
            for line in front.lines:
                self._say(line)

    def answered_by(self, line: str, arrived: float) -> tuple[Question, str] | None:
        """The question *line* answers and the answer, or None if it answers none."""
        question = self.current
        if question is None or question.shown_at is None or arrived < question.shown_at:
            return None
        if line.lstrip().startswith("/"):
            return None
        word = answer_word(line, question.choices)
        return None if word is None else (question, word)

    def stray(self, line: str, arrived: float, now: float) -> str | None:
        """What to say instead of chatting *line*, a bare y/n that answers nothing; else None."""
        word = line.strip()
        if word.casefold() not in ("y", "yes", "n", "no"):
            return None
        if self.current is not None and self.answered_by(line, arrived) is None:
            return f"({word!r} came before this question was shown; nothing was sent)"
        if self.current is None and now - self._closed_at <= LATE_ANSWER_SECONDS:
            return (
                f"({word!r} answers nothing: the last question was answered, withdrawn or "
                "timed out; nothing was sent)"
            )
        return None

    def remind(self) -> None:
        """One line naming the open question (after a line that did not answer it)."""
        question = self.current
        if question is not None:
            how = f"1-{question.choices}, or Enter for none" if question.choices else "y or n"
            self._say(f"? Still waiting for your answer ({how}): {question.summary}")
