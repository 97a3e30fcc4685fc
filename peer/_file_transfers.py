"""Moving files through a session: the engine both sides run.

:class:`FileTransfers` drives one :class:`codec.Transfer` per file and,
on the customer's side, asks :class:`codec.FileGate` before anything
touches a file. :meth:`FileTransfers.handle` takes every file message the
session delivers (with its authenticated sender) and never waits for the
network: replies go through an outbox task, so it may be called from the
session's reader while it holds the session's send lock. Each outgoing file
is one task that sends its chunks only within the receiver's window; the
session's send lock is fair, so chat and screen updates slip in between
chunks instead of queueing behind a whole file.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from codec import (
    APPLICATION_SHARING_REFUSAL,
    FileAccept,
    FileAccessAsk,
    FileAccessState,
    FileAck,
    FileCancel,
    FileChunk,
    FileComplete,
    FileDone,
    FileEntry,
    FileFetch,
    FileGet,
    FileList,
    FileListing,
    FileOffer,
    FileRefuse,
    FileRequestAnswer,
    FilesEnd,
    FilesShared,
    FileStart,
    ProtocolError,
    Role,
    SharedItem,
    is_clean_text,
)
from peer._file_engine import TransferEngine
from peer._file_events import (
    AccessChanged,
    FolderListed,
    SharedFilesListed,
)
from peer._file_moves import FileTransferError, Move, SharedEntry
from peer._file_settings import human_size
from peer._file_store import (
    FileStoreError,
    list_folder,
)

if TYPE_CHECKING:
    from pathlib import Path

    from codec import FileMessage, Member


__all__ = ["MAX_OPEN_QUESTIONS", "FileTransferError", "FileTransfers"]

#: File questions that may wait for the customer at once; a rep asking more is refused.
MAX_OPEN_QUESTIONS = 16

log = logging.getLogger("helpline.peer.files")


class FileTransfers(TransferEngine):
    """Everything a face asks of file transfer, and every file message a peer sends."""

    def share(self, paths: list[Path]) -> list[SharedItem]:
        """F1: add *paths* (files or folders) to the list customers may download from."""
        self._rep_only()
        added = []
        for path in paths:
            files = self._walk(path.parent, path.name, follow_symlinks=True)
            number = max(self._shared, default=0) + 1
            item = SharedItem(number, path.name, sum(f[2] for f in files), len(files))
            self._shared[number] = SharedEntry(item, path)
            added.append(item)
        self._send_catalogue()
        return added

    def _send_catalogue(self, to: Member | None = None) -> None:
        items = tuple(s.item for s in self._shared.values())
        for member in [to] if to else self._members():
            if member.role is Role.CUSTOMER:
                self._queue(member.id, FilesShared(items))

    def member_joined(self, member: Member) -> None:
        if self.role is Role.REP and self._shared:
            self._send_catalogue(member)

    def member_left(self, member: Member, why: str) -> None:
        """*member* is out of the session (*why* says how): its transfers stop here at once.

        Nobody is left to tell, so the machine is cancelled without a message:
        a sending task wakes and ends instead of waiting for acknowledgements
        that cannot come, and a receiver keeps its partial file and record.
        """
        self.catalogue.pop(member.id, None)
        self._requests = {n: r for n, r in self._requests.items() if r.peer != member.id}
        for move in list(self._moves.values()):
            if move.peer.id != member.id or move.machine.finished:
                continue
            view = self._view(move)
            move.machine.cancel(why)
            kept = ""
            if move.sending:
                move.stop_reason = why
                move.poke()
            else:
                kept = "; the partial file is kept to resume" if move.store is not None else ""
                self._let_go(move)
            self._notice(f"! {why}; {view.name} stopped at {view.percent:.0f}%{kept}")

    def keep_partials(self) -> None:
        """Once the engine's tasks are over (we left): keep what came for a resume."""
        for move in self._moves.values():
            if not move.sending and move.store is not None and not move.ended:
                move.store.keep_for_resume()

    def ask_access(self) -> Member:
        self._rep_only(advanced=True)
        customer = self.customer()
        self._queue(customer.id, FileAccessAsk())
        return customer

    def put(self, paths: list[Path], remote_dir: str = "") -> list[int]:
        """F2: offer *paths* to the customer, into *remote_dir* of its download folder."""
        self._rep_only(advanced=True)
        self._check_sharing()
        customer = self.customer()
        numbers = []
        for path in paths:
            for source, name, size in self._walk(path.parent, path.name, follow_symlinks=True):
                target = f"{remote_dir.strip('/')}/{name}" if remote_dir.strip("/") else name
                numbers.append(self._start_send(customer, source, target, size, 0, advanced=True))
        return numbers

    def fetch(self, remote_path: str, local_dir: Path | None = None) -> int:
        """F2: ask the customer for *remote_path* (a file or folder) into *local_dir*."""
        self._rep_only(advanced=True)
        self._check_sharing()
        customer = self.customer()
        request = self._new_request(customer.id, local_dir or self.settings.download_dir, True)
        self._queue(customer.id, FileFetch(request, remote_path))
        return request

    def list_remote(self, path: str = "") -> None:
        self._rep_only(advanced=True)
        customer = self.customer()
        request = self._new_request(customer.id, self.settings.download_dir, True)
        self._queue(customer.id, FileList(request, path))

    def end_files(self) -> None:
        """F4: withdraw the shared list, revoke access, cancel what is moving."""
        self._rep_only()
        self._shared.clear()
        for member in self._members():
            if member.role is Role.CUSTOMER:
                self._queue(member.id, FilesShared(()))
                self._queue(member.id, FilesEnd())
        self._stop_all(lambda m: True, "the rep ended file transfer")
        self._requests.clear()

    def get(self, numbers: list[int]) -> None:
        """F1: download shared items *numbers* into the download folder."""
        self._allowed_by_policy(advanced=False)
        self._check_sharing()
        for rep_id, items in self.catalogue.items():
            by_number = {i.number: i for i in items}
            for number in numbers:
                item = by_number.get(number)
                if item is None:
                    raise FileTransferError(f"there is no shared file {number}; /files lists them")
                self._check_room(item.size, self.settings.download_dir)
                request = self._new_request(rep_id, self.settings.download_dir, False)
                self.gate.requested(rep_id, request, item.count, item.size)
                self._requests[request].count, self._requests[request].size = item.count, item.size
                self._queue(rep_id, FileGet(request, number))
            return
        raise FileTransferError("nothing is shared with you yet")

    def answer(self, yes: bool, number: int | None = None) -> str:
        """Answer the oldest open question (or *number*); the question's text."""
        if not self._questions:
            raise FileTransferError("there is no question to answer")
        key = min(self._questions) if number is None else number
        if key not in self._questions:
            raise FileTransferError(f"there is no question {number}")
        text, reply = self._questions.pop(key)
        reply(yes)
        return text

    @property
    def questions(self) -> list[tuple[int, str]]:
        return sorted((n, q[0]) for n, q in self._questions.items())

    def is_open(self, number: int) -> bool:
        """Whether question *number* still waits for the customer's answer."""
        return number in self._questions

    def revoke(self) -> None:
        """The customer takes file access back from every rep; F2 transfers stop."""
        for member in self._members():
            if member.role is Role.REP:
                self.gate.revoke(member.id)
                self._queue(member.id, FileAccessState(False, "the customer revoked file access"))
        self._stop_all(lambda m: m.advanced, "the customer revoked file access")
        self._questions.clear()

    def control_moved(self, role: Role, reason: str) -> None:
        """Control of the session moved (SPEC M5): every transfer stops on this side.

        Shared lists, access grants and open questions end with it; *role*
        is this person's role from now on (the new controlling rep's engine
        acts as the rep's).
        """
        busy = any(not m.machine.finished for m in self._moves.values())
        self.role = role
        self._shared.clear()
        self.catalogue.clear()
        self.gate.control_moved()
        self._stop_all(lambda m: True, reason)
        self._requests.clear()
        self._questions.clear()
        if busy:
            self._notice(f"* File transfers stopped: {reason}")

    def application_shared(self, peer: int) -> None:
        """F3: a rep now views or controls one of the customer's applications; files stop.

        On the customer's side every transfer stops, on the rep's those with
        customer *peer*, queued ones too; what came so far is kept, so each
        resumes from there once the sharing ends and it is sent again.
        """

        def affected(move: Move) -> bool:
            return self.role is not Role.REP or move.peer.id == peer

        busy = any(not m.machine.finished and affected(m) for m in self._moves.values())
        self._stop_all(affected, APPLICATION_SHARING_REFUSAL)
        if busy:
            self._notice(f"* File transfers stopped: {APPLICATION_SHARING_REFUSAL}")

    def handle(self, sender: Member, message: FileMessage) -> None:
        """Act on one file message from *sender*; hostile input is refused, never raised."""
        try:
            self._dispatch(sender, message)
        except ProtocolError as e:
            log.warning("refused a file message from %s: %s", sender.name, e)
            self._notice(f"! Refused a file message from {sender.name}: {e}")
            tid = getattr(message, "tid", None)
            move = self._find_move(sender, message) if tid is not None else None
            if move is not None and not move.machine.finished:
                self._stop(move, f"the other side broke the protocol ({e})")

    def _dispatch(self, sender: Member, message: FileMessage) -> None:
        from_rep = sender.role is Role.REP
        match message:
            case FilesShared(items) if from_rep:
                self.catalogue = {sender.id: items}
                self._event(SharedFilesListed(sender.name, items))
            case FileAccessAsk() if from_rep and self.role is not Role.REP:
                self._access_asked(sender)
            case FilesEnd() if from_rep:
                self.gate.end(sender.id)
                self.catalogue.pop(sender.id, None)
                self._questions.clear()
                self._stop_all(
                    lambda m: m.peer.id == sender.id, f"{sender.name} ended file transfer"
                )
                self._notice(f"* {sender.name} ended file transfer")
            case FileFetch(request, path) if from_rep:
                self._fetch_asked(sender, request, path)
            case FileList(request, path) if from_rep:
                self._list_asked(sender, request, path)
            case FileAccessState(granted, reason) if not from_rep:
                # "Withdrawn" only for access the customer had given: a first no is a refusal.
                held = sender.id in self._access_held
                (self._access_held.add if granted else self._access_held.discard)(sender.id)
                how = "withdrawn" if held else "refused"
                state = "granted" if granted else f"{how}: {reason or 'refused'}"
                self._event(AccessChanged(sender.name, granted, reason))
                self._notice(f"* File access {state} ({sender.name})")
                if not granted:
                    self._stop_all(lambda m: m.advanced and m.peer.id == sender.id, reason)
            case FileGet(request, number) if self.role is Role.REP and not from_rep:
                self._get_asked(sender, request, number)
            case FileListing(_, path, entries, error) if not from_rep:
                self._event(FolderListed(sender.name, path, entries, error))
            case FileRequestAnswer(request, ok, count, size, reason):
                self._answered(sender, request, ok, count, size, reason)
            case FileOffer():
                self._offered(sender, message)
            case (
                FileAccept()
                | FileRefuse()
                | FileAck()
                | FileComplete()
                | FileCancel()
                | (FileStart() | FileChunk() | FileDone())
            ):
                self._transfer_message(sender, message)
            case _:
                raise ProtocolError(f"{type(message).__name__} is not for this side")

    def _access_asked(self, rep: Member) -> None:
        if not self.gate.asked(rep.id):
            return
        if (refusal := self.settings.advanced_off) is not None:
            # This machine's own policy says no before the customer is asked anything.
            self.gate.refuse(rep.id)
            told = self.settings.advanced_off_for_rep or refusal  # "this site" is not the rep's
            self._queue(rep.id, FileAccessState(False, told))
            self._notice(f"! Refused {rep.name}'s request for file access: {refusal}")
            return
        root = self.settings.shared_root

        def reply(yes: bool) -> None:
            (self.gate.grant if yes else self.gate.refuse)(rep.id)
            why = "" if yes else "the customer said no"
            self._queue(rep.id, FileAccessState(yes, why))

        self._ask(
            f"{rep.name} (rep) asks for file access: to send you files and to list and "
            f"fetch files in {root}.",
            reply,
        )

    def _fetch_asked(self, rep: Member, request: int, path: str) -> None:
        refusal = self.gate.refusal(rep.id, needs_access=True)
        if refusal is None and len(self._questions) >= MAX_OPEN_QUESTIONS:
            refusal = f"{MAX_OPEN_QUESTIONS} questions already wait for the customer's answer"
        files: list[tuple[str, str, int]] = []
        if refusal is None:
            try:
                files = self._walk(self.settings.shared_root, path, follow_symlinks=False)
            except FileTransferError as e:
                refusal = str(e)
        if refusal is not None:
            self._queue(rep.id, FileRequestAnswer(request, False, reason=refusal))
            self._notice(f"! Refused {rep.name}'s request for {path}: {refusal}")
            return
        total = sum(f[2] for f in files)
        what = (
            f"{path} ({len(files)} files, {human_size(total)})"
            if len(files) > 1
            else (f"{path} ({human_size(total)})")
        )

        def reply(yes: bool) -> None:
            if yes:
                self.gate.allow_fetch(rep.id, request)
            refusal = self.gate.admit_fetch(rep.id, request) if yes else "the customer said no"
            if refusal is not None:
                self._queue(rep.id, FileRequestAnswer(request, False, reason=refusal))
                return
            self._queue(rep.id, FileRequestAnswer(request, True, len(files), total))
            for source, name, size in files:
                self._start_send(rep, source, name, size, request, advanced=True)

        self._ask(f"{rep.name} (rep) wants to fetch {what} from you (upload to {rep.name}).", reply)

    def _list_asked(self, rep: Member, request: int, path: str) -> None:
        refusal = self.gate.refusal(rep.id, needs_access=True)
        entries: list[FileEntry] = []
        if refusal is None:
            try:
                found = list_folder(self.settings.shared_root, path)
            except FileStoreError as e:
                refusal = str(e)
            else:
                entries = [
                    FileEntry(n, d, s)
                    for n, d, s in found
                    if is_clean_text(n, multiline=False) and len(n) <= 255
                ][:1000]
        self._queue(rep.id, FileListing(request, path, tuple(entries), refusal or ""))

    def _get_asked(self, customer: Member, request: int, number: int) -> None:
        shared = self._shared.get(number)
        if self.settings.basic_off is not None:
            self._queue(
                customer.id, FileRequestAnswer(request, False, reason=self.settings.basic_off)
            )
            return
        if shared is None:
            self._queue(customer.id, FileRequestAnswer(request, False, reason="no such file"))
            return
        path = shared.path
        files = self._walk(path.parent, path.name, follow_symlinks=True)
        size = sum(f[2] for f in files)
        self._queue(customer.id, FileRequestAnswer(request, True, len(files), size))
        for source, name, file_size in files:
            self._start_send(customer, source, name, file_size, request, advanced=False)

    def _answered(
        self, sender: Member, request: int, ok: bool, count: int, size: int, reason: str
    ) -> None:
        asked = self._requests.get(request)
        if asked is None or asked.peer != sender.id or asked.answered:
            raise ProtocolError(f"an answer to request {request}, which is not open")
        asked.answered = True
        if not ok:
            del self._requests[request]
            self._notice(f"! {sender.name} refused: {reason}")
        elif asked.advanced:  # a fetch: now we know what comes
            asked.count, asked.size = count, size
