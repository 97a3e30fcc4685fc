"""The little HTTP the relay speaks before (or instead of) a WebSocket.

The relay owns its TCP listener: it reads the request head itself (bounded in
size; the caller bounds the time), answers plain ``GET`` requests for
``/healthz``, ``/metrics`` and ``/join`` here, and hands WebSocket upgrades
to trio-websocket through :class:`ReplayStream`, which gives back the bytes
already read. trio-websocket alone cannot do this: wsproto refuses any
request that is not an upgrade.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import trio

from relay._metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = [
    "JOIN_PAGE",
    "JOIN_PAGE_HEADERS",
    "HttpError",
    "ReplayStream",
    "RequestHead",
    "plain_response",
    "read_request_head",
    "render_response",
]

#: Request heads larger than this are refused (431): a browser or a
#: WebSocket client sends well under 2 KiB, and the relay keeps no cookies.
MAX_HEAD_BYTES = 16 * 1024

_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    426: "Upgrade Required",
    431: "Request Header Fields Too Large",
    503: "Service Unavailable",
}


class HttpError(Exception):
    """The request head is unusable; answer *status* and close."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class RequestHead:
    method: str
    target: str
    #: Lower-case names; a repeated header's values joined with ", ".
    headers: Mapping[str, str]

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def is_websocket_upgrade(self) -> bool:
        return self.headers.get("upgrade", "").strip().lower() == "websocket"


async def read_request_head(stream: trio.abc.ReceiveStream) -> tuple[RequestHead, bytes]:
    """Read one request head; return it and every byte read (to replay).

    Raises :class:`HttpError` for a malformed or oversized head and
    ``EOFError`` if the client hangs up first.
    """
    buf = bytearray()
    searched = 0
    while True:
        end = buf.find(b"\r\n\r\n", max(0, searched - 3))
        if end > MAX_HEAD_BYTES or (end < 0 and len(buf) > MAX_HEAD_BYTES):
            raise HttpError(431, "request head too large")
        if end >= 0:
            break
        searched = len(buf)
        data = await stream.receive_some(MAX_HEAD_BYTES)
        if not data:
            raise EOFError("client closed the connection before sending a request")
        buf += data
    return _parse_head(bytes(buf[:end])), bytes(buf)


def _parse_head(raw: bytes) -> RequestHead:
    try:
        text = raw.decode("latin-1")
        request_line, *header_lines = text.split("\r\n")
        method, target, version = request_line.split(" ")
    except ValueError:
        raise HttpError(400, "malformed request line") from None
    if not version.startswith("HTTP/1.") or not target.startswith("/"):
        raise HttpError(400, "unsupported request")
    headers: dict[str, str] = {}
    for line in header_lines:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise HttpError(400, "malformed header line")
        key = name.lower()
        value = value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return RequestHead(method, target, headers)


def render_response(
    status: int,
    body: bytes = b"",
    *,
    content_type: str = "text/plain; charset=utf-8",
    extra_headers: Mapping[str, str] | None = None,
    head_only: bool = False,
) -> bytes:
    """A complete HTTP/1.1 response; the relay closes the connection after it."""
    lines = [
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(body)}",
        "Connection: close",
        "Cache-Control: no-store",
        "X-Content-Type-Options: nosniff",
    ]
    lines += [f"{k}: {v}" for k, v in (extra_headers or {}).items()]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head if head_only else head + body


def plain_response(head: RequestHead, metrics_text: Callable[[], str]) -> bytes:
    """The answer to a request that is not a WebSocket upgrade."""
    if head.method not in ("GET", "HEAD"):
        return render_response(
            405, b"only GET is served here\n", extra_headers={"Allow": "GET, HEAD"}
        )
    head_only = head.method == "HEAD"
    match head.path:
        case "/healthz":
            return render_response(200, b"ok\n", head_only=head_only)
        case "/metrics":
            body = metrics_text().encode()
            return render_response(
                200, body, content_type=METRICS_CONTENT_TYPE, head_only=head_only
            )
        case "/join":
            return render_response(
                200,
                JOIN_PAGE,
                content_type="text/html; charset=utf-8",
                extra_headers=JOIN_PAGE_HEADERS,
                head_only=head_only,
            )
    return render_response(404, b"no such page\n", head_only=head_only)


