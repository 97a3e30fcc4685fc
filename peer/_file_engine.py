"""The file engine's core: one :class:`codec.Transfer` per file, either way.

Each outgoing file is one task that sends its chunks only within the
receiver's window; the session's send lock is fair, so chat and screen
updates slip in between chunks instead of queueing behind a whole file.
Its chunks are read and hashed ahead in a worker thread; incoming chunks
go to a writer task per file that writes and hashes them in a worker
thread and acknowledges them once written (:mod:`peer._file_pipeline`).
Once that task runs it alone touches the partial file: stopping a transfer
closes its channel and the task keeps the partial file for resume.
Replies go through an outbox task, so :meth:`FileTransfers.handle` never
waits for the network and may run inside the session's reader.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import math
import secrets
from typing import TYPE_CHECKING

import trio

from codec import (
    FileCancel,
    FileChunk,
    FileComplete,
    FileDone,
    FileGate,
    FileOffer,
    FileRefuse,
    FileStart,
    ProtocolError,
    Role,
    SharedItem,
    Transfer,
    TransferState,
    neutralise,
    text_problem,
)
from peer._errors import PeerError
from peer._file_events import (
    FileEvent,
    FileNotice,
    FileQuestion,
    TransferEnded,
    TransferProgress,
    TransferView,
)
from peer._file_moves import FileTransferError, Move, Request, SharedEntry, hash_prefix
from peer._file_pipeline import READ_AHEAD, Read, chunk_size, read_ahead, write_all
from peer._file_settings import FileSettings, human_size
from peer._file_store import (
    FileStoreError,
    IncomingFile,
    OutgoingFile,
    open_for_reading,
    walk_files,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from codec import ApplicationSharing, FileMessage, Member, TransferMessage


__all__ = ["MAX_OPEN_OFFERS", "PARALLEL_SENDS", "PROGRESS_EVERY", "TransferEngine"]

log = logging.getLogger("helpline.peer.files")

#: Files sent at once per engine; the rest wait their turn (a folder is many files).
PARALLEL_SENDS = 2
#: Progress events per transfer at most this often (seconds).
PROGRESS_EVERY = 0.5
#: Offers one sender may have open here at once. An honest one has PARALLEL_SENDS
#: at most (it offers a file only once it may send it); the margin is for races.
MAX_OPEN_OFFERS = 4 * PARALLEL_SENDS


class TransferEngine:
    def __init__(
        self,
        role: Role,
        send: Callable[[int, FileMessage], Awaitable[None]],
        members: Callable[[], list[Member]],
        settings: FileSettings,
        sharing: ApplicationSharing | None = None,
        primary: Callable[[], Member | None] = lambda: None,
    ) -> None:
        self.role = role
        self.settings = settings
        self._send = send
        self._members = members
        self._primary = primary
        self.gate = FileGate(sharing)
        self._events_in, self.events = trio.open_memory_channel[FileEvent](math.inf)
        self._outbox_in, self._outbox = trio.open_memory_channel[tuple[int, "FileMessage"]](
            math.inf
        )
        self._nursery: trio.Nursery | None = None
        self._slots = trio.Semaphore(PARALLEL_SENDS)
        self._numbers = itertools.count(1)
        self._moves: dict[int, Move] = {}
        #: Customers whose file access this rep holds now (for the words of a revoke).
        self._access_held: set[int] = set()
        self._outgoing: dict[int, Move] = {}  # by our tid
        self._incoming: dict[tuple[int, int], Move] = {}  # by (sender, their tid)
        self._requests: dict[int, Request] = {}
        self._shared: dict[int, SharedEntry] = {}
        self.catalogue: dict[int, tuple[SharedItem, ...]] = {}  # rep id → what it shares
        self._questions: dict[int, tuple[str, Callable[[bool], None]]] = {}
        self._question_numbers = itertools.count(1)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Own the engine's tasks (outbox, one per sending file) until cancelled."""
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            nursery.start_soon(self._drain_outbox)
            task_status.started()
            await trio.sleep_forever()

    async def _drain_outbox(self) -> None:
        async for to, message in self._outbox:
            try:
                await self._send(to, message)
            except PeerError as e:
                log.info("could not send %s to %d: %s", type(message).__name__, to, e)

    def _queue(self, to: int, message: FileMessage) -> None:
        self._outbox_in.send_nowait((to, message))

    def _event(self, event: FileEvent) -> None:
        self._events_in.send_nowait(event)

    def _notice(self, text: str) -> None:
        self._event(FileNotice(text))

    def _member(self, mid: int) -> Member | None:
        return next((m for m in self._members() if m.id == mid), None)

    def customer(self) -> Member:
        """The customer rep commands act on: the primary one (SPEC M1), else the first."""
        primary = self._primary()
        if primary is not None:
            return primary
        for member in self._members():
            if member.role is Role.CUSTOMER:
                return member
        raise FileTransferError("no customer is in the session yet")

    def _rep_only(self, *, advanced: bool = False) -> None:
        if self.role is not Role.REP:
            raise FileTransferError("only the rep can do that")
        self._allowed_by_policy(advanced=advanced)

    def _allowed_by_policy(self, *, advanced: bool) -> None:
        refusal = self.settings.advanced_off if advanced else self.settings.basic_off
        if refusal is not None:
            raise FileTransferError(refusal)

    def _check_sharing(self) -> None:
        refusal = self.gate.refusal(-1, needs_access=False)
        if refusal is not None:
            raise FileTransferError(refusal)

    def _ask(self, text: str, reply: Callable[[bool], None]) -> None:
        number = next(self._question_numbers)
        self._questions[number] = (text, reply)
        self._event(FileQuestion(number, f"{text} Allow? [y/N]"))

    def _offered(self, sender: Member, offer: FileOffer) -> None:
        # Refused before anything is kept or shown: the caller prints one line.
        key = (sender.id, offer.tid)
        if key in self._incoming:
            raise ProtocolError(f"transfer {offer.tid} offered twice")
        request = self._requests.get(offer.request) if offer.request else None
        if offer.request and (request is None or request.peer != sender.id):
            raise ProtocolError(f"an offer under request {offer.request}, which is not ours")
        if self.role is not Role.REP and sender.role is not Role.REP:
            raise ProtocolError("only the rep sends files to a customer")
        if self.role is Role.REP and (
            # A rep receives only what it fetched; the request bounds what may come.
            request is None or request.count < 1 or offer.size > request.size
        ):
            raise ProtocolError("a file the rep did not ask for")
        waiting = sum(1 for m in self._incoming.values() if m.peer.id == sender.id and not m.ended)
        if waiting >= MAX_OPEN_OFFERS:
            raise ProtocolError(f"more than {MAX_OPEN_OFFERS} files offered at once")
        machine = Transfer.offered(offer)
        folder = request.folder if request else self.settings.download_dir
        move = Move(
            next(self._numbers),
            machine,
            sender,
            sending=False,
            advanced=request.advanced if request else True,
            folder=folder,
        )
        self._incoming[key] = move
        self._moves[move.number] = move
        if self.role is Role.REP:
            assert request is not None
            request.count -= 1
            request.size -= offer.size
            self._accept(move)
            return
        refusal = self.gate.refusal(sender.id, needs_access=offer.request == 0)
        if refusal is not None:
            self._refuse(move, refusal)
            return
        if not self.gate.offer_needs_question(sender.id, offer):
            self._accept(move)
            return
        try:
            self._check_room(offer.size, folder)
        except FileTransferError as e:
            self._refuse(move, str(e))
            return

        def reply(yes: bool) -> None:
            if move.machine.finished:
                return
            if yes:
                self.gate.allow(sender.id, offer.tid)
                self._accept(move)
            else:
                self._refuse(move, "the customer said no")

        self._ask(
            f"{sender.name} (rep) wants to send you {offer.path} ({human_size(offer.size)}) "
            f"into {folder} (download from {sender.name}).",
            reply,
        )

    def _refuse(self, move: Move, reason: str) -> None:
        self._queue(move.peer.id, move.machine.refuse(reason))
        self._notice(f"! Refused {move.machine.offer.path} from {move.peer.name}: {reason}")
        self._ended(move)

    def _accept(self, move: Move) -> None:
        offer = move.machine.offer
        if self.role is not Role.REP:
            refusal = self.gate.admit(move.peer.id, offer)
            if refusal is not None:
                self._refuse(move, refusal)
                return
        assert move.folder is not None
        try:
            self._check_room(offer.size, move.folder)
            move.folder.mkdir(parents=True, exist_ok=True)
            move.store = IncomingFile(move.folder, offer.path, offer.size)
            held, prefix = move.store.prepare()
            self._check_room(offer.size - held, move.folder)
        except (PeerError, OSError) as e:
            if move.store is not None:
                move.store.keep_for_resume()
            self._refuse(move, str(e) if isinstance(e, PeerError) else _why(e))
            return
        window = min(self.settings.window_bytes, max(offer.size - held, 1))
        self._queue(move.peer.id, move.machine.accept(held, prefix, max(window, 1)))
        move.started = trio.current_time()
        self._progress(move, force=True)

    def _check_room(self, size: int, folder: Path) -> None:
        if size > self.settings.max_file_bytes:
            raise FileTransferError(
                f"{human_size(size)} is more than this site allows for one file "
                f"({human_size(self.settings.max_file_bytes)})"
            )
        free = self.settings.free_space(folder)
        if size > free:
            raise FileTransferError(
                f"not enough disk space: {human_size(size)} needed, {human_size(free)} free "
                f"in {folder}; free some space and try again"
            )

    def _find_move(self, sender: Member, message: FileMessage) -> Move | None:
        tid = getattr(message, "tid", -1)
        from_sender = isinstance(message, FileOffer | FileStart | FileChunk | FileDone) or (
            isinstance(message, FileCancel) and message.by_sender
        )
        if from_sender:
            return self._incoming.get((sender.id, tid))
        move = self._outgoing.get(tid)
        return move if move is not None and move.peer.id == sender.id else None

    def _transfer_message(self, sender: Member, message: TransferMessage) -> None:
        move = self._find_move(sender, message)
        if move is None:
            raise ProtocolError(f"a message for transfer {getattr(message, 'tid', '?')}, unknown")
        got = move.machine.receive(message)
        if got is None:
            return
        if move.sending:
            move.poke()
            if isinstance(got, FileRefuse | FileCancel):
                self._notice(f"! {move.peer.name} stopped {move.machine.offer.path}: {got.reason}")
            return
        match got:
            case FileStart(_, offset):
                assert move.store is not None
                if offset == 0 and move.store.written:
                    move.store.discard()
                    move.store = IncomingFile(
                        move.folder or self.settings.download_dir,
                        move.machine.offer.path,
                        move.machine.size,
                    )
                    move.store.prepare()
                move.machine.start_offset = offset
                self._start_writer(move)
            case FileChunk(_, offset, data):
                self._to_writer(move, (offset, data))
            case FileDone():
                self._to_writer(move, None)
            case FileCancel(_, reason):
                self._notice(f"! {move.peer.name} stopped {move.machine.offer.path}: {reason}")
                self._let_go(move)

    def _start_writer(self, move: Move) -> None:
        assert self._nursery is not None, "run() the engine first"
        # Unbounded, yet never more than the window: the machine refuses an overrun.
        move.writes, writes = trio.open_memory_channel[tuple[int, bytes | memoryview] | None](
            math.inf
        )
        self._nursery.start_soon(self._write_chunks, move, writes)

    def _to_writer(self, move: Move, item: tuple[int, bytes | memoryview] | None) -> None:
        assert move.writes is not None
        # The writer may have stopped (a full disk): the transfer is being cancelled.
        with contextlib.suppress(trio.BrokenResourceError, trio.ClosedResourceError):
            move.writes.send_nowait(item)

    def _let_go(self, move: Move) -> None:
        """The transfer stopped: keep its partial file for resume (the writer does, if any)."""
        if move.writes is not None:
            move.writes.close()  # the writer writes what came, keeps it, and ends the move
            return
        if move.store is not None:
            move.store.keep_for_resume()
        self._ended(move)

    async def _write_chunks(
        self, move: Move, writes: trio.MemoryReceiveChannel[tuple[int, bytes | memoryview] | None]
    ) -> None:
        store, machine = move.store, move.machine
        assert store is not None
        async with writes:
            while True:
                try:
                    batch = [await writes.receive()]
                except trio.EndOfChannel:
                    break  # stopped: keep what is written
                while True:
                    try:
                        batch.append(writes.receive_nowait())
                    except (trio.WouldBlock, trio.EndOfChannel):
                        break
                chunks = [item for item in batch if item is not None]
                try:
                    await trio.to_thread.run_sync(write_all, store, chunks)
                except FileStoreError as e:
                    reason = (
                        f"{e} on the {self.role.value}'s side; free some space and send it again"
                    )
                    self._notice(f"! {reason}")
                    if not machine.finished:
                        self._queue(move.peer.id, machine.cancel(reason))
                    break
                if not machine.finished and machine.ack_due_at(store.written):
                    self._queue(move.peer.id, machine.ack(store.written))
                self._progress(move)
                if len(chunks) < len(batch):
                    await self._verify(move)
                    return
        await trio.to_thread.run_sync(store.keep_for_resume)
        self._ended(move)

    async def _verify(self, move: Move) -> None:
        assert move.store is not None
        if move.machine.state is not TransferState.VERIFYING:
            await trio.to_thread.run_sync(move.store.keep_for_resume)
            self._ended(move)
            return  # stopped meanwhile
        verdict = move.machine.verify(move.store.digest())
        if isinstance(verdict, FileComplete):
            try:
                move.saved_as = await trio.to_thread.run_sync(move.store.finish)
            except (FileStoreError, OSError) as e:
                move.store.discard()
                self._stop(move, f"cannot save the file: {e}")
                self._ended(move)
                return
            self._queue(move.peer.id, verdict)
        else:
            move.store.discard()
            self._queue(move.peer.id, verdict)
            self._notice(f"! {move.machine.offer.path}: {verdict.reason}")
        self._ended(move)

    def _stop(self, move: Move, reason: str) -> None:
        """Cancel *move* from our side; the other side hears why."""
        if move.machine.finished:
            return
        if move.sending:
            move.stop_reason = reason
            move.poke()
            return
        self._queue(move.peer.id, move.machine.cancel(reason))
        self._let_go(move)

    def _stop_all(self, which: Callable[[Move], bool], reason: str) -> None:
        for move in list(self._moves.values()):
            if not move.machine.finished and which(move):
                self._stop(move, reason)

    def _walk(self, root: Path, path: str, *, follow_symlinks: bool) -> list[tuple[str, str, int]]:
        try:
            files = walk_files(root, path, follow_symlinks=follow_symlinks)
        except FileStoreError as e:
            raise FileTransferError(str(e)) from None
        except OSError as e:
            raise FileTransferError(f"cannot read {path}: {e.strerror}") from None
        for _, name, _ in files:  # the receiver refuses such a name: say so here
            if problem := text_problem(name, max_chars=len(name), multiline=False):
                shown = neutralise(name, 255)
                raise FileTransferError(f"cannot send {shown}: {problem} in its name; rename it")
        return files

    def _start_send(
        self, to: Member, source: str, name: str, size: int, request: int, *, advanced: bool
    ) -> int:
        """Send one file; the customer's side reads only inside its granted folder."""
        tid = secrets.randbelow(2**52) + 1
        machine, _ = Transfer.offer_file(tid, name, size, request=request)
        move = Move(next(self._numbers), machine, to, sending=True, advanced=advanced)
        move.source = source
        self._outgoing[tid] = move
        self._moves[move.number] = move
        assert self._nursery is not None, "run() the engine first"
        self._nursery.start_soon(self._send_file, move)
        return move.number

    async def _send_file(self, move: Move) -> None:
        async with self._slots:
            if move.stop_reason:  # stopped while queued: the receiver never heard of it
                move.machine.cancel(move.stop_reason)
                self._ended(move)
                return
            try:
                file = open_for_reading(
                    self.settings.shared_root,
                    move.source,
                    follow_symlinks=self.role is Role.REP,
                )
            except FileStoreError as e:
                self._notice(f"! Cannot send {move.machine.offer.path}: {e}")
                self._queue(move.peer.id, move.machine.cancel(str(e)))
                self._ended(move)
                return
            try:
                await self._send_open_file(move, file)
            except PeerError:
                # A chunk in hand for a member who left meanwhile: member_left
                # already stopped the transfer and said so.
                if not move.machine.finished:
                    raise
            finally:
                file.close()
                self._ended(move)

    async def _send_open_file(self, move: Move, file: OutgoingFile) -> None:
        machine, to = move.machine, move.peer.id
        await self._send(to, machine.offer)
        while machine.state is TransferState.AWAITING_ANSWER and not move.stopping():
            await move.wake.wait()
        if machine.finished:
            return
        if move.stopping():
            await self._send(to, machine.cancel(move.stop_reason))
            return
        digest = hashlib.sha256()
        offset = machine.resume_offset
        if offset:
            prefix = await trio.to_thread.run_sync(hash_prefix, file, offset)
            if prefix.digest() == machine.resume_prefix:
                digest = prefix
            else:
                offset = 0
        await self._send(to, machine.start(offset))
        move.started = trio.current_time()
        largest = min(self.settings.chunk_bytes, machine.window)

        def chunk_bytes() -> int:
            elapsed = trio.current_time() - move.started
            rate = (machine.acked - machine.start_offset) / elapsed if elapsed > 0 else 0.0
            return chunk_size(rate, largest)

        async with trio.open_nursery() as nursery:
            chunks_in, chunks = trio.open_memory_channel[Read](READ_AHEAD - 1)
            nursery.start_soon(
                read_ahead, file, offset, machine.size, chunk_bytes, digest, chunks_in
            )
            sent = await self._send_chunks(move, chunks)
            nursery.cancel_scope.cancel()
        if not sent or machine.finished:
            return  # the receiver may cancel (a full disk, say) while the last chunk leaves
        if move.stopping():
            await self._cancel_sending(move, move.stop_reason)
            return
        await self._send(to, machine.done(digest.digest()))
        while not machine.finished and not move.stopping():
            await move.wake.wait()
        if move.stopping() and not machine.finished:
            await self._send(to, machine.cancel(move.stop_reason))

    async def _send_chunks(self, move: Move, chunks: trio.MemoryReceiveChannel[Read]) -> bool:
        """Send what the reader read, each chunk once the window has room for it all."""
        machine, to = move.machine, move.peer.id
        async with chunks:
            while machine.position < machine.size:
                data = await chunks.receive()
                if isinstance(data, FileStoreError) or not data:
                    why = str(data) if data else "the file got shorter while sending"
                    self._notice(f"! Cannot send {machine.offer.path}: {why}")
                    await self._cancel_sending(move, why)
                    return False
                # Room for a whole chunk, not slivers.
                while machine.room < len(data) or move.stopping():
                    if move.stopping() or machine.state is not TransferState.MOVING:
                        await self._cancel_sending(move, move.stop_reason)
                        return False
                    await move.wake.wait()
                await self._send(to, machine.chunk(data))
                self._progress(move)
        return True

    async def _cancel_sending(self, move: Move, reason: str) -> None:
        """Tell the receiver we stop, unless the transfer already ended (it cancelled)."""
        if not move.machine.finished:
            await self._send(move.peer.id, move.machine.cancel(reason))

    def _view(self, move: Move) -> TransferView:
        m = move.machine
        # A receiver counts what is written: that is what a resume starts from.
        position = m.position if move.store is None else move.store.written
        moved = position - m.start_offset
        elapsed = trio.current_time() - move.started if move.started else 0.0
        rate = moved / elapsed if elapsed > 0 else 0.0
        left = (m.size - position) / rate if rate > 0 else None
        return TransferView(
            move.number,
            m.offer.path if not move.saved_as else move.saved_as,
            move.peer.name,
            move.sending,
            m.size,
            position,
            m.state.value,
            rate,
            left,
            m.start_offset,
            m.reason,
            move.saved_as,
            m.digest.hex(),
        )

    def _progress(self, move: Move, *, force: bool = False) -> None:
        now = trio.current_time()
        if force or now - move.last_progress >= PROGRESS_EVERY:
            move.last_progress = now
            self._event(TransferProgress(self._view(move)))

    def _ended(self, move: Move) -> None:
        if move.ended:
            return
        move.ended = True
        self._event(TransferEnded(self._view(move)))

    def cancel(self, number: int) -> None:
        move = self._moves.get(number)
        if move is None or move.machine.finished:
            raise FileTransferError(f"there is no transfer {number} in progress; /transfers")
        self._stop(move, f"cancelled by the {self.role.value}")

    def transfers(self) -> list[TransferView]:
        return [self._view(m) for m in sorted(self._moves.values(), key=lambda m: m.number)]

    def _new_request(self, peer: int, folder: Path, advanced: bool) -> int:
        request = secrets.randbelow(2**52) + 1
        self._requests[request] = Request(peer, folder, advanced)
        return request


def _why(e: OSError) -> str:
    return f"cannot write to the download folder: {e.strerror or e}"
