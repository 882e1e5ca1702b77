"""Who may watch the browser preview: anyone on loopback, only holders of the token elsewhere.

``-o http://0.0.0.0:8080`` used to serve the camera to the whole network with no access control.
Bound to any address other than loopback, the preview now requires a token (``?token=`` in the
URI or ``--preview-token``; generated when neither is given, printed once in the ``preview:``
line) on the page, ``/stream`` and ``/status``, and a warning line names the address and how to
protect it. The token travels in the URL (``?token=``, what a browser's ``<img>`` can send) or as
``Authorization: Bearer TOKEN``; it is compared in constant time. Loopback stays open unless a
token is given.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
import secrets
from urllib.parse import parse_qs, urlparse

from edgestyle.errors import EdgestyleError

TOKEN_RULE = re.compile(r"[A-Za-z0-9._~-]{12,128}")  # URL-safe as is: no escaping in links or the page
TOKEN_HELP = "12 to 128 characters of A-Z a-z 0-9 . _ ~ -"


def check_token(token: str, where: str) -> str:
    """``token`` if it may be used as is in a URL and a page, else one error naming ``where`` it came from."""
    if not TOKEN_RULE.fullmatch(token):
        raise EdgestyleError(f"bad preview token in {where}: use {TOKEN_HELP} (or leave it out to get one)")
    return token


def new_token() -> str:
    """128 random bits, URL-safe (22 characters)."""
    return secrets.token_urlsafe(16)


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8 and ::1 (the address the server is bound to, so always numeric)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


def token_for(host: str, given: str | None) -> str | None:
    """The token the preview on ``host`` requires: the given one, a new one off loopback, else none."""
    if given is not None:
        return given
    return None if is_loopback(host) else new_token()


def presented_token(path: str, authorization: str | None) -> str:
    """The token a request carries: ``?token=`` in its path, else an ``Authorization: Bearer`` header."""
    values = parse_qs(urlparse(path).query).get("token")
    if values:
        return values[0]
    kind, _, value = (authorization or "").partition(" ")
    return value.strip() if kind.lower() == "bearer" else ""


def token_matches(presented: str, token: str) -> bool:
    """Constant-time comparison, so the time a wrong guess takes says nothing about the right one."""
    return hmac.compare_digest(presented.encode("utf-8", "replace"), token.encode("utf-8"))


def open_network_warning(host: str, port: int) -> str:
    """The one line said when the preview listens beyond this machine."""
    where = f"[{host}]" if ":" in host else host
    return (
        f"warning: the preview on {where}:{port} is reachable from the network: anyone with the token sees "
        "the camera, and page, token and pictures travel unencrypted over plain HTTP; to keep it on this "
        f"machine serve -o http://127.0.0.1:{port} and watch through an SSH tunnel (ssh -L {port}:127.0.0.1:{port} "
        "THIS-BOARD), or use it only on a network you trust"
    )


def redact(uri: str) -> str:
    """``uri`` with any ``token=`` value hidden, for lines that are not the one meant to show it."""
    return re.sub(r"(?<=[?&]token=)[^&#]*", "…", uri)
