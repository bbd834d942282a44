"""The HTTP side: the three screens' pages, the QR code, and a health check."""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)

from ..engine.codec import UnsupportedSession
from ..i18n.web import choose as choose_language
from ..storage import organiser_key
from ..storage.tokens import normalise_code, same_secret, token_hash
from ..views.export import FORMATS, render, results
from ..views.qr import qr_svg
from .failures import target
from .hub import Hub
from .ratelimit import RateLimiter

pages = Blueprint("pages", __name__)
log = logging.getLogger(__name__)


def _hub() -> Hub:
    return current_app.extensions["gamehub"]


def _limiter() -> RateLimiter:
    return current_app.extensions["gamehub.ratelimit"]


def _attempt(code: str, kind: str):
    """A lookup of a room code or key, counted with the socket's against guessing, under the
    address and under (code, kind): charged before it, given back if it succeeds
    (docs/security.md)."""
    return _limiter().attempt(_limiter().address(request.environ), target(code, kind))


def _look_up(code: str, attempt):
    if attempt.spent:
        # Refused before the lookup, whatever the code: a refusal must not tell codes apart.
        abort(Response("Too many wrong room codes or keys from your network: wait a minute and try again.\n",
                       status=429, mimetype="text/plain", headers={"Retry-After": str(_limiter().failure_window)}))
    try:
        record = _hub().store.get(normalise_code(code))
    except UnsupportedSession as error:  # the server's log names it; the screen sees no such room
        log.warning("%s", error)
        record = None
    if record is None:
        attempt.failed()
        abort(Response(render_template("missing.html", code=normalise_code(code)), status=404))
    return record


def _record_or_404(code: str):
    with _attempt(code, "code") as attempt:  # the code alone, as a phone connecting without a token
        return _look_up(code, attempt)


@pages.get("/")
def home():
    """Anyone: type a room code."""
    code = request.args.get("code")
    if code:
        return redirect(url_for("pages.phone", code=normalise_code(code)))
    return render_template("home.html")


@pages.get("/j/<code>")
def phone(code: str):
    """Phones: the page the QR code opens."""
    record = _record_or_404(code)
    if code != record.state.id:
        return redirect(url_for("pages.phone", code=record.state.id))
    choose_language(record.state.settings.language, device=True)
    return render_template("phone.html", code=record.state.id, title=record.state.deck.title)


@pages.get("/s/<code>/projector")
def projector(code: str):
    """The big screen; its key is in the URL fragment, read by the page's script."""
    record = _record_or_404(code)
    choose_language(record.state.settings.language, device=False)
    return render_template("projector.html", code=record.state.id, title=record.state.deck.title,
                           join_url=_hub().join_url(record.state.id))


@pages.get("/s/<code>/facilitator")
def facilitator(code: str):
    """The control screen; its token is in the URL fragment, read by the page's script."""
    record = _record_or_404(code)
    choose_language(record.state.settings.language, device=False)
    return render_template("facilitator.html", code=record.state.id, title=record.state.deck.title)


@pages.get("/s/<code>/qr.svg")
def qr(code: str):
    """The join URL as an SVG QR code, for the projector."""
    record = _record_or_404(code)
    return Response(qr_svg(_hub().join_url(record.state.id)), mimetype="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=3600"})


@pages.post("/s/<code>/export")
def export(code: str):
    """The facilitator downloads the results (md, csv, json) or opens the printable cards (print).
    POSTed, so the facilitator token travels in the body, never in a URL or a log."""
    with _attempt(code, "facilitator") as attempt:  # one attempt for the code and the key
        record = _look_up(code, attempt)
        key, fmt = request.form.get("key", ""), request.form.get("format", "")
        current = _hub().store.facilitator_hash(record.state.id)  # a rotated key stops at once
        facilitator = current is not None and same_secret(token_hash(key), current)
        if not facilitator and not organiser_key.is_key(_hub().store, key):  # the organiser's home exports too
            attempt.failed()
            abort(403)
    state = record.state
    if fmt == "print":
        choose_language(state.settings.language, device=False)
        return render_template("print.html", results=results(state), title=state.deck.title)
    if fmt not in FORMATS:
        abort(400)
    filename = f"gamehub-{state.id}.{fmt}"
    return Response(render(state, fmt), mimetype=FORMATS[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@pages.get("/healthz")
def healthz():
    return Response("ok", mimetype="text/plain")
