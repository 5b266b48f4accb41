"""Fetching a URL a user typed, without letting it reach what only the studio can reach (an SSRF guard).

Import Data reads web URLs on the workers (and in the web process when a service scores). A URL could name
loopback, the private network, the cloud metadata address (169.254.169.254) or the deployment's own
services (Redis, MinIO), so `fetch`:

- resolves the host and refuses it unless EVERY address it resolves to is public: not loopback, private,
  link-local, multicast, reserved, unspecified, shared (100.64/10), nor an IPv6 form that carries such an
  IPv4 address (mapped, compatible, 6to4, Teredo, NAT64) — unless the host name or the address is in
  `ATELIER_OUTBOUND_ALLOWED_HOSTS`;
- connects to the address it vetted (no second lookup for DNS rebinding to change), while the Host header,
  TLS SNI and the certificate check use the host name;
- follows redirects itself, at most MAX_REDIRECTS, vetting each new host the same way;
- stops past `max_bytes` while streaming, and at one overall deadline (`ATELIER_OUTBOUND_TIMEOUT_SECONDS`,
  across lookups, connections, redirects and the body: every socket wait is cut to the time left);
- answers every refused or failed connection with one text, so errors can't tell a closed port from a
  refused address (the reason goes to the log, for the operator).

Proxy settings in the environment are not used: a proxy would resolve the host itself, after our check.
"""

from __future__ import annotations

import http.client
import io
import ipaddress
import logging
import re
import socket
import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)
MAX_REDIRECTS = 5
CHUNK_BYTES = 2**20
REDIRECTS = {301, 302, 303, 307, 308}
URL_SAFE = "/%:@!$&'()*+,;=?~"  # kept as they are in a path or query; spaces and non-ASCII are percent-encoded
HOST_NAME = re.compile(r"^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*\.?$")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
SocketAddress = tuple[socket.AddressFamily, Any]  # (family, sockaddr) as getaddrinfo gives them
# IPv6 prefixes that carry an IPv4 address in their last 32 bits (NAT64, well-known and local-use).
NAT64 = [ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48")]
SHARED = ipaddress.IPv4Network("100.64.0.0/10")


class FetchError(Exception):
    """The URL could not be fetched; the message is for the user and names the URL they gave."""


class Unreachable(Exception):
    """Refused or failed before a vetted server answered; `fetch` turns every one into the same FetchError."""


def unreachable_message(url: str) -> str:
    return f"Could not fetch {url}: the address is not allowed, or the server did not answer."


def fetch(url: str, *, max_bytes: int, tls: ssl.SSLContext | None = None) -> bytes:
    """The body at an http(s) URL, following at most MAX_REDIRECTS redirects, each host vetted before it is
    reached. `tls` replaces the default certificate store (tests; internal sources with their own CA)."""
    deadline = time.monotonic() + settings.ATELIER_OUTBOUND_TIMEOUT_SECONDS
    tls = tls or ssl.create_default_context()
    current = url.strip()
    try:
        for _ in range(MAX_REDIRECTS + 1):
            location = _get(current, url, deadline, max_bytes, tls)
            if isinstance(location, bytes):
                return location
            current = location
    except (Unreachable, OSError, http.client.HTTPException) as error:
        # The reason is for the operator only (the URL is left out: its query may hold a token).
        logger.info("A fetch from %s was refused or failed: %s: %s", urlsplit(current).hostname,
                    type(error).__name__, error)
        raise FetchError(unreachable_message(url)) from None
    raise FetchError(f"Could not fetch {url}: it redirected more than {MAX_REDIRECTS} times.")


@dataclass(frozen=True)
class Target:
    tls: bool
    host: str
    port: int
    path: str  # path and query, as sent in the request line


def parse(url: str) -> Target:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"Only http:// or https:// URLs can be fetched; got '{url}'")
    try:
        port = parts.port if parts.port is not None else 443 if parts.scheme == "https" else 80
    except ValueError:
        raise FetchError(f"'{url}' has a port that is not a number from 0 to 65535") from None
    path = quote(parts.path or "/", safe=URL_SAFE) + (f"?{quote(parts.query, safe=URL_SAFE)}" if parts.query else "")
    return Target(parts.scheme == "https", parts.hostname, port, path)


def _get(url: str, given: str, deadline: float, max_bytes: int, tls: ssl.SSLContext) -> bytes | str:
    """One request: the body, or the URL a redirect points to."""
    target = parse(url)
    connection = PinnedConnection(target, vetted_addresses(target.host, target.port), deadline, tls)
    try:
        connection.request("GET", target.path, headers={"User-Agent": "Atelier Import Data",
                                                        "Accept-Encoding": "identity"})
        response = connection.getresponse()
        if response.status in REDIRECTS and response.getheader("Location"):
            return redirect_target(url, response.getheader("Location", ""))
        if not 200 <= response.status < 300:
            raise FetchError(f"Could not fetch {given}: the server answered {response.status} {response.reason}.")
        return read_body(response, given, max_bytes)
    finally:
        connection.close()


def redirect_target(url: str, location: str) -> str:
    target = urljoin(url, location.strip())
    if urlsplit(target).scheme not in ("http", "https"):
        raise FetchError(f"The server redirected to '{target}', which is not an http(s) URL")
    return target


