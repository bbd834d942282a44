"""What every response and every Socket.IO handshake must carry or pass, whoever asks."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response

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

    def allowed(origin: str, environ: dict) -> bool:
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
