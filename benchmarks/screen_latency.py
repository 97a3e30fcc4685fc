"""Screen latency: from a change on the customer's display to that change in the rep's view.

A private Xvfb at 1920x1080 runs a Tk document and a small window; a script
changes them 10 times a second — the document scrolls, text is typed, the
window is dragged — then leaves them idle. The customer is a separate
process (so its CPU time is its own), joined through a relay process on
loopback; the rep is this process. For each change it times the moment the
change is drawn until the rep's framebuffer equals the display, and counts
the screen bytes and the customer's CPU time.

Two customers run the same script in the same run:

* ``codec`` — Helpline's sharing: consent, credit, X DAMAGE, the screen codec;
* ``png`` — the baseline: a full-screen grab per change, sent as PNG.

Figures are medians over ``--runs`` runs; the machine is shared, so treat
them as rough.

    .venv/bin/python benchmarks/screen_latency.py [--runs 3] [--steps 20] [--json]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import psutil
import trio
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from codec import Activity, JoinTarget, ScreenUpdate, SessionCode
from peer._capture import MssSource
from peer._console import Console, open_console
from peer._events import MemberJoined, MessageReceived
from peer._malloc import keep_large_buffers, spare_the_collector
from peer._open import open_hosted_session, open_joined_session
from peer._server_process import open_embedded_relay
from peer._share_backends import x11_backends
from peer._share_customer import CustomerSharing
from peer._share_events import ConsentAsked, ViewOpened
from peer._share_rep import RepSharing
from peer._x11 import DamageWatcher
from tests.x11.xvfb import open_xvfb

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from numpy.typing import NDArray

    from peer._host import HostSession

SCENARIOS = ("scroll", "type", "drag")
RATE = 10.0  # changes per second
IDLE_SECONDS = 3.0
#: How long the rep's view stays unchanged before it is compared with the display.
SETTLE = 0.03
#: Seconds without the view equalling the display before the display is read again
#: (the read may have caught it mid-drawing).
REGRAB = 3.0
WAIT = 20.0


# The customer, as its own process ----------------------------------------------------


async def customer_main(relay: str, code: str, mode: str, display: str) -> None:
    # The process set up as `helpline join` sets itself up: its CPU is the program's.
    keep_large_buffers()
    spare_the_collector()
    target = JoinTarget(relay, SessionCode.parse(code))
    async with open_joined_session(target, "Jo") as session:
        if mode == "codec":
            sharing = CustomerSharing(session, x11_backends(display), answer_timeout=60.0)
            async with trio.open_nursery() as nursery:
                nursery.start_soon(sharing.run)

                async def answer() -> None:
                    async for event in sharing.events:
                        if isinstance(event, ConsentAsked):
                            await sharing.answer("y")  # the person at the keyboard says yes

                nursery.start_soon(answer)
                async for event in session.events:
                    if isinstance(event, MessageReceived):
                        await sharing.receive(event.sender, event.message)
        else:
            await png_pusher(session, display)


async def png_pusher(session: Any, display: str) -> None:
    """The baseline: on every change, the whole screen as one PNG."""
    source, changes = MssSource(display), DamageWatcher(display)
    rep = session.host_id

    def shot() -> bytes:
        frame = source.grab(source.bounds())
        out = io.BytesIO()
        Image.frombytes(
            "RGB", (frame.shape[1], frame.shape[0]), frame.tobytes(), "raw", "BGRX"
        ).save(out, "PNG")
        return out.getvalue()

    await session.send_message(rep, ScreenUpdate(await trio.to_thread.run_sync(shot)))
    while True:
        await changes.wait_change()
        if not changes.drawing:  # one picture a change, once it is drawn
            await session.send_message(rep, ScreenUpdate(await trio.to_thread.run_sync(shot)))


# The rep, here ----------------------------------------------------------------------


class Watcher:
    """The rep's framebuffer as it changes: a copy of each complete frame and its time.

    A frame's time is the moment it was decoded, on ``time.monotonic()``,
    the clock the activity's ``done`` uses. Nothing is compared while the
    customer may still be working on the change: the machine has two cores,
    and the benchmark's own reading of the display (an X request the
    customer's capture would queue behind) and its 6 MB comparisons would be
    counted as the sharing's latency. The display is read and compared once
    the rep's view has been still for :data:`SETTLE` seconds.
    """

    def __init__(self) -> None:
        #: Complete frames not yet judged, oldest first; the first is the view before the step.
        self.frames: list[tuple[float, NDArray[np.uint8]]] = []
        #: How the pictures order their channels: the codec decodes BGR, PNG gives RGB.
        self.rgb = False
        self.bytes = 0
        self.changed = trio.Event()

    def show(self, picture: NDArray[np.uint8], *, at: float, rgb: bool, copy: bool) -> None:
        """A frame completed *at*; *copy* when *picture* will be drawn over later."""
        self.frames.append((at, picture.copy() if copy else picture))
        self.rgb = rgb
        self.changed.set()
        self.changed = trio.Event()

    async def settle(self) -> None:
        """Until no frame has completed for :data:`SETTLE` seconds."""
        while True:
            with trio.move_on_after(SETTLE) as still:
                await self.changed.wait()
            if still.cancelled_caught:
                return

    def first_match(self, display: NDArray[np.uint8]) -> float | None:
        """When the view first equalled the display's BGRA grab *display*; None: not yet.

        The frames before the match are dropped and the match is kept, as the view
        the next step starts from.
        """
        want = np.ascontiguousarray(display[..., 2::-1] if self.rgb else display[..., :3])
        for i, (at, picture) in enumerate(self.frames):
            if picture.shape == want.shape and np.array_equal(picture, want):
                del self.frames[:i]
                del self.frames[1:]  # later frames are the same picture again
                return at
        del self.frames[:-1]  # only the newest can still be what the display shows
        return None

    async def until_display(self, screen: Grabber) -> float:
        """When the view first equalled the display, once the view is still.

        The display is read again if a grab caught it mid-drawing (another client's
        requests may still be queued).
        """
        with trio.fail_after(WAIT):
            while True:
                await self.settle()
                expected = await trio.to_thread.run_sync(screen.grab)
                with trio.move_on_after(REGRAB):
                    while (at := self.first_match(expected)) is None:
                        await self.changed.wait()
                        await self.settle()
                    return at
                if (at := self.first_match(expected)) is not None:
                    return at  # it came as the wait ran out
                self.report_difference(expected)

    def report_difference(self, expected: NDArray[np.uint8]) -> None:
        if not self.frames or self.frames[-1][1].shape[:2] != expected.shape[:2]:
            return
        picture = self.frames[-1][1]
        want = expected[..., 2::-1] if self.rgb else expected[..., :3]
        ys, xs = np.nonzero((picture != want).any(axis=2))
        if not ys.size:
            return
        print(
            f"  (still differs: {ys.size} px in x {xs.min()}-{xs.max()}, y {ys.min()}-{ys.max()})",
            file=sys.stderr,
        )


class Grabber:
    """The display as BGRA, through one mss connection kept open for the run."""

    def __init__(self, display: str) -> None:
        self._source = MssSource(display)

    def grab(self) -> NDArray[np.uint8]:
        return np.array(self._source.grab(self._source.bounds()))

    def close(self) -> None:
        self._source.close()


async def pump(rep: HostSession, mode: str, watcher: Watcher, sharing: RepSharing) -> None:
    async for event in rep.events:
        if not isinstance(event, MessageReceived):
            continue
        if isinstance(event.message, ScreenUpdate):
            watcher.bytes += len(event.message.data)
        if mode == "codec":
            await sharing.receive(event.sender, event.message)
            view = sharing.view
            if (
                view is not None
                and view.decoder.frame_complete
                and isinstance(event.message, ScreenUpdate)
            ):
                # Complete when decoded: the credit it gives back is sent after that.
                watcher.show(view.decoder.framebuffer, at=view.completed_at, rgb=False, copy=True)
        elif isinstance(event.message, ScreenUpdate):
            image = Image.open(io.BytesIO(event.message.data)).convert("RGB")
            watcher.show(np.asarray(image), at=time.monotonic(), rgb=True, copy=False)


@asynccontextmanager
async def open_customer(relay: str, code: str, mode: str, display: str) -> AsyncIterator[Console]:
    argv = [sys.executable, __file__, "--customer", relay, code, mode, display]
    async with open_console(f"customer-{mode}", argv, env={"DISPLAY": display}) as console:
        yield console


async def one_run(
    relay: str, display: str, activity: Console, mode: str, steps: int
) -> dict[str, Any]:
    async with open_hosted_session(relay, "Dana") as rep:
        async with open_customer(relay, str(rep.code), mode, display) as customer:
            with trio.fail_after(WAIT):
                async for event in rep.events:
                    if isinstance(event, MemberJoined):
                        break
            process = psutil.Process(customer.process.pid)
            watcher = Watcher()
            sharing = RepSharing(rep, x11_backends(display))
            async with trio.open_nursery() as nursery:
                nursery.start_soon(sharing.run)
                nursery.start_soon(pump, rep, mode, watcher, sharing)
                if mode == "codec":
                    customer_member = rep.members[next(m for m in rep.members if m != rep.id)]
                    await sharing.ask(customer_member, Activity.VIEW_DESKTOP)
                    with trio.fail_after(WAIT):
                        async for share_event in sharing.events:
                            if isinstance(share_event, ViewOpened):
                                break
                screen = Grabber(display)
                try:
                    await watcher.until_display(screen)
                    result: dict[str, Any] = {}
                    for scenario in SCENARIOS:
                        result[scenario] = await measure(
                            activity, screen, watcher, process, scenario, steps
                        )
                finally:
                    screen.close()
                result["idle"] = await measure_idle(watcher, process)
                nursery.cancel_scope.cancel()
    return result


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


async def measure(
    activity: Console,
    screen: Grabber,
    watcher: Watcher,
    process: psutil.Process,
    scenario: str,
    steps: int,
) -> dict[str, float]:
    latencies: list[float] = []
    bytes0, cpu0 = watcher.bytes, cpu_seconds(process)
    next_tick = trio.current_time()
    for _ in range(steps):
        await trio.sleep_until(next_tick)
        next_tick += 1 / RATE
        await activity.send(scenario)
        drawn = float((await activity.expect(r"^done (\S+)$"))[1])
        complete = await watcher.until_display(screen)
        latencies.append(max(0.0, complete - drawn))
    await trio.sleep(0.3)  # let the last frame's work finish before reading the CPU clock
    latencies.sort()
    return {
        "p50_ms": 1000 * statistics.median(latencies),
        "p95_ms": 1000 * latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))],
        "bytes_per_change": (watcher.bytes - bytes0) / steps,
        "cpu_ms_per_change": 1000 * (cpu_seconds(process) - cpu0) / steps,
    }


async def measure_idle(watcher: Watcher, process: psutil.Process) -> dict[str, float]:
    bytes0, cpu0 = watcher.bytes, cpu_seconds(process)
    await trio.sleep(IDLE_SECONDS)
    return {
        "cpu_percent": 100 * (cpu_seconds(process) - cpu0) / IDLE_SECONDS,
        "bytes": float(watcher.bytes - bytes0),
    }


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        key: {field: statistics.median(run[key][field] for run in runs) for field in runs[0][key]}
        for key in runs[0]
    }


async def bench(runs: int, steps: int) -> dict[str, Any]:
    with open_xvfb(1920, 1080) as display:
        argv = [sys.executable, "-m", "benchmarks._activity"]
        async with (
            open_embedded_relay() as relay,
            open_console("activity", argv, env={"DISPLAY": display}) as activity,
        ):
            await activity.expect(r"^ready$")
            out: dict[str, Any] = {}
            for mode in ("codec", "png"):
                out[mode] = median_of(
                    [await one_run(relay, display, activity, mode, steps) for _ in range(runs)]
                )
            return out


def report(figures: dict[str, Any]) -> None:
    codec, png = figures["codec"], figures["png"]
    print("Screen latency through a loopback relay, Xvfb 1920x1080, 10 changes/s")
    print("(shared 2-core machine: rough figures)")
    header = f"{'':8} {'':6} {'p50 ms':>8} {'p95 ms':>8} {'B/change':>10} {'CPU ms/chg':>11}"
    print(header)
    for scenario in SCENARIOS:
        for mode, data in (("codec", codec), ("png", png)):
            d = data[scenario]
            print(
                f"{scenario:8} {mode:6} {d['p50_ms']:8.1f} {d['p95_ms']:8.1f} "
                f"{d['bytes_per_change']:10.0f} {d['cpu_ms_per_change']:11.2f}"
            )
        c, p = codec[scenario], png[scenario]
        print(
            f"{'':8} {'ratio':6} {p['p50_ms'] / max(c['p50_ms'], 1e-9):7.1f}x "
            f"{p['p95_ms'] / max(c['p95_ms'], 1e-9):7.1f}x "
            f"{p['bytes_per_change'] / max(c['bytes_per_change'], 1):9.1f}x "
            f"{p['cpu_ms_per_change'] / max(c['cpu_ms_per_change'], 1e-9):10.1f}x  (png / codec)"
        )
    for mode, data in (("codec", codec), ("png", png)):
        idle = data["idle"]
        print(
            f"idle     {mode:6} CPU {idle['cpu_percent']:.2f} % of a core, "
            f"{idle['bytes']:.0f} bytes in {IDLE_SECONDS:.0f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--customer", nargs=4, metavar=("RELAY", "CODE", "MODE", "DISPLAY"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.customer:
        os.environ["DISPLAY"] = args.customer[3]
        trio.run(customer_main, *args.customer)
        return
    figures = trio.run(bench, args.runs, args.steps)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        report(figures)


if __name__ == "__main__":
    main()