def read_body(response: http.client.HTTPResponse, given: str, max_bytes: int) -> bytes:
    declared = response.getheader("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(too_large(given, max_bytes))
    chunks, size = [], 0
    while chunk := response.read(CHUNK_BYTES):
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(too_large(given, max_bytes))
    return b"".join(chunks)


def too_large(given: str, max_bytes: int) -> str:
    limit = f"{max_bytes // 2**20} MiB" if max_bytes >= 2**20 else f"{max_bytes} bytes"
    return f"{given} is larger than {limit}"


# --- Which addresses may be reached ----------------------------------------------------------------


def resolve(host: str, port: int) -> list[SocketAddress]:
    """Every address of a host (a literal address in any spelling the C library accepts resolves to itself)."""
    return [(family, sockaddr) for family, _, _, _, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def vetted_addresses(host: str, port: int) -> list[SocketAddress]:
    """The host's addresses if every one of them may be reached; Unreachable otherwise."""
    try:
        found = resolve(host, port)
    except (OSError, UnicodeError) as error:
        raise Unreachable(f"{host} does not resolve: {error}") from None
    refused = [sockaddr[0] for _, sockaddr in found if not permitted(host, address_of(sockaddr[0]))]
    if refused or not found:
        raise Unreachable(f"{host} resolves to an address that is not allowed: {', '.join(refused) or 'none'}")
    return found


def address_of(text: str) -> IPAddress:
    return ipaddress.ip_address(text.split("%", 1)[0])  # without an IPv6 scope ("fe80::1%eth0")


def permitted(host: str, address: IPAddress) -> bool:
    names, networks = allowed_hosts()
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:a.b.c.d is a.b.c.d, for the allow-list as for the rules
    return host.lower().rstrip(".") in names or any(address in network for network in networks) or is_public(address)


def is_public(address: IPAddress) -> bool:
    """Reachable by anyone on the internet: not an address of this machine, its networks or a special range."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public(address.ipv4_mapped)
        if address.is_site_local or not all(is_public(inner) for inner in embedded_ipv4(address)):
            return False
    elif address in SHARED:
        return False
    special = (address.is_private or address.is_loopback or address.is_link_local or address.is_multicast
               or address.is_reserved or address.is_unspecified)
    return address.is_global and not special


def embedded_ipv4(address: ipaddress.IPv6Address) -> Iterable[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries: IPv4-compatible (::a.b.c.d), 6to4, Teredo, NAT64."""
    if int(address) >> 32 == 0 and int(address) > 1:
        yield ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        yield address.sixtofour
    if address.teredo is not None:
        yield from address.teredo
    if any(address in network for network in NAT64):
        yield ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)


def allowed_hosts() -> tuple[set[str], list[Network]]:
    """ATELIER_OUTBOUND_ALLOWED_HOSTS: host names (matched exactly, case-insensitive) and address ranges."""
    names: set[str] = set()
    networks: list[Network] = []
    for entry in settings.ATELIER_OUTBOUND_ALLOWED_HOSTS:
        text = entry.strip().lower().strip("[]")
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            if "/" in text or ":" in text or not HOST_NAME.match(text):
                raise ImproperlyConfigured(f"ATELIER_OUTBOUND_ALLOWED_HOSTS: '{entry}' is neither a host name nor "
                                           "an address or address range (CIDR).") from None
            names.add(text.rstrip("."))
    return names, networks


# --- Connecting to the vetted address, within the deadline ------------------------------------------


def time_left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the overall time limit passed")
    return left


class PinnedConnection(http.client.HTTPConnection):
    """An HTTP(S) connection to addresses already vetted, for `target.host` (Host header, SNI, certificate)."""

    def __init__(self, target: Target, addresses: list[SocketAddress], deadline: float,
                 tls: ssl.SSLContext) -> None:
        super().__init__(target.host, target.port)
        self.default_port = 443 if target.tls else 80  # so the Host header leaves out the scheme's own port
        self.addresses, self.deadline, self.tls = addresses, deadline, tls if target.tls else None

    def connect(self) -> None:
        sock = self.open_socket()
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_hostname=self.host)
        self.sock = DeadlineSocket(sock, self.deadline)

    def open_socket(self) -> socket.socket:
        failure: OSError | None = None
        for family, sockaddr in self.addresses:
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                sock.settimeout(time_left(self.deadline))
                sock.connect(sockaddr)
                return sock
            except OSError as error:
                sock.close()
                failure = error
        raise failure or Unreachable("no address to connect to")


class DeadlineSocket:
    """The socket as http.client uses it (sendall, makefile, close), no wait outlasting the deadline."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock, self.deadline = sock, deadline

    def sendall(self, data: bytes) -> None:
        self.sock.settimeout(time_left(self.deadline))
        self.sock.sendall(data)

    def makefile(self, mode: str, *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(DeadlineReader(self.sock, self.deadline))

    def close(self) -> None:
        self.sock.close()


class DeadlineReader(io.RawIOBase):
    """Reads the socket, each read waiting at most the time left: status line, headers, chunks and body.
    Like a socket's own file, it keeps the socket open until it is closed (http.client closes the
    connection before the body of a closing response is read)."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        super().__init__()
        self.sock, self.deadline, self.stream = sock, deadline, sock.makefile("rb", buffering=0)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        self.sock.settimeout(time_left(self.deadline))
        return self.stream.readinto(buffer)

    def close(self) -> None:
        self.stream.close()
        super().close()
