"""Fetches made on a user's behalf (studio/outbound.py, issue 14 finding 2: SSRF), against real servers on
loopback: refused in every spelling unless allowed, after redirects too, on every resolved address, within
a size limit and one overall deadline, and always with the same text when refused or failed."""

from __future__ import annotations

import http.server
import ipaddress
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from studio import outbound

Route = Callable[[http.server.BaseHTTPRequestHandler], None]


def answer(status: int, body: bytes = b"", **headers: str) -> Route:
    def route(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        for key, value in {"Content-Length": str(len(body)), **headers}.items():
            handler.send_header(key.replace("_", "-"), value)
        handler.end_headers()
        handler.wfile.write(body)

    return route


@dataclass
class LocalServer:
    """A real HTTP(S) server on a loopback address; it records every request it gets (path, Host header)."""

    address: str
    routes: dict[str, Route]
    tls: ssl.SSLContext | None = None
    requests: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append((self.path, self.headers.get("Host", "")))
                server.routes.get(self.path, answer(404, b"missing"))(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        family = socket.AF_INET6 if ":" in self.address else socket.AF_INET
        httpd_class = type("Server", (http.server.ThreadingHTTPServer,), {"address_family": family})
        self.httpd = httpd_class((self.address, 0), Handler)
        if self.tls is not None:
            self.httpd.socket = self.tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def serve() -> Iterator[Callable[..., LocalServer]]:
    started: list[LocalServer] = []

    def start(routes: dict[str, Route], address: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> LocalServer:
        started.append(LocalServer(address, routes, tls))
        return started[-1]

    yield start
    for server in started:
        server.close()


def refused(url: str, **kwargs: Any) -> str:
    with pytest.raises(outbound.FetchError) as caught:
        outbound.fetch(url, max_bytes=2**20, **kwargs)
    return str(caught.value)


def one_text(url: str) -> str:
    return f"Could not fetch {url}: the address is not allowed, or the server did not answer."


CSV = b"a,b\n1,x\n"


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


# --- Loopback in every spelling ---------------------------------------------------------------------

ANY = "0.0.0.0"  # noqa: S104  (a host in URLs under test: connecting to it reaches this machine)
SPELLINGS = ["127.0.0.1", "localhost", ANY, "2130706433", "0x7f.1", "017700000001", "127.1",
             "[::ffff:127.0.0.1]"]


@pytest.mark.parametrize("host", [*SPELLINGS, "[::1]"])
def test_loopback_in_every_spelling_is_refused_with_the_one_text_unless_allowed(host, serve, settings):
    if host == "[::1]" and not ipv6_loopback():
        pytest.skip("this machine has no IPv6 loopback")
    server = serve({"/data.csv": answer(200, CSV)}, address="::1" if host == "[::1]" else "127.0.0.1")
    url = f"http://{host}:{server.port}/data.csv"

    assert refused(url) == one_text(url)
    assert server.requests == []

    # The same URL does reach the live server once loopback is allowed: the refusal was the guard's.
    settings.ATELIER_OUTBOUND_ALLOWED_HOSTS = ["127.0.0.0/8", "::1", ANY]
    assert outbound.fetch(url, max_bytes=2**20) == CSV
    assert len(server.requests) == 1


def test_a_closed_port_an_unknown_host_and_a_refused_address_read_the_same(settings):
    settings.ATELIER_OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{unused.getsockname()[1]}/"  # bound, not listening: connection refused
    for url in (closed, "http://no-such-host.invalid/", "http://169.254.169.254/latest/meta-data/",
                "http://10.0.0.1:6379/", "http://[fd00::1]:9000/"):
        assert refused(url) == one_text(url)


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", ANY,
    "224.0.0.251", "240.0.0.1", "255.255.255.255", "192.0.2.1", "198.18.0.1", "::1", "::", "fe80::1",
    "fc00::1", "fd12:3456::1", "fec0::1", "ff02::1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
    "::127.0.0.1", "2002:7f00:1::1", "2002:a9fe:a9fe::1", "64:ff9b::a9fe:a9fe", "2001:db8::1",
    "2001:0:4136:e378:8000:63bf:80ff:fffe"])
def test_addresses_that_are_not_public_are_not_allowed(address):
    assert not outbound.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.215.14", "2606:4700:4700::1111", "::ffff:8.8.8.8",
                                     "2002:808:808::1"])