class ReplayStream(trio.abc.Stream):
    """*stream*, with *prefix* handed out again before anything new is read.

    It can also *gather* writes: between :meth:`gather` and the first write
    after :meth:`flush_on_next_write`, written bytes are kept and then sent
    in one ``send_all``. The relay's writer uses this to put a run of small
    messages into one system call instead of one each; the flush happens
    inside trio-websocket's send lock, so frames never interleave.
    """

    def __init__(self, stream: trio.abc.Stream, prefix: bytes) -> None:
        self._stream = stream
        self._prefix = memoryview(prefix)
        self._gathered: list[bytes] | None = None
        self._flush_next = False

    async def receive_some(self, max_bytes: int | None = None) -> bytes | bytearray:
        if self._prefix:
            n = len(self._prefix) if max_bytes is None else max_bytes
            chunk, self._prefix = self._prefix[:n], self._prefix[n:]
            await trio.lowlevel.checkpoint()
            return bytes(chunk)
        return await self._stream.receive_some(max_bytes)

    def gather(self) -> None:
        self._gathered = []
        self._flush_next = False

    def flush_on_next_write(self) -> None:
        self._flush_next = True

    def discard_gathered(self) -> None:
        self._gathered = None
        self._flush_next = False

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        if self._gathered is None:
            await self._stream.send_all(data)
            return
        self._gathered.append(bytes(data))
        if self._flush_next:
            gathered, self._gathered, self._flush_next = self._gathered, None, False
            await self._stream.send_all(b"".join(gathered))

    async def wait_send_all_might_not_block(self) -> None:
        await self._stream.wait_send_all_might_not_block()

    async def aclose(self) -> None:
        await self._stream.aclose()


# The join page. The session code travels after "#", which browsers never send
# to a server, so the relay serves the same static page to everyone and the
# secret half of the code never reaches it. textContent (not innerHTML) keeps
# whatever is in the fragment inert.
_JOIN_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em;"
    "line-height:1.5}code{display:block;padding:1em;background:#eee;border-radius:4px;"
    "word-break:break-all;user-select:all}"
)
_JOIN_SCRIPT = (
    "var code=decodeURIComponent(location.hash.slice(1));"
    "if(/^[0-9A-Za-z]{1,32}-[0-9]{6,}$/.test(code)){"
    'document.getElementById("cmd").textContent="helpline join "+location.href;'
    'document.getElementById("hint").textContent='
    '"Your session number is "+code+". Keep it between you and your support representative.";}'
)
_JOIN_HTML = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Join a Helpline support session</title>
<style>{_JOIN_STYLE}</style>
</head>
<body>
<h1>Join a Helpline support session</h1>
<p>Open a terminal on this computer and run:</p>
<code id="cmd">helpline join SESSION-NUMBER</code>
<p id="hint">Replace SESSION-NUMBER with the number your support representative gave you
(it looks like 4821-093617).</p>
<p>The session number stays in your browser: this page never sends it anywhere.</p>
<script>{_JOIN_SCRIPT}</script>
</body>
</html>
"""


def _csp_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode()).digest()
    return "'sha256-" + base64.b64encode(digest).decode() + "'"


JOIN_PAGE = _JOIN_HTML.encode()
JOIN_PAGE_HEADERS = {
    "Content-Security-Policy": (
        f"default-src 'none'; script-src {_csp_hash(_JOIN_SCRIPT)}; "
        f"style-src {_csp_hash(_JOIN_STYLE)}"
    ),
    "Referrer-Policy": "no-referrer",
}
