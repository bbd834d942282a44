"""What every response and every Socket.IO handshake must carry or pass, whoever asks."""

from __future__ import annotations

import logging
import sys
from urllib.parse import urlsplit

from flask import Response

log = logging.getLogger(__name__)

# No inline script or style anywhere: the pages load their modules and sheets from /static.
# Scripts may still set element.style properties (CSSOM), which style-src does not govern.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'self'",
))

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # a key in a URL fragment never leaks, but be sure
    "X-Frame-Options": "SAMEORIGIN",  # frame-ancestors for browsers that predate it
}


def add_security_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def allowed_origins(public_url: str):
    """Socket.IO's origin check: the page must come from this server, as the browser reached
    it (its Host header, or a proxy's X-Forwarded-Host) or as `--public-url` names it.
    Never '*': a page on another site must not drive a phone's session."""
    public = origin_of(public_url)

    def allowed(origin: str | None, environ: dict) -> bool:
        if not origin:
            # No Origin: not a cross-site browser request (browsers send one with every websocket
            # and cross-origin request; a same-origin polling GET may omit it). Engine.IO refuses
            # only a present, unaccepted Origin, so this grants no CORS header and refuses nothing.
            return False
        origin = origin.lower().rstrip("/")
        own = set()
        scheme = environ.get("wsgi.url_scheme", "http")
        if "HTTP_HOST" in environ:
            own.add(f"{scheme}://{environ['HTTP_HOST']}".lower())
        if "HTTP_X_FORWARDED_HOST" in environ:
            forwarded_scheme = environ.get("HTTP_X_FORWARDED_PROTO", scheme).split(",")[0].strip()
            forwarded_host = environ["HTTP_X_FORWARDED_HOST"].split(",")[0].strip()
            own.add(f"{forwarded_scheme}://{forwarded_host}".lower())
        return origin == public or origin in own

    return allowed


def without_tracebacks(wsgi_app):
    """The outermost WSGI layer: an error outside Flask's own handling (Flask answers its own
    with a bare 500) is logged here and answered with a bare 500 too, never with the traceback
    eventlet's server would otherwise send to the client."""

    def app(environ, start_response):
        try:
            return wsgi_app(environ, start_response)
        except (ConnectionError, StopIteration):
            raise  # how the threading server's websocket ends a finished connection: not an error
        except Exception:
            log.exception("request failed: %s %s", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"))
            start_response("500 Internal Server Error", [("Content-Type", "text/plain; charset=utf-8")],
                           sys.exc_info())
            return [b"Internal server error\n"]

    return app
