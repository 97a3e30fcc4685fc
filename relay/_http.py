"""The little HTTP the relay speaks before (or instead of) a WebSocket.

The relay reads the request head itself (bounded in size; the caller bounds
the time), answers plain ``GET`` requests for ``/``, ``/healthz``,
``/metrics`` and ``/join`` here, and accepts WebSocket upgrades with
:func:`upgrade_response` (RFC 6455, section 4.2).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from relay._metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from relay._pages import PAGE_HEADERS, index_page, join_page
from relay._socket import recv_some

if TYPE_CHECKING:
    import socket
    from collections.abc import Callable, Mapping

__all__ = [
    "HttpError",
    "RequestHead",
    "plain_response",
    "read_request_head",
    "render_response",
    "upgrade_response",
]

_WEBSOCKET_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

#: Request heads larger than this are refused (431): a browser or a
#: WebSocket client sends well under 2 KiB, and the relay keeps no cookies.
MAX_HEAD_BYTES = 16 * 1024

_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    426: "Upgrade Required",
    429: "Too Many Requests",
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


async def read_request_head(sock: socket.socket) -> tuple[RequestHead, bytes]:
    """Read one request head; return it and the bytes that followed it.

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
        data = await recv_some(sock, MAX_HEAD_BYTES)
        if not data:
            raise EOFError("client closed the connection before sending a request")
        buf += data
    return _parse_head(bytes(buf[:end])), bytes(buf[end + 4 :])


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


def plain_response(
    head: RequestHead, metrics_text: Callable[[], str], *, trust_forwarded: bool = False
) -> bytes:
    """The answer to a request that is not a WebSocket upgrade.

    *trust_forwarded* (``--trust-forwarded-for``: a proxy in front wrote the
    ``X-Forwarded-*`` headers): ``X-Forwarded-Proto: https`` means customers
    reach this relay over TLS, so the pages show ``wss://`` and TLS links.
    """
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
        case "/" | "/join":
            page = index_page if head.path == "/" else join_page
            return render_response(
                200,
                page(head.headers.get("host"), secure=trust_forwarded and _forwarded_https(head)),
                content_type="text/html; charset=utf-8",
                extra_headers=PAGE_HEADERS,
                head_only=head_only,
            )
    return render_response(404, b"no such page\n", head_only=head_only)


def _forwarded_https(head: RequestHead) -> bool:
    # As with X-Forwarded-For, the last entry is the one the nearest proxy wrote.
    proto = head.headers.get("x-forwarded-proto", "").split(",")[-1].strip().lower()
    return proto == "https"


def upgrade_response(head: RequestHead) -> bytes:
    """The 101 answer to a valid WebSocket upgrade; HttpError if it is not one."""
    if head.method != "GET":
        raise HttpError(405, "a WebSocket upgrade is a GET request")
    connection = {t.strip().lower() for t in head.headers.get("connection", "").split(",")}
    key = head.headers.get("sec-websocket-key", "")
    try:
        valid_key = len(base64.b64decode(key, validate=True)) == 16
    except (binascii.Error, ValueError):
        valid_key = False
    if head.headers.get("sec-websocket-version") != "13" or not valid_key:
        raise HttpError(426, "WebSocket version 13 required")
    if "upgrade" not in connection:
        raise HttpError(400, "an upgrade request needs Connection: Upgrade")
    accept = base64.b64encode(hashlib.sha1(key.encode() + _WEBSOCKET_GUID).digest()).decode()
    return (
        "HTTP/1.1 101 Switching Protocols\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
    ).encode("latin-1")
