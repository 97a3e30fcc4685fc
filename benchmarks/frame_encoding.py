"""Frame encoding: Helpline's screen codec against whole-frame PNG and VNC-style zlib tiles.

Generates its own deterministic 1920x1080 corpus (``_screen_corpus.py``) and,
per scenario, reports for the delta frames (every frame after the first):
median bytes per frame, median encode and decode milliseconds per frame,
and the same figures for two baselines measured in the same run on the same
frames:

* ``png`` - every frame as a PNG (Pillow, default settings);
* ``zlib_tiles`` - VNC's Zlib idea: every 64x64 tile that changed, raw BGR,
  through one zlib stream per connection flushed each frame.

Timings are medians over the frames, then the median of ``--runs`` runs,
all in one thread. ``video`` runs the codec lossless; ``video_lossy`` with
lossy regions on, and also checks that every pixel outside the video is
exact and reports the video region's PSNR.

    .venv/bin/python benchmarks/frame_encoding.py [--frames 30] [--runs 3] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._screen_corpus import SCENARIOS, VIDEO_RECT
from codec import ScreenDecoder, ScreenEncoder

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import NDArray

Frames = list["NDArray[np.uint8]"]
Figures = dict[str, float]
_TILE = 64


def _medians(sizes: list[int], encode: list[float], decode: list[float]) -> Figures:
    return {
        "bytes_per_frame": float(statistics.median(sizes)),
        "encode_ms": statistics.median(encode) * 1000,
        "decode_ms": statistics.median(decode) * 1000,
    }


def run_codec(frames: Frames, *, lossy: bool) -> tuple[Figures, dict[str, Any]]:
    encoder = ScreenEncoder(frames[0].shape[1], frames[0].shape[0], lossy=lossy)
    decoder = ScreenDecoder()
    sizes, encode, decode = [], [], []
    exact_outside, psnr = True, []
    vx, vy, vw, vh = VIDEO_RECT
    for i, frame in enumerate(frames):
        t0 = time.perf_counter()
        messages = encoder.encode(frame)
        t1 = time.perf_counter()
        for message in messages:
            decoder.feed(message)
        t2 = time.perf_counter()
        fb = decoder.framebuffer
        expected = frame[..., :3]
        if lossy:
            outside = np.ones(fb.shape[:2], dtype=bool)
            outside[vy : vy + vh, vx : vx + vw] = False
            exact_outside &= bool(np.array_equal(fb[outside], expected[outside]))
            err = (
                fb[vy : vy + vh, vx : vx + vw].astype(np.float64)
                - expected[vy : vy + vh, vx : vx + vw]
            )
            mse = float(np.mean(err**2))
            psnr.append(99.0 if mse == 0 else 10 * np.log10(255**2 / mse))
        elif not np.array_equal(fb, expected):
            raise AssertionError(f"lossless decode differs from frame {i}")
        if i:
            sizes.append(sum(len(m) for m in messages))
            encode.append(t1 - t0)
            decode.append(t2 - t1)
    extra: dict[str, Any] = {}
    if lossy:
        extra = {
            "text_exact": exact_outside,
            "video_psnr_db": round(float(statistics.median(psnr[1:])), 1),
        }
    return _medians(sizes, encode, decode), extra


def run_png(frames: Frames) -> Figures:
    sizes, encode, decode = [], [], []
    for frame in frames[1:]:
        t0 = time.perf_counter()
        image = Image.frombytes("RGB", (frame.shape[1], frame.shape[0]), frame, "raw", "BGRX")
        out = io.BytesIO()
        image.save(out, "PNG")
        t1 = time.perf_counter()
        with Image.open(io.BytesIO(out.getvalue())) as decoded:
            decoded.load()
        t2 = time.perf_counter()
        sizes.append(out.tell())
        encode.append(t1 - t0)
        decode.append(t2 - t1)
    return _medians(sizes, encode, decode)


def run_zlib_tiles(frames: Frames) -> Figures:
    h, w = frames[0].shape[:2]
    rows, cols = -(-h // _TILE), -(-w // _TILE)
    compressor, decompressor = zlib.compressobj(6), zlib.decompressobj()
    previous = np.zeros((h, w, 3), dtype=np.uint8)
    fb = np.zeros((h, w, 3), dtype=np.uint8)
    sizes, encode, decode = [], [], []
    for i, frame in enumerate(frames):
        t0 = time.perf_counter()
        cur = np.asarray(Image.frombytes("RGB", (w, h), frame, "raw", "RGBX"))
        padded = np.zeros((rows * _TILE, cols * _TILE), dtype=bool)
        padded[:h, :w] = (cur != previous).any(axis=2)
        changed = np.argwhere(padded.reshape(rows, _TILE, cols, _TILE).any(axis=(1, 3)))
        chunks = []
        for ty, tx in changed:
            tile = cur[ty * _TILE : (ty + 1) * _TILE, tx * _TILE : (tx + 1) * _TILE]
            chunks.append(compressor.compress(np.ascontiguousarray(tile).tobytes()))
        payload = b"".join(chunks) + compressor.flush(zlib.Z_SYNC_FLUSH)
        header = changed.astype(np.uint16).tobytes()
        previous = cur
        t1 = time.perf_counter()
        raw = decompressor.decompress(payload)
        pos = 0
        for ty, tx in np.frombuffer(header, dtype=np.uint16).reshape(-1, 2).tolist():
            tile_view = fb[ty * _TILE : (ty + 1) * _TILE, tx * _TILE : (tx + 1) * _TILE]
            size = tile_view.size
            tile_view[...] = np.frombuffer(raw, np.uint8, size, pos).reshape(tile_view.shape)
            pos += size
        t2 = time.perf_counter()
        if i:
            sizes.append(len(payload) + len(header) + 4)
            encode.append(t1 - t0)
            decode.append(t2 - t1)
    return _medians(sizes, encode, decode)


def _median_runs(runner: Callable[[], Figures], runs: int) -> Figures:
    results = [runner() for _ in range(runs)]
    return {key: statistics.median(r[key] for r in results) for key in results[0]}


def measure(frames_per_scenario: int, runs: int) -> dict[str, Any]:
    scenarios: dict[str, Any] = {}
    names = [*SCENARIOS, "video_lossy"]
    for name in names:
        frames = list(SCENARIOS[name.removesuffix("_lossy")](frames_per_scenario))
        lossy = name.endswith("_lossy")
        extras: list[dict[str, Any]] = []

        def codec_run(
            frames: Frames = frames, lossy: bool = lossy, extras: list[dict[str, Any]] = extras
        ) -> Figures:
            figures, extra = run_codec(frames, lossy=lossy)
            extras.append(extra)
            return figures

        result: dict[str, Any] = _median_runs(codec_run, runs)
        if lossy:
            result.update(extras[0])
        result["baselines"] = {
            "png": _median_runs(lambda frames=frames: run_png(frames), runs),  # type: ignore[misc]
            "zlib_tiles": _median_runs(lambda frames=frames: run_zlib_tiles(frames), runs),  # type: ignore[misc]
        }
        scenarios[name] = result
    return {"scenarios": scenarios}


def _size(n: float) -> str:
    return f"{n:.0f} B" if n < 10_000 else f"{n / 1024:.1f} KB"


def _row(label: str, figures: Figures, width: int) -> str:
    return (
        f"{_size(figures['bytes_per_frame']):>{width}} "
        f"{figures['encode_ms']:>6.1f} {figures['decode_ms']:>6.1f}"
    )


def print_table(report: dict[str, Any]) -> None:
    head = (
        f"{'scenario':<12} {'helpline':>10} {'enc ms':>6} {'dec ms':>6} | "
        f"{'png':>10} {'enc':>6} {'dec':>6} | {'zlib tiles':>10} {'enc':>6} {'dec':>6} | "
        f"{'vs png':>7} {'vs zlib':>7}"
    )
    print(head)
    print("-" * len(head))
    for name, r in report["scenarios"].items():
        png, tiles = r["baselines"]["png"], r["baselines"]["zlib_tiles"]
        ours = max(r["bytes_per_frame"], 1.0)
        print(
            f"{name:<12} {_row('ours', r, 10)} | {_row('png', png, 10)} | "
            f"{_row('zlib', tiles, 10)} | {png['bytes_per_frame'] / ours:>6.0f}x "
            f"{tiles['bytes_per_frame'] / ours:>6.0f}x"
        )
        if "text_exact" in r:
            exact, psnr = r["text_exact"], r["video_psnr_db"]
            print(f"{'':<12} pixels outside the video exact: {exact}; video PSNR {psnr} dB")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--frames", type=int, default=30, help="delta frames per scenario")
    parser.add_argument("--runs", type=int, default=3, help="timing runs; the median is reported")
    parser.add_argument("--quick", action="store_true", help="10 frames, 1 run")
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object instead of a table"
    )
    args = parser.parse_args()
    frames, runs = (10, 1) if args.quick else (args.frames, args.runs)
    report = measure(frames, runs)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"1920x1080, {frames} delta frames per scenario, median of {runs} run(s), one thread")
        print_table(report)


if __name__ == "__main__":
    main()
