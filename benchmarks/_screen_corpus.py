"""A deterministic corpus of 1080p screen sequences that look like real screens.

Everything is drawn here, from a seeded RNG and the DejaVu fonts (Pillow's
built-in scalable font if those are missing): no network, no captures, the
same pixels on every machine with the same Pillow. Each scenario yields
:class:`Shot` s: a BGRA frame as ``mss`` captures it, and which of its pixels
are photographic (the only ones a lossy codec may approximate). The first
frame is the keyframe, every later one a delta.

* ``scroll`` - a book-like page in a word processor scrolled three lines (one wheel
  notch) a frame;
* ``typing`` - code typed into a dark editor, one character a frame, with a status bar;
* ``drag``   - a rounded window with a soft drop shadow dragged across a photographic
  wallpaper;
* ``video``  - a video player page: a 640x360 clip of natural-looking imagery with
  sensor grain, a moving progress bar and ticking time text under it, text beside it;
* ``idle``   - a still desktop whose caret blinks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from numpy.typing import NDArray

__all__ = ["HEIGHT", "SCENARIOS", "VIDEO_RECT", "WIDTH", "Shot"]

WIDTH, HEIGHT = 1920, 1080
#: Where the video plays in the ``video`` scenario: (x, y, w, h).
VIDEO_RECT = (640, 300, 640, 360)
_FONTS = Path("/usr/share/fonts/truetype/dejavu")
_WORD_LIST = """
the of and to in is that for it as with was on be by this are or from at which but have
an they not one you were all there would their we been has when who will more no if out
so said what up its about into than them can only other new some could time these two
may then do first any my now such like our over even most made after also did many
before must through back years where much your way well down should because each just
those people how too little state good very make world still own see work long get here
between both life being under never day same another know while last might great old
year off come since against go came right used take three session screen remote support
customer network relay window keyboard encrypted viewer frame
"""
_WORDS = tuple(_WORD_LIST.split())


@dataclass(frozen=True, slots=True)
class Shot:
    """One captured frame and what a lossy codec may approximate in it."""

    #: BGRA, as ``mss`` captures it.
    frame: NDArray[np.uint8]
    #: Photographic pixels (wallpaper, video picture, shadow on a photo): the only
    #: ones allowed to be inexact with lossy regions on. None: none at all.
    picture: NDArray[np.bool_] | None = None


def _font(name: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = _FONTS / name
    if path.exists():
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def _bgra(image: Image.Image) -> NDArray[np.uint8]:
    rgb = np.asarray(image.convert("RGB"))
    out = np.empty((*rgb.shape[:2], 4), dtype=np.uint8)
    out[..., 0], out[..., 1], out[..., 2], out[..., 3] = rgb[..., 2], rgb[..., 1], rgb[..., 0], 255
    return out


def _sentence(rng: np.random.Generator, words: int) -> str:
    picked = [_WORDS[int(i)] for i in rng.integers(0, len(_WORDS), words)]
    return " ".join(picked).capitalize() + "."


def _noise(
    rng: np.random.Generator, width: int, height: int, octaves: int = 6
) -> NDArray[np.float64]:
    """Fractal value noise in 0..1: the texture of clouds, foliage and hills."""
    total = np.zeros((height, width))
    weight = 0.0
    for octave in range(octaves):
        cells = 2 ** (octave + 2)
        grid = rng.random((cells * height // width + 2, cells + 2)).astype(np.float32)
        layer = Image.fromarray(grid, mode="F").resize((width, height), Image.Resampling.BICUBIC)
        amplitude = 0.55**octave
        total += amplitude * np.asarray(layer)
        weight += amplitude
    return np.clip(total / weight, 0, 1)


def _photo(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    """A landscape-like picture: sky gradient, noisy hills, fine sensor grain."""
    y = np.linspace(0, 1, height)[:, None]
    clouds = _noise(rng, width, height)
    hills = _noise(rng, width, height, octaves=7)
    horizon = 0.55 + 0.15 * (hills[0:1, :] - 0.5) + 0.3 * (hills - 0.5) * 0.2
    sky = np.stack(
        [90 + 120 * y + 60 * clouds, 140 + 80 * y + 50 * clouds, 230 - 40 * y + 20 * clouds], -1
    )
    ground = np.stack([40 + 90 * hills, 90 + 110 * hills, 30 + 50 * hills], -1)
    picture = np.where((y > horizon)[..., None], ground, sky)
    picture += rng.normal(0, 2.5, picture.shape)
    return Image.fromarray(np.clip(picture, 0, 255).astype(np.uint8), "RGB")


def _window(
    draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], title: str, radius: int = 0
) -> None:
    x0, y0, x1, _ = box
    draw.rounded_rectangle(box, radius, fill=(250, 250, 250), outline=(120, 120, 130))
    draw.rounded_rectangle(
        (x0, y0, x1, y0 + 32),
        radius,
        fill=(222, 225, 232),
        outline=(120, 120, 130),
        corners=(True, True, False, False),
    )
    draw.text((x0 + 14, y0 + 8), title, font=_font("DejaVuSans-Bold.ttf", 14), fill=(40, 40, 50))
    for i, colour in enumerate(((237, 106, 94), (245, 191, 79), (98, 197, 84))):
        draw.ellipse((x1 - 80 + 22 * i, y0 + 10, x1 - 68 + 22 * i, y0 + 22), fill=colour)


def scroll(frames: int) -> Iterator[Shot]:
    """A book-like page in a word processor, one wheel notch (three lines) a frame."""
    rng = np.random.default_rng(11)
    font, bold, line = _font("DejaVuSerif.ttf", 15), _font("DejaVuSerif-Bold.ttf", 17), 22
    lines = frames * 3 + 60
    page = Image.new("RGB", (1000, lines * line + 40), (255, 255, 255))
    draw = ImageDraw.Draw(page)
    for i in range(lines):
        if i % 9 == 0:
            draw.text((40, 12 + i * line), _sentence(rng, 5), font=bold, fill=(20, 20, 60))
        else:
            words = int(rng.integers(11, 15))
            draw.text((40, 12 + i * line), _sentence(rng, words), font=font, fill=(30, 30, 30))
    doc = _bgra(page)
    screen = Image.new("RGB", (WIDTH, HEIGHT), (60, 72, 90))
    draw = ImageDraw.Draw(screen)
    _window(draw, (160, 20, 1760, 1060), "Quarterly report.odt - Writer")
    draw.rectangle((161, 53, 1759, 95), fill=(240, 240, 244))
    for i in range(24):
        draw.rounded_rectangle((180 + 34 * i, 60, 206 + 34 * i, 88), 4, fill=(200, 205, 215))
    draw.rectangle((161, 96, 1759, 1059), fill=(214, 216, 220))
    base = _bgra(screen)
    for k in range(frames + 1):
        frame = base.copy()
        top = k * 3 * line
        frame[110:1050, 460:1460] = doc[top : top + 940]
        thumb = 110 + int(820 * k / (frames + 1))
        frame[110:1050, 1740:1752] = (225, 225, 225, 255)
        frame[thumb : thumb + 120, 1741:1751] = (150, 150, 150, 255)
        yield Shot(frame)


_CODE = """def encode(self, frame):
    cur = self._to_bgr(frame)
    if self._want_keyframe:
        return self._encode_keyframe(cur)
    changed = changed_strips(cur, self._ref)
    for rect in changed_rects(cur, self._ref, changed):
        ops.append(self._pixels(cur, rect))
    return self._pack(ops, images, keyframe=False)
