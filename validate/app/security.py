"""What keeps the app safe on a researcher's machine.

- :class:`Guard`, an ASGI middleware: the ``Host`` header must name the loopback
  address when the app listens only there (a web page cannot reach the app
  through a DNS name it controls); with ``--host`` every request needs the
  access token (``Authorization: Bearer``, or ``?token=`` once, which sets a
  cookie); a request whose ``Origin`` is another site is refused before it
  does anything; a body larger than the upload limit is refused (413) before
  it is read; every response carries headers that stop framing by other
  sites, MIME sniffing and inline scripts.
- :func:`safe_name` turns an uploaded file name into one that is safe to keep.
- :func:`inside` resolves a requested name under a folder, or gives None for
  anything outside it (``..``, absolute paths, encoded separators, links).
- CSRF: every form carries the token of the ``vcc_csrf`` cookie
  (double-submit); :func:`csrf_ok` checks it.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

__all__ = ["Guard", "safe_name", "inside", "csrf_ok", "CSRF_COOKIE", "TOKEN_COOKIE", "unique_name"]

CSRF_COOKIE = "vcc_csrf"
TOKEN_COOKIE = "vcc_token"
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "frame-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'none'; object-src 'none'"
)
#: Output files (the report) are shown in a sandbox: no scripts, no forms, nothing loaded from elsewhere.
FILE_CSP = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'"


def safe_name(name: str, default: str = "upload") -> str:
    """A file name safe to store: the last path part, letters (any script), digits, ``. _ - ( )``.

    >>> safe_name("../../etc/passwd")
    'passwd'
    >>> safe_name("C:\\\\Users\\\\me\\\\问卷 结果.xlsx")
    '问卷_结果.xlsx'
    >>> safe_name("..")
    'upload'
    """
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"[^\w.()-]+", "_", name, flags=re.UNICODE)
    name = name.lstrip("._-")
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:110] + dot + ext[:9]) if dot and len(ext) <= 9 else name[:120]
    return name or default


def unique_name(name: str, taken: set[str]) -> str:
    """``name``, or ``stem_2.ext``, ``stem_3.ext``, ... when it is taken (case-insensitively)."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    cand, i = name, 1
    while cand.casefold() in {t.casefold() for t in taken}:
        i += 1
        cand = f"{stem}_{i}{dot}{ext}"
    taken.add(cand)
    return cand


def inside(base: Path, name: str) -> Path | None:
    """The file ``name`` under ``base``, or None if it is not a plain file inside ``base``.

    Refuses empty names, NUL, backslashes, absolute paths, ``..`` parts and
    anything whose resolved path (links followed) leaves ``base``.
    """
    if not name or "\x00" in name or "\\" in name or name.startswith(("/", "~")) or re.match(r"^[A-Za-z]:", name):
        return None
    parts = name.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return None
    root = base.resolve()
    try:
        target = (root / name).resolve()
        target.relative_to(root)
    except (ValueError, OSError):
        return None
    return target if target.is_file() else None


def csrf_ok(cookie: str | None, sent: str | None) -> bool:
    return bool(cookie) and bool(sent) and secrets.compare_digest(str(cookie), str(sent))


class Guard:
    """ASGI middleware: host, token, origin, size limit and security headers (see the module docstring)."""

    def __init__(self, app, *, token: str | None, loopback_only: bool, max_upload: int):
        self.app = app
        self.token = token
        self.loopback_only = loopback_only
        self.max_upload = max_upload

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        path = scope.get("path", "")
        method = scope.get("method", "GET")
        host = headers.get("host", "")
        hostname = urlsplit("//" + host).hostname or ""
        if self.loopback_only and hostname not in _LOOPBACK and hostname.strip("[]") not in _LOOPBACK:
            return await _plain(send, 421, f"this app answers only on 127.0.0.1 (Host was {host!r})")
        if method not in ("GET", "HEAD", "OPTIONS"):
            origin = headers.get("origin")
            if origin and origin != "null" and urlsplit(origin).netloc != host:
                return await _plain(send, 403, "a request from another site was refused")
            if origin == "null":
                return await _plain(send, 403, "a request from a page without an origin was refused")
        set_token_cookie = False
        if self.token and path != "/api/health":
            sent = None
            auth = headers.get("authorization", "")
            if auth.lower().startswith("bearer "):
                sent = auth[7:].strip()
            cookies = _cookies(headers.get("cookie", ""))
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            if not sent and "token" in query:
                sent = query["token"][0]
                set_token_cookie = True
            if not sent:
                sent = cookies.get(TOKEN_COOKIE)
            if not sent or not secrets.compare_digest(sent, self.token):
                return await _plain(
                    send,
                    401,
                    "this app needs its access token: open the address "
                    "vcc app printed (it ends in ?token=...), or send "
                    "'Authorization: Bearer TOKEN'",
                )
        if method in ("POST", "PUT", "PATCH"):
            length = headers.get("content-length")
            if length is None and headers.get("transfer-encoding"):
                return await _plain(send, 411, "send the upload with a Content-Length")
            if length is not None:
                try:
                    n = int(length)
                except ValueError:
                    return await _plain(send, 400, "Content-Length is not a number")
                if n > self.max_upload:
                    mb = self.max_upload / 1e6
                    return await _plain(
                        send, 413, f"the upload is {n / 1e6:.1f} MB; the limit is {mb:g} MB (vcc app --max-upload-mb)"
                    )
        is_file = "/files/" in path

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                h = list(message.get("headers", []))
                names = {k.lower() for k, _ in h}
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"x-frame-options", b"SAMEORIGIN"),
                ]
                if b"content-security-policy" not in names:
                    extra.append((b"content-security-policy", (FILE_CSP if is_file else PAGE_CSP).encode()))
                extra = [e for e in extra if e[0] not in names]
                if set_token_cookie:
                    extra.append(
                        (b"set-cookie", f"{TOKEN_COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict".encode())
                    )
                message = {**message, "headers": h + extra}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _cookies(raw: str) -> dict:
    out = {}
    for part in raw.split(";"):
        k, sep, v = part.strip().partition("=")
        if sep:
            out[k] = v
    return out


async def _plain(send, status: int, text: str) -> None:
    body = (text + "\n").encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"x-content-type-options", b"nosniff"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def new_token() -> str:
    return secrets.token_urlsafe(24)


def is_relative_url(url: str) -> bool:
    """A same-site path for a redirect (``/data``), never ``//evil`` or ``http://...``."""
    return bool(url) and url.startswith("/") and not url.startswith("//") and "\\" not in url
