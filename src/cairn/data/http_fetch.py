"""Downloading `http(s)://` data inputs without becoming a way into the local network.

Owns: one guarded download — the host name is resolved and *every* address checked; loopback,
private, link-local, shared, multicast, reserved and unspecified addresses (and IPv4-mapped forms
of them) are refused unless the caller explicitly allows them; the connection then goes to the
checked address itself (so a second DNS answer cannot swap in another host), with TLS still
verified against the host name; redirects are followed by the same rules; the body is capped in
size, hashed while it streams, and written to a temporary file renamed into place at the end.
Must not: use proxies from the environment (they would bypass the address check) or retry.

Hand-written on `http.client` because pinning the connection to a checked address is not something
`urllib` offers, and the package has no HTTP client dependency in this layer.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from blake3 import blake3

from cairn.data.hashing import format_hash
from cairn.errors import LimitExceeded, NotFound, PathNotAllowed, UsageError

if TYPE_CHECKING:
    from pathlib import Path

DEFAULT_MAX_BYTES = 10 * 1024**3
_REDIRECTS = (301, 302, 303, 307, 308)
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Fetched:
    path: Path
    size: int
    hash: str
    url: str  # the final URL, after redirects


def fetch_url(
    url: str,
    dest: Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    allow_private: bool = False,
    timeout: float = 30.0,
    max_redirects: int = 5,
    ssl_context: ssl.SSLContext | None = None,
) -> Fetched:
    """Download `url` to the file `dest`.

    Raises `PathNotAllowed` for a refused address or scheme, `LimitExceeded` past `max_bytes`,
    `NotFound` for HTTP 404/410 and `UsageError` for other failures.
    """
    current = url
    for _ in range(max_redirects + 1):
        response, conn = _request(current, allow_private, timeout, ssl_context)
        try:
            if response.status in _REDIRECTS and response.getheader("Location"):
                current = urljoin(current, response.getheader("Location", ""))
                continue
            _check_status(response, current)
            size, digest = _stream_to(response, dest, max_bytes, current)
            return Fetched(dest, size, digest, current)
        finally:
            conn.close()
    raise UsageError(f"too many redirects fetching {url}")


def _request(
    url: str, allow_private: bool, timeout: float, ssl_context: ssl.SSLContext | None
) -> tuple[http.client.HTTPResponse, http.client.HTTPConnection]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise PathNotAllowed(f"only http(s) URLs can be fetched, not {url!r}")
    port = parts.port or (443 if scheme == "https" else 80)
    address = checked_address(parts.hostname, port, allow_private=allow_private)
    conn: http.client.HTTPConnection
    if scheme == "https":
        context = ssl_context or ssl.create_default_context()
        conn = _PinnedHTTPSConnection(parts.hostname, port, address, context, timeout)
    else:
        conn = _PinnedHTTPConnection(parts.hostname, port, address, timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("GET", target, headers={"User-Agent": "cairn", "Accept-Encoding": "identity"})
        return conn.getresponse(), conn
    except (OSError, http.client.HTTPException) as exc:
        conn.close()
        raise UsageError(f"cannot fetch {url}: {exc}") from None


def checked_address(host: str, port: int, *, allow_private: bool = False) -> str:
    """Resolve `host` and return an address to connect to, refusing non-public ones."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise NotFound(f"cannot resolve host {host!r}: {exc.strerror}") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not allow_private:
        for address in addresses:
            reason = refused_reason(address)
            if reason:
                raise PathNotAllowed(
                    f"refusing to fetch from {host!r}: it resolves to {address}, {reason}",
                    hint="only public internet addresses are fetched unless explicitly allowed",
                )
    return addresses[0]


def refused_reason(address: str) -> str | None:
    """Why a download from `address` is refused by default, or None for a public address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for label, flag in (
        ("a loopback address", ip.is_loopback),
        ("a link-local address", ip.is_link_local),
        ("a multicast address", ip.is_multicast),
        ("an unspecified address", ip.is_unspecified),
        ("a reserved address", ip.is_reserved),
        ("a private address", ip.is_private),
    ):
        if flag:
            return label
    return None if ip.is_global else "not a public address"


def _check_status(response: http.client.HTTPResponse, url: str) -> None:
    if response.status == 200:
        return
    if response.status in (404, 410):
        raise NotFound(f"{url} answered HTTP {response.status}")
    raise UsageError(f"{url} answered HTTP {response.status} {response.reason}")


def _stream_to(
    response: http.client.HTTPResponse, dest: Path, max_bytes: int, url: str
) -> tuple[int, str]:
    declared = response.getheader("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise LimitExceeded(f"{url} is {declared} bytes, over the {max_bytes}-byte limit")
    dest.parent.mkdir(parents=True, exist_ok=True)
    temp = dest.with_name(f".{dest.name}.tmp-{uuid.uuid4().hex}")
    hasher, size = blake3(), 0
    try:
        with temp.open("xb") as writer:
            while chunk := response.read(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise LimitExceeded(f"{url} is over the {max_bytes}-byte limit")
                hasher.update(chunk)
                writer.write(chunk)
        temp.replace(dest)
    except (OSError, http.client.HTTPException) as exc:
        raise UsageError(f"download of {url} failed: {exc}") from None
    finally:
        temp.unlink(missing_ok=True)
    return size, format_hash(hasher.digest())


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to a checked address while sending the URL's host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPConnection):
    """As `_PinnedHTTPConnection`, with TLS verified against the URL's host name."""

    default_port = 443

    def __init__(
        self, host: str, port: int, address: str, context: ssl.SSLContext, timeout: float
    ) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address
        self._context = context

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)
