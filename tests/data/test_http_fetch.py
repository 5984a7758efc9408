"""http(s) downloads: size caps, redirects, and refusal of local-network addresses.

The servers here listen on 127.0.0.1 only; the tests that fetch from them pass the explicit
allow flag, and the refusal tests show that without it no request reaches them.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from blake3 import blake3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from cairn.data.http_fetch import checked_address, fetch_url, refused_reason
from cairn.errors import LimitExceeded, NotFound, PathNotAllowed

BODY = bytes(range(256)) * 1000


class Handler(BaseHTTPRequestHandler):
    requests: list[str]

    def do_GET(self) -> None:
        self.requests.append(self.path)
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", "/data.bin")
            self.end_headers()
        elif self.path == "/data.bin":
            self._send(BODY)
        elif self.path == "/chunked":
            self.send_response(200)
            self.end_headers()  # no Content-Length: the body ends when the connection closes
            self.wfile.write(BODY)
            self.close_connection = True
        else:
            self.send_error(404)

    def _send(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    requests: list[str] = []
    handler = type("H", (Handler,), {"requests": requests, "protocol_version": "HTTP/1.0"})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", requests
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_fetch_with_allow_flag(server: tuple[str, list[str]], tmp_path: Path) -> None:
    base, requests = server
    got = fetch_url(f"{base}/data.bin", tmp_path / "d" / "data.bin", allow_private=True)
    assert (tmp_path / "d" / "data.bin").read_bytes() == BODY
    assert got.size == len(BODY)
    assert got.hash == "blake3:" + blake3(BODY).hexdigest()
    assert requests == ["/data.bin"]
    assert [p.name for p in (tmp_path / "d").iterdir()] == ["data.bin"]


def test_redirect_followed(server: tuple[str, list[str]], tmp_path: Path) -> None:
    base, requests = server
    got = fetch_url(f"{base}/redirect", tmp_path / "x", allow_private=True)
    assert got.url == f"{base}/data.bin" and requests == ["/redirect", "/data.bin"]


def test_loopback_refused_without_flag(server: tuple[str, list[str]], tmp_path: Path) -> None:
    base, requests = server
    port = base.rsplit(":", 1)[1]
    for url in (f"{base}/data.bin", f"http://localhost:{port}/data.bin"):
        with pytest.raises(PathNotAllowed, match="loopback"):
            fetch_url(url, tmp_path / "x")
    assert requests == []
    assert not (tmp_path / "x").exists()


def test_size_cap(server: tuple[str, list[str]], tmp_path: Path) -> None:
    base, _ = server
    with pytest.raises(LimitExceeded):
        fetch_url(f"{base}/data.bin", tmp_path / "x", allow_private=True, max_bytes=1000)
    with pytest.raises(LimitExceeded):
        fetch_url(f"{base}/chunked", tmp_path / "y", allow_private=True, max_bytes=1000)
    assert list(tmp_path.iterdir()) == []
    got = fetch_url(f"{base}/chunked", tmp_path / "z", allow_private=True)
    assert got.size == len(BODY)


def test_http_errors(server: tuple[str, list[str]], tmp_path: Path) -> None:
    base, _ = server
    with pytest.raises(NotFound):
        fetch_url(f"{base}/missing", tmp_path / "x", allow_private=True)
    with pytest.raises(PathNotAllowed, match="only http"):
        fetch_url("ftp://example.org/x", tmp_path / "x")


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.1", "private"),
        ("172.16.5.4", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("fd00::1", "private"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("100.64.0.1", "public"),
        ("240.0.0.1", "reserved"),
    ],
)
def test_refused_addresses(address: str, reason: str) -> None:
    found = refused_reason(address)
    assert found is not None and reason in found


def test_public_addresses_pass() -> None:
    assert refused_reason("93.184.216.34") is None
    assert refused_reason("2606:4700:4700::1111") is None


def test_literal_private_hosts_refused_before_connecting(tmp_path: Path) -> None:
    for url in ("http://10.0.0.1/x", "http://[::1]:1/x", "http://169.254.169.254/latest/"):
        with pytest.raises(PathNotAllowed):
            fetch_url(url, tmp_path / "x", timeout=0.01)
    with pytest.raises(PathNotAllowed):
        checked_address("localhost", 80)
    assert checked_address("localhost", 80, allow_private=True) in ("127.0.0.1", "::1")


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_https_pinned_to_checked_address_verifies_host_name(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    requests: list[str] = []
    handler = type("H", (Handler,), {"requests": requests, "protocol_version": "HTTP/1.0"})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    httpd.socket = server_context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        client_context = ssl.create_default_context(cafile=str(cert))
        url = f"https://localhost:{httpd.server_address[1]}/data.bin"
        got = fetch_url(url, tmp_path / "out", allow_private=True, ssl_context=client_context)
        assert got.size == len(BODY) and requests == ["/data.bin"]
        with pytest.raises(PathNotAllowed):
            fetch_url(url, tmp_path / "refused", ssl_context=client_context)
        assert requests == ["/data.bin"]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