"""
_LIGHT = {"bg": (250, 250, 250), "side": (236, 238, 242), "text": (30, 30, 40)}
_DARK = {"bg": (30, 31, 36), "side": (37, 39, 46), "text": (212, 212, 200)}
_KEYWORDS = {"def": (198, 120, 221), "return": (198, 120, 221), "if": (198, 120, 221)}


def _editor(
    theme: dict[str, tuple[int, int, int]],
) -> tuple[Image.Image, Callable[[Image.Image, int], None]]:
    font = _font("DejaVuSansMono.ttf", 14)
    screen = Image.new("RGB", (WIDTH, HEIGHT), theme["bg"])
    draw = ImageDraw.Draw(screen)
    _window(draw, (0, 0, WIDTH - 1, HEIGHT - 1), "screen.py - Editor")
    draw.rectangle((1, 33, WIDTH - 2, HEIGHT - 2), fill=theme["bg"])
    draw.rectangle((1, 33, 260, HEIGHT - 30), fill=theme["side"])
    for i, name in enumerate(("codec", "  screen", "    _ops.py", "    _diff.py", "peer", "relay")):
        draw.text((16, 44 + 22 * i), name, font=_font("DejaVuSans.ttf", 13), fill=theme["text"])
    code = (_CODE * 4).splitlines()[:30]
    advance = font.getlength("m")
    for i, text in enumerate(code):
        draw.text((280, 44 + 18 * i), f"{i + 1:3d}", font=font, fill=(130, 130, 140))
        x = 330.0
        for word in text.split(" "):
            colour = _KEYWORDS.get(word, theme["text"])
            draw.text((round(x), 44 + 18 * i), word, font=font, fill=colour)
            x += advance * (len(word) + 1)

    def status(image: Image.Image, column: int) -> None:
        d = ImageDraw.Draw(image)
        d.rectangle((1, HEIGHT - 29, WIDTH - 2, HEIGHT - 2), fill=(0, 110, 190))
        d.text(
            (WIDTH - 260, HEIGHT - 24),
            f"Ln 31, Col {column}   UTF-8   Python",
            font=_font("DejaVuSans.ttf", 13),
            fill=(255, 255, 255),
        )

    status(screen, 1)
    return screen, status


def typing(frames: int) -> Iterator[Shot]:
    """Code typed into a dark editor, one character a frame, the status bar following."""
    screen, status = _editor(_DARK)
    font = _font("DejaVuSansMono.ttf", 14)
    text = "        # the viewer keeps the previous frame, so only the new glyph travels " * 4
    draw = ImageDraw.Draw(screen)
    advance = font.getlength("m")
    row_y, x0 = 44 + 18 * 30, 330
    draw.text((280, row_y), " 31", font=font, fill=(130, 130, 140))
    for k in range(frames + 1):
        typed = text[:k]
        # The editor repaints the line: clear it, draw the text, draw the caret.
        draw.rectangle((x0, row_y, WIDTH - 2, row_y + 17), fill=_DARK["bg"])
        draw.text((x0, row_y), typed, font=font, fill=(106, 153, 85))
        caret = x0 + round(advance * len(typed))
        draw.rectangle((caret, row_y, caret + 1, row_y + 17), fill=(220, 220, 220))
        status(screen, k + 1)
        yield Shot(_bgra(screen))


def idle(frames: int) -> Iterator[Shot]:
    screen, _ = _editor(_LIGHT)
    font = _font("DejaVuSansMono.ttf", 14)
    caret = 330 + round(font.getlength("m") * 24)
    on = _bgra(screen)
    on[44 + 18 * 12 : 44 + 18 * 13, caret : caret + 2] = (20, 20, 20, 255)
    off = _bgra(screen)
    for k in range(frames + 1):
        # 30 frames a second, the caret toggles every half second.
        yield Shot(on if (k // 15) % 2 == 0 else off)


def _soft_shadow(width: int, height: int, radius: int, margin: int) -> NDArray[np.float32]:
    """A window's drop shadow as an opacity map: its rounded shape, lowered and blurred."""
    mask = Image.new("L", (width + 2 * margin, height + 2 * margin), 0)
    ImageDraw.Draw(mask).rounded_rectangle(
        (margin, margin + 8, margin + width - 1, margin + height + 7), radius, fill=255
    )
    blurred = mask.filter(ImageFilter.GaussianBlur(margin / 2.5))
    return np.asarray(blurred, dtype=np.float32) * (0.5 / 255)


