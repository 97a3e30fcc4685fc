"""The file commands of the command line, and how transfers look there.

The CLI hands every typed line to :meth:`FileDesk.command` first; the desk
takes the file commands. Each question a rep's request raises is one of the
customer's questions (:mod:`peer._questions`): answering it echoes what was
answered. Arguments are split as a shell splits words, so
``/share "notes 2024.txt"`` names one file. Progress is a live bar per
transfer on a terminal and a plain line now and then otherwise. Names come
from the other side: every line is printed through :func:`codec.neutralise`,
so no name can start a line of its own or send the terminal a sequence.
"""

from __future__ import annotations

import shlex
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import trio

from codec import ConsentMachine, ConsentSharing, Role, neutralise
from peer._file_events import (
    AccessChanged,
    FileNotice,
    FileQuestion,
    FolderListed,
    SharedFilesListed,
    TransferEnded,
    TransferProgress,
)
from peer._file_progress import open_progress
from peer._file_session import open_file_transfers
from peer._file_settings import human_size
from peer._file_transfers import FileTransferError
from peer._nursery import open_task_nursery
from peer._questions import Question
from peer._share_backends import SharingSide

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from peer._file_events import FileEvent, TransferView
    from peer._file_progress import Progress
    from peer._file_settings import FileSettings
    from peer._file_transfers import FileTransfers
    from peer._questions import Questions
    from peer._session import Session

__all__ = ["FileDesk", "follow_sharing", "open_file_desk"]

REP_HELP = """\
  /share FILE...  offer files or folders; the customer picks which to download
  /file-access    ask the customer for access to send and fetch files
  /put LOCAL... [--to REMOTE_DIR]     send files to the customer (each one asked for)
  /fetch REMOTE_PATH... [--to LOCAL_DIR]   fetch files from the customer
  /ls [REMOTE_DIR]   list a folder of the customer's
  /end-files      end file transfer: access revoked, offers withdrawn
  /transfers      the transfers of this session; /cancel N stops one"""

CUSTOMER_HELP = """\
  /files          what the rep shares; /get N... downloads them
  /revoke files   take file access back from the rep
  /transfers      the transfers of this session; /cancel N stops one"""

#: Longest line the desk prints (a name and a folder fit many times over).
MAX_LINE = 4000


@runtime_checkable
class SharedState(Protocol):
    """What F3 needs of the customer's screen sharing: each rep's consent state."""

    def consent_machines(self) -> list[ConsentMachine]: ...


def follow_sharing(files: FileTransfers, sharing: object) -> None:
    """F3: no transfer starts while an application is shared, and those moving stop."""
    if isinstance(sharing, SharedState):
        files.gate.sharing = ConsentSharing(sharing.consent_machines)
    if isinstance(sharing, SharingSide):
        sharing.application_hooks.append(files.application_shared)