def test_public_addresses_are_allowed(address):
    assert outbound.is_public(ipaddress.ip_address(address))


# --- Every resolved address, the address vetted is the one connected to ------------------------------


def test_a_host_is_refused_if_any_of_its_addresses_is_not_allowed(serve, monkeypatch):
    server = serve({"/": answer(200, CSV)})
    monkeypatch.setattr(outbound, "resolve", lambda host, port: [
        (socket.AF_INET, ("93.184.215.14", port)), (socket.AF_INET, ("127.0.0.1", port))])
    url = f"http://two-faced.example:{server.port}/"
    assert refused(url) == one_text(url)
    assert server.requests == []


def test_the_vetted_address_is_the_one_connected_to_and_the_host_name_is_kept(serve, settings, monkeypatch):
    """One lookup per host: a resolver that would answer differently the second time (DNS rebinding) is
    never asked again; the request still names the host the user gave."""
    server = serve({"/data.csv": answer(200, CSV)})
    lookups: list[str] = []

    def resolve(host: str, port: int) -> list[outbound.SocketAddress]:
        lookups.append(host)
        address = "127.0.0.1" if len(lookups) == 1 else "10.0.0.1"
        return [(socket.AF_INET, (address, port))]

    monkeypatch.setattr(outbound, "resolve", resolve)
    settings.ATELIER_OUTBOUND_ALLOWED_HOSTS = ["intranet.example"]
    assert outbound.fetch(f"http://intranet.example:{server.port}/data.csv", max_bytes=2**20) == CSV
    assert lookups == ["intranet.example"]
    assert server.requests == [("/data.csv", f"intranet.example:{server.port}")]


def test_spaces_and_accents_in_the_path_are_sent_percent_encoded(serve, settings):
    server = serve({"/my%20data/caf%C3%A9.csv?v=1%202": answer(200, CSV)})
    settings.ATELIER_OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    assert outbound.fetch(f"http://127.0.0.1:{server.port}/my data/café.csv?v=1 2", max_bytes=2**20) == CSV


# --- Redirects ---------------------------------------------------------------------------------------


def test_a_redirect_to_an_address_that_is_not_allowed_is_refused(serve, settings):
    server = serve({})
    server.routes.update({
        "/to-loopback": answer(302, Location=f"http://127.0.0.1:{server.port}/data.csv"),
        "/to-metadata": answer(307, Location="http://169.254.169.254/latest/meta-data/"),
        "/to-name": answer(301, Location="/data.csv"),
        "/data.csv": answer(200, CSV),
        "/loop": answer(302, Location="/loop"),
    })
    settings.ATELIER_OUTBOUND_ALLOWED_HOSTS = ["localhost"]  # the name only: not the address it resolves to
    base = f"http://localhost:{server.port}"

    assert outbound.fetch(f"{base}/to-name", max_bytes=2**20) == CSV
    for path in ("/to-loopback", "/to-metadata"):
        assert refused(f"{base}{path}") == one_text(f"{base}{path}")
    assert [path for path, _ in server.requests] == ["/to-name", "/data.csv", "/to-loopback", "/to-metadata"]

    assert refused(f"{base}/loop") == f"Could not fetch {base}/loop: it redirected more than 5 times."
    assert len(server.requests) == 4 + 6


# --- Limits: size and one overall deadline ------------------------------------------------------------


def drip(handler: http.server.BaseHTTPRequestHandler, headers_first: bool) -> None:
    """A byte every 0.2 s, for minutes: each read is quick, only the total is slow."""
    if headers_first:
        handler.send_response(200)
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        handler.wfile.flush()
    text = b"x" * 1000 if headers_first else b"HTTP/1.0 200 OK\r\nX-Slow: " + b"y" * 1000
    try:
        for byte in text:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(0.2)
    except OSError:  # the client hung up: the point of the test
        pass