def drag(frames: int) -> Iterator[Shot]:
    """A rounded window with a soft drop shadow dragged over a photographic wallpaper."""
    rng = np.random.default_rng(14)
    wallpaper = _bgra(_photo(rng, WIDTH, HEIGHT))
    w, h, radius, margin = 820, 560, 10, 40
    win = Image.new("RGB", (w, h), (0, 0, 0))
    draw = ImageDraw.Draw(win)
    _window(draw, (0, 0, w - 1, h - 1), "Files - Documents", radius)
    font = _font("DejaVuSans.ttf", 14)
    for i in range(22):
        draw.rectangle((20, 48 + 22 * i, 36, 62 + 22 * i), fill=(90, 150, 220))
        name = f"{_sentence(rng, 3)[:-1].lower()}.pdf"
        draw.text((46, 47 + 22 * i), name, font=font, fill=(30, 30, 40))
        size = f"{int(rng.integers(10, 990))} KB"
        draw.text((560, 47 + 22 * i), size, font=font, fill=(110, 110, 120))
    window = _bgra(win)
    shape = Image.new("L", (w, h), 0)
    ImageDraw.Draw(shape).rounded_rectangle((0, 0, w - 1, h - 1), radius, fill=255)
    opaque = np.asarray(shape) > 0
    shadow = 1 - _soft_shadow(w, h, radius, margin)[..., None]
    for k in range(frames + 1):
        # A steady drag: 12 px right and 5 px down a frame (about 360 px/s at 30 fps).
        x, y = 200 + 12 * k, 120 + 5 * k
        frame = wallpaper.copy()
        area = np.s_[y - margin : y + h + margin, x - margin : x + w + margin, :3]
        frame[area] = np.rint(wallpaper[area] * shadow).astype(np.uint8)
        frame[y : y + h, x : x + w][opaque] = window[opaque]
        picture = np.ones((HEIGHT, WIDTH), dtype=bool)
        picture[y : y + h, x : x + w] &= ~opaque
        yield Shot(frame, picture)