class FileDesk:
    def __init__(
        self, files: FileTransfers, say: Callable[[str], None], progress: Progress
    ) -> None:
        self.files = files
        self._say_raw = say
        self._progress = progress
        #: Where the customer's questions go (the command line sets it); printed if None.
        self.questions: Questions | None = None
        #: Told of each ended transfer and each change of file access (the history).
        self.on_ended: Callable[[TransferView], None] | None = None
        self.on_access: Callable[[AccessChanged], None] | None = None

    def watch_sharing(self, sharing: object) -> None:
        """F3: no transfer while screen sharing shares an application."""
        follow_sharing(self.files, sharing)

    def _say(self, text: str) -> None:
        self._say_raw(neutralise(text, MAX_LINE))

    @property
    def help(self) -> str:
        return REP_HELP if self.files.role is Role.REP else CUSTOMER_HELP

    async def command(self, line: str) -> bool:
        """Act on *line* if it is a file command or an answer; False if it is not ours."""
        text = line.strip()
        word, _, rest = text.partition(" ")
        handler = _COMMANDS.get(word)
        if handler is None:
            return False
        try:
            args = shlex.split(rest)
        except ValueError as e:
            self._say(f'! {e}; quote names with spaces like "notes 2024.txt"')
            return True
        try:
            handler(self, args)
        except FileTransferError as e:
            self._say(f"! {e}")
        return True

    # Commands -----------------------------------------------------------------------

    def _share(self, args: list[str]) -> None:
        _need(args, "/share FILE...")
        for item in self.files.share([_local(a) for a in args]):
            self._say(f"Sharing [{item.number}] {_item(item.name, item.size, item.count)}")

    def _file_access(self, args: list[str]) -> None:
        customer = self.files.ask_access()
        self._say(f"Asked {customer.name} for file access")

    def _put(self, args: list[str]) -> None:
        paths, to = _split_to(args, "/put LOCAL... [--to REMOTE_DIR]")
        numbers = self.files.put([_local(p) for p in paths], to or "")
        self._say(f"Offered {len(numbers)} file(s) to {self.files.customer().name}")

    def _fetch(self, args: list[str]) -> None:
        paths, to = _split_to(args, "/fetch REMOTE_PATH... [--to LOCAL_DIR]")
        for path in paths:
            self.files.fetch(path, _local(to) if to else None)
        self._say(f"Asked {self.files.customer().name} for {', '.join(paths)}")

    def _ls(self, args: list[str]) -> None:
        self.files.list_remote(args[0] if args else "")

    def _end_files(self, args: list[str]) -> None:
        self.files.end_files()
        self._say("File transfer ended: access revoked, offers withdrawn")

    def _files(self, args: list[str]) -> None:
        items = [i for shared in self.files.catalogue.values() for i in shared]
        if not items:
            self._say("Nothing is shared with you.")
        for item in items:
            self._say(f"  [{item.number}] {_item(item.name, item.size, item.count)}")

    def _get(self, args: list[str]) -> None:
        _need(args, "/get N...")
        try:
            numbers = [int(a) for a in args]
        except ValueError:
            raise FileTransferError("/get takes the numbers /files shows, like /get 1 3") from None
        self.files.get(numbers)

    def _revoke(self, args: list[str]) -> None:
        if args != ["files"]:
            raise FileTransferError("say /revoke files")
        self.files.revoke()
        self._say("File access revoked")

    def _cancel(self, args: list[str]) -> None:
        if len(args) != 1 or not args[0].isdigit():
            raise FileTransferError("/cancel N, with N from /transfers")
        self.files.cancel(int(args[0]))

    def _transfers(self, args: list[str]) -> None:
        views = self.files.transfers()
        if not views:
            self._say("No transfers yet.")
        for view in views:
            self._say(f"  {_line(view)}")

    def _question(self, number: int, text: str) -> Question:
        async def answer(word: str) -> None:
            yes = word == "y"
            try:
                asked = self.files.answer(yes, number)
            except FileTransferError as e:
                self._say(f"! {e}")
                return
            self._say(f"{'Allowed' if yes else 'Refused'}: {asked}")

        shown = f"? {neutralise(text, MAX_LINE)}"
        return Question((shown,), shown[2:], lambda: self.files.is_open(number), answer)

    # Events ------------------------------------------------------------------------------

    async def show_events(self) -> None:
        async for event in self.files.events:
            self.show(event)
            if self.questions is not None:  # the event may have closed the one on screen
                self.questions.refresh(trio.current_time())

    def show(self, event: FileEvent) -> None:
        match event:
            case FileNotice(text):
                self._say(text)
            case FileQuestion(number, text) if self.questions is not None:
                self.questions.put(self._question(number, text), trio.current_time())
            case FileQuestion(_, text):
                self._say(f"? {text}")
            case SharedFilesListed(rep, items):
                self._say(
                    f"* {rep} shares {len(items)} item(s); /files lists them, /get N downloads"
                )
            case FolderListed(customer, path, entries, error):
                where = path or "the granted folder"
                if error:
                    self._say(f"! {customer}: cannot list {where}: {error}")
                    return
                self._say(f"{customer}: {where} ({len(entries)} entries)")
                for entry in entries:
                    size = "folder" if entry.is_dir else human_size(entry.size)
                    self._say(f"  {entry.name}{'/' if entry.is_dir else ''}  {size}")
            case TransferProgress(view):
                self._progress.update(view)
            case TransferEnded(view):
                self._progress.finish(view)
                self._say(_line(view))
                if self.on_ended is not None:
                    self.on_ended(view)
            case AccessChanged():
                if self.on_access is not None:
                    self.on_access(event)


_COMMANDS: dict[str, Callable[[FileDesk, list[str]], None]] = {
    "/share": FileDesk._share,
    "/file-access": FileDesk._file_access,
    "/put": FileDesk._put,
    "/fetch": FileDesk._fetch,
    "/ls": FileDesk._ls,
    "/end-files": FileDesk._end_files,
    "/files": FileDesk._files,
    "/get": FileDesk._get,
    "/revoke": FileDesk._revoke,
    "/cancel": FileDesk._cancel,
    "/transfers": FileDesk._transfers,
}


def _need(args: list[str], usage: str) -> None:
    if not args:
        raise FileTransferError(f"usage: {usage}")


def _split_to(args: list[str], usage: str) -> tuple[list[str], str | None]:
    to = None
    if "--to" in args:
        at = args.index("--to")
        if at + 1 >= len(args):
            raise FileTransferError(f"--to needs a folder; usage: {usage}")
        to = args[at + 1]
        args = args[:at] + args[at + 2 :]
    _need(args, usage)
    return args, to


def _local(text: str) -> Path:
    return Path(text).expanduser().absolute()


def _item(name: str, size: int, count: int) -> str:
    files = f", {count} files" if count != 1 else ""
    return f"{name} ({human_size(size)}{files})"


def _line(view: TransferView) -> str:
    arrow = f"to {view.peer}" if view.sending else f"from {view.peer}"
    head = f"[{view.number}] {view.name} ({human_size(view.size)}) {arrow}:"
    if view.state == "complete":
        where = f", saved as {view.saved_as}" if view.saved_as else ""
        resumed = f", resumed at {human_size(view.resumed_from)}" if view.resumed_from else ""
        return f"{head} complete, verified{where}{resumed}"
    if view.state == "cancelled":  # what came so far is kept: it resumes from there
        return f"{head} stopped at {view.percent:.0f}%: {view.reason}"
    if view.state == "refused":
        return f"{head} refused: {view.reason}"
    return f"{head} {view.percent:.0f}% {view.state}"


@asynccontextmanager
async def open_file_desk(
    session: Session, settings: FileSettings, say: Callable[[str], None]
) -> AsyncIterator[FileDesk]:
    """File transfer for *session* on the command line, until the block ends."""
    async with open_file_transfers(session, settings) as files, open_task_nursery() as nursery:
        with open_progress(say) as progress:
            desk = FileDesk(files, say, progress)
            nursery.start_soon(desk.show_events)
            try:
                yield desk
            finally:
                nursery.cancel_scope.cancel()
