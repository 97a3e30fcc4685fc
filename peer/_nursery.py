"""A nursery for context managers that yield while their tasks run.

trio wraps every error leaving a nursery in an ExceptionGroup. When a
session's block fails with one error (a wrong code, a lost connection), the
person and the caller should get that error, not a group around it.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import trio

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

__all__ = ["open_task_nursery", "sole_exception"]


def sole_exception(exc: BaseException) -> BaseException:
    """The one exception inside nested single-member groups, else *exc* itself."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


@asynccontextmanager
async def open_task_nursery() -> AsyncIterator[trio.Nursery]:
    try:
        async with trio.open_nursery() as nursery:
            yield nursery
    except BaseExceptionGroup as group:
        sole = sole_exception(group)
        if sole is group:
            raise
        raise sole from sole.__cause__
