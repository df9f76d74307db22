"""Who may talk to the service: the Host a request names, and the origin of cookie writes.

- DNS rebinding: a page of `rebind.attacker.example` whose name now resolves to this server sends
  `Host: rebind.attacker.example`. Only the names the service is known by are answered
  (`ALLOWED_HOSTS`); IP addresses are always answered, since rebinding needs a name.
- Cross-origin writes: a page of another origin of the same site (another port of this host)
  gets the login cookie sent along (SameSite=Lax does not stop same-site requests). Unsafe
  requests that carry the cookie, and no other credential, must come from the app's own
  origin: `Origin`, or `Sec-Fetch-Site: same-origin | none` without it. Bearer tokens are not
  sent by browsers on their own, so requests with one are not checked.
- Cross-origin WebSocket reads: every WebSocket handshake that carries the cookie must come
  from the app's own origin, whatever other credential it names (a page can add any
  `token=` parameter to a URL, an empty one included). Handshakes without the cookie are
  not checked; the socket route takes a `token` parameter, when there is one, as the only
  credential (`live.router.socket_token`), never the cookie instead.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_WILDCARD_ADDRESSES = frozenset({"", "0.0.0.0", "::"})  # noqa: S104 (names, not a bind)
LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")


def host_name(host: str) -> str:
    """The name of a Host header without port, brackets or final dot, in lower case."""
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:8000
        end = host.find("]")
        host = host[1:end] if end > 0 else host
    elif host.count(":") == 1:
        host = host.partition(":")[0]
    return host.rstrip(".")


def is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class AllowedHosts:
    names: frozenset[str]
    any_host: bool = False

    @classmethod
    def build(cls, configured: Iterable[str], *, bind_host: str) -> AllowedHosts:
        """`configured` (ALLOWED_HOSTS), or when empty the host `serve` binds to and the names
        of this machine's loopback."""
        names = [host_name(n) for n in configured]
        if "*" in names:
            return cls(frozenset(), any_host=True)
        if not names:
            names = [host_name(n) for n in (bind_host, *LOCAL_NAMES)]
        return cls(frozenset(n for n in names if n not in _WILDCARD_ADDRESSES))

    def allows(self, host: str | None) -> bool:
        if self.any_host or host is None:  # no Host at all: HTTP/1.0, not a browser
            return True
        name = host_name(host)
        return name in self.names or is_ip(name)


Origin = tuple[str, str, int]


def parse_origin(text: str) -> Origin | None:
    try:
        parts = urlsplit(text.strip().lower())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname.rstrip("."), port or _DEFAULT_PORTS[parts.scheme]


def own_origin(scheme: str, host: str | None) -> Origin | None:
    """The origin a request was sent to: its scheme (ws → http) and its Host."""
    if host is None:
        return None
    scheme = {"ws": "http", "wss": "https"}.get(scheme, scheme)
    return parse_origin(f"{scheme}://{host}")


@dataclass(frozen=True, slots=True)
class OriginPolicy:
    """Checks that cookie-authenticated writes come from the app's own origin."""

    cookie_name: bytes
    trusted: frozenset[Origin] = frozenset()
    # Paths that never read the cookie (login, register): a stale cookie sent along does not
    # make them cookie-authenticated. Their JSON bodies still need a CORS preflight.
    cookie_free: frozenset[str] = frozenset()

    @classmethod
    def build(
        cls, cookie_name: str, trusted: Iterable[str] = (), cookie_free: Iterable[str] = ()
    ) -> OriginPolicy:
        origins = {parse_origin(o) for o in trusted}
        return cls(
            cookie_name.encode("latin-1"),
            frozenset(o for o in origins if o),
            frozenset(cookie_free),
        )

    def _has_cookie(self, headers: dict[bytes, bytes]) -> bool:
        cookie = headers.get(b"cookie")
        return cookie is not None and self.cookie_name + b"=" in cookie

    def _cookie_only(self, headers: dict[bytes, bytes]) -> bool:
        return b"authorization" not in headers and self._has_cookie(headers)

    def _same_origin(self, origin: bytes, scheme: str, host: bytes | None) -> bool:
        sent = parse_origin(origin.decode("latin-1"))
        if sent is None:  # "null" (sandboxed frames, file:) and anything unparsable
            return False
        return sent in self.trusted or sent == own_origin(
            scheme, host.decode("latin-1") if host is not None else None
        )

    def refusal(
        self,
        scope_type: str,
        method: str,
        scheme: str,
        headers: dict[bytes, bytes],
        path: str = "",
    ) -> str | None:
        """Why this request is refused, or None. `headers`: lower-case names, last value."""
        if scope_type == "websocket":
            if not self._has_cookie(headers):
                return None
            origin = headers.get(b"origin")
            # Browsers always send Origin with a WebSocket handshake; other clients need not.
            if origin is None or self._same_origin(origin, scheme, headers.get(b"host")):
                return None
            return "cross-origin WebSocket refused: the login cookie is for this site's pages"
        if (
            method not in UNSAFE_METHODS
            or path in self.cookie_free
            or not self._cookie_only(headers)
        ):
            return None
        origin = headers.get(b"origin")
        if origin is not None:
            if self._same_origin(origin, scheme, headers.get(b"host")):
                return None
        elif headers.get(b"sec-fetch-site") in (b"same-origin", b"none"):
            return None
        return (
            "cross-origin request refused: a request that changes data with the login cookie "
            "must come from this site's pages (scripts: use Authorization: Bearer)"
        )