@pytest.mark.parametrize("where", ["body", "headers"])
def test_a_server_that_drips_is_cut_off_by_the_overall_deadline(where, serve, settings):
    server = serve({"/slow": lambda handler: drip(handler, headers_first=where == "body")})
    settings.ATELIER_OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.ATELIER_OUTBOUND_TIMEOUT_SECONDS = 2
    url = f"http://127.0.0.1:{server.port}/slow"
    began = time.monotonic()
    assert refused(url) == one_text(url)
    assert time.monotonic() - began < 30  # the drip would take 200 s; per-read timeouts never fire


def test_a_body_over_the_limit_is_refused_whether_declared_or_not(serve, settings):
    def unsized(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.end_headers()
        handler.wfile.write(b"z" * 5000)

    server = serve({"/declared": answer(200, b"z" * 5000), "/unsized": unsized})
    settings.ATELIER_OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    for path in ("/declared", "/unsized"):
        url = f"http://127.0.0.1:{server.port}{path}"
        with pytest.raises(outbound.FetchError, match="is larger than 4000 bytes"):
            outbound.fetch(url, max_bytes=4000)
        assert outbound.fetch(url, max_bytes=5000) == b"z" * 5000


# --- HTTPS: the certificate and SNI name the host, the connection goes to the vetted address -----------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key),
                    "-out", str(cert)], check=True, capture_output=True, timeout=60)
    return cert, key


def test_https_checks_the_certificate_against_the_host_name(serve, settings, certificate):
    cert, key = certificate
    names: list[str | None] = []
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert, key)
    server_side.sni_callback = lambda sock, name, context: names.append(name)  # type: ignore[assignment,func-returns-value]
    server = serve({"/data.csv": answer(200, CSV)}, tls=server_side)
    trusting = ssl.create_default_context(cafile=str(cert))
    settings.ATELIER_OUTBOUND_ALLOWED_HOSTS = ["127.0.0.0/8"]

    assert outbound.fetch(f"https://localhost:{server.port}/data.csv", max_bytes=2**20, tls=trusting) == CSV
    assert names == ["localhost"] and server.requests == [("/data.csv", f"localhost:{server.port}")]
    by_address = f"https://127.0.0.1:{server.port}/data.csv"  # the certificate is not for the address
    assert refused(by_address, tls=trusting) == one_text(by_address)
    untrusted = f"https://localhost:{server.port}/data.csv"  # the default store doesn't know this certificate
    assert refused(untrusted) == one_text(untrusted)
    assert len(server.requests) == 1


# --- The allow-list setting ---------------------------------------------------------------------------


def test_the_allow_list_takes_names_and_ranges_and_refuses_anything_else(settings):
    settings.ATELIER_OUTBOUND_ALLOWED_HOSTS = ["MinIO.internal", "10.0.0.0/8", "[fd00::1]", "192.168.1.7"]
    names, networks = outbound.allowed_hosts()
    assert names == {"minio.internal"}
    assert [str(network) for network in networks] == ["10.0.0.0/8", "fd00::1/128", "192.168.1.7/32"]
    assert outbound.permitted("minio.internal", ipaddress.ip_address("172.20.0.5"))
    assert outbound.permitted("anything", ipaddress.ip_address("10.9.9.9"))
    assert not outbound.permitted("anything", ipaddress.ip_address("172.20.0.5"))
    settings.ATELIER_OUTBOUND_ALLOWED_HOSTS = ["10.0.0.0/33"]
    with pytest.raises(ImproperlyConfigured, match=r"ATELIER_OUTBOUND_ALLOWED_HOSTS: '10.0.0.0/33' is neither"):
        outbound.allowed_hosts()


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x.csv", "gopher://127.0.0.1:6379/_",
                                 "data.csv", "http:///nohost"])
def test_only_http_and_https_urls_are_fetched(url):
    assert refused(url) == f"Only http:// or https:// URLs can be fetched; got '{url}'"