def video(frames: int) -> Iterator[Shot]:
    """A video player page: the picture, a progress bar and time text under it, text beside.

    The clip is a camera pan over a landscape with a bird crossing it and fresh sensor
    grain every frame; the player's clock ticks every ten frames.
    """
    rng = np.random.default_rng(15)
    page = Image.new("RGB", (WIDTH, HEIGHT), (255, 255, 255))
    draw = ImageDraw.Draw(page)
    _window(draw, (0, 0, WIDTH - 1, HEIGHT - 1), "A walk in the hills - Browser")
    font, small = _font("DejaVuSans.ttf", 15), _font("DejaVuSans.ttf", 13)
    title = _font("DejaVuSans-Bold.ttf", 28)
    draw.text((640, 60), "A walk in the hills", font=title, fill=(20, 20, 20))
    for i in range(8):
        draw.text((640, 110 + 22 * i), _sentence(rng, 12), font=font, fill=(40, 40, 40))
    for i in range(12):
        draw.text((640, 740 + 22 * i), _sentence(rng, 12), font=font, fill=(40, 40, 40))
    draw.text((1310, 300), "Up next", font=_font("DejaVuSans-Bold.ttf", 16), fill=(20, 20, 20))
    for i in range(6):
        draw.rectangle((1310, 330 + 60 * i, 1390, 375 + 60 * i), fill=(120, 140, 160))
        draw.text((1400, 335 + 60 * i), _sentence(rng, 4), font=small, fill=(40, 40, 40))
    vx, vy, vw, vh = VIDEO_RECT
    draw.rectangle((vx, vy + vh, vx + vw - 1, vy + vh + 39), fill=(24, 24, 24))
    base = _bgra(page)
    scene = _bgra(_photo(rng, 1400, 800))
    yy, xx = np.mgrid[0:vh, 0:vw]
    picture = np.zeros((HEIGHT, WIDTH), dtype=bool)
    picture[vy : vy + vh, vx : vx + vw] = True
    bar = Image.new("RGB", (vw, 40), (24, 24, 24))
    for k in range(frames + 1):
        frame = base.copy()
        px, py = 40 + 9 * k, 280 + 3 * k
        view = scene[py : py + vh, px : px + vw, :3].astype(np.int16)
        bx, by = 60 + 14 * k, 120 + int(30 * np.sin(k / 4))
        view[(xx - bx) ** 2 + ((yy - by) * 2) ** 2 < 140] = (30, 30, 30)
        grain = np.random.default_rng(1000 + k).normal(0, 1.5, view.shape)
        frame[vy : vy + vh, vx : vx + vw, :3] = np.clip(view + grain, 0, 255).astype(np.uint8)
        d = ImageDraw.Draw(bar)
        d.rectangle((0, 0, vw, 40), fill=(24, 24, 24))
        d.rectangle((12, 6, vw - 12, 9), fill=(90, 90, 90))
        d.rectangle((12, 6, 12 + 40 + 3 * k, 9), fill=(230, 33, 23))
        d.ellipse((6 + 40 + 3 * k, 2, 18 + 40 + 3 * k, 13), fill=(230, 33, 23))
        seconds = 83 + k // 10
        d.text(
            (12, 18), f"{seconds // 60}:{seconds % 60:02d} / 3:25", font=small, fill=(255, 255, 255)
        )
        frame[vy + vh : vy + vh + 40, vx : vx + vw] = _bgra(bar)
        yield Shot(frame, picture)


SCENARIOS: dict[str, Callable[[int], Iterator[Shot]]] = {
    "scroll": scroll,
    "typing": typing,
    "drag": drag,
    "video": video,
    "idle": idle,
}
