"""The organiser's home: a page and its JSON API to make, rerun, export and delete sessions and
to keep decks (docs/organiser.md).

Every API call carries the organiser key as `Authorization: Bearer <key>` (never in a URL, so
never in an access log). A wrong or missing key is 403 and counts against the address's
failures, like a wrong room code; past them the address gets 429 before any lookup.
"""

from __future__ import annotations

import logging
import time

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from ..content import decks
from ..engine.codec import UnsupportedSession
from ..storage import links as facilitator_links
from ..storage import organiser_key
from ..storage.store import DeckRecord
from ..storage.tokens import new_token, normalise_code, same_secret, token_hash
from .failures import target
from .hub import Hub
from .organiser_forms import FieldError, body_object, session_settings, settings_dict
from .ratelimit import RateLimiter
from .sessions import TooManySessions, open_session

organiser = Blueprint("organiser", __name__)

MAX_BODY = 128 * 1024  # a deck upload is capped at 64 KB; a form is far smaller
DECK_FIELDS = {"title", "instructions", "questions", "formats"}
SERVE_DECK = "serve"  # the deck `gamehub serve --formats FILE` was given, when not the workshop's

log = logging.getLogger(__name__)


def _hub() -> Hub:
    return current_app.extensions["gamehub"]


def _limiter() -> RateLimiter:
    return current_app.extensions["gamehub.ratelimit"]


def _error(status: int, code: str, message: str, field: str | None = None) -> Response:
    return _json(FieldError(field, message, code).to_dict(), status)


_error_response = _error  # for the 413 handler, whose argument shadows the name


def _json(data: dict, status: int = 200) -> Response:
    response = jsonify(data)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"  # what the organiser sees stays out of caches
    return response


@organiser.before_request
def _require_key():
    """Every API route: the organiser key or nothing. The page itself holds no data."""
    if request.endpoint == "organiser.page":
        return None
    limiter = _limiter()
    address = limiter.address(request.environ)
    # Charged before the check, given back if right; wrong organiser keys spend their own
    # budget (and the address's), not the join page's.
    with limiter.attempt(address, target(None, "organiser")) as attempt:
        if attempt.spent:
            response = _error(429, "rate_limited", "Too many wrong keys from your network: wait a minute.")
            response.headers["Retry-After"] = str(limiter.failure_window)
            return response
        header = request.headers.get("Authorization", "")
        key = header[len("Bearer "):].strip() if header.startswith("Bearer ") else ""
        if not organiser_key.is_key(_hub().store, key):
            attempt.failed()
            return _error(403, "bad_key", "This is not the organiser key (it may have been replaced): "
                                          "use the organiser link gamehub serve printed.")
    if (request.content_length or 0) > MAX_BODY:
        return _error(413, "too_large", f"At most {MAX_BODY // 1024} KB")
    # Also a body without a length (chunked): reading stops at the cap, with the same 413.
    request.max_content_length = MAX_BODY
    return None


@organiser.errorhandler(413)
def _too_large(_error):
    return _error_response(413, "too_large", f"At most {MAX_BODY // 1024} KB")


@organiser.errorhandler(FieldError)
def _field_error(error: FieldError):
    return _json(error.to_dict(), error.status)


@organiser.errorhandler(UnsupportedSession)
def _unsupported(error: UnsupportedSession):
    """A session this gamehub cannot open, asked for by its code: the log names it."""
    log.warning("%s", error)
    return _error(404, "unknown_session", "No such session (deleted?)")


@organiser.errorhandler(decks.DeckError)
def _deck_error(error: decks.DeckError):
    return _error(400, "bad_deck", error.message, error.field)


@organiser.get("/organiser")
def page():
    """The organiser's home; the key is in the URL fragment and the page sends it to the API."""
    return render_template("organiser.html")


# -- sessions ---------------------------------------------------------------------------


def _summary(code: str) -> dict | None:
    store = _hub().store
    try:
        record = store.get(code)
    except UnsupportedSession as error:  # left out of the list; the others still show
        log.warning("%s", error)
        return None
    if record is None:
        return None
    state = record.state
    return {"code": code, "deck": state.deck.title, "phase": state.phase.value,
            "people": len(state.participants), "created": state.created_at,
            "last_activity": store.last_activity(code) or state.created_at,
            "settings": settings_dict(state.settings), "links": _hub().links(record)}


@organiser.get("/organiser/api/home")
def home():
    """Everything the page shows: sessions (newest first), decks, and the form's defaults."""
    sessions = [s for s in map(_summary, reversed(_hub().store.session_ids())) if s]
    return _json({"sessions": sessions, "decks": _deck_list(),
                  "defaults": settings_dict(current_app.config["SETTINGS"]),
                  "max_sessions": current_app.config.get("MAX_SESSIONS")})


def _open(deck, settings) -> Response:
    try:
        record, token = open_session(_hub().store, deck, settings, time.time(),
                                     max_sessions=current_app.config.get("MAX_SESSIONS"))
    except TooManySessions as error:
        return _error(409, "too_many_sessions", f"{error}: delete a session you no longer need first.")
    if current_app.config.get("DATA_DIR"):  # what a restarted `gamehub serve` prints
        facilitator_links.remember(current_app.config["DATA_DIR"], record.state.id, token)
    summary = _summary(record.state.id)
    # The session's own facilitator link, shown once: the one to hand to a colleague.
    summary["links"]["facilitator"] = f"{current_app.config['PUBLIC_URL']}/s/{record.state.id}/facilitator#key={token}"
    return _json({"session": summary}, 201)


@organiser.post("/organiser/api/sessions")
def new_session():
    default = next(iter(_fixed_decks()))
    body = request.get_json(silent=True)
    if default == decks.BUILTIN_ID and isinstance(body, dict) and isinstance(body.get("language"), str):
        # No deck chosen for a room in German: the workshop deck in German, when there is one.
        base = body["language"].replace("_", "-").split("-")[0].lower()
        default = decks.builtin_id(base) if base in decks.BUILTIN_LANGUAGES else default
    deck_id, settings = session_settings(body, default_deck=default)
    found = _deck(deck_id)
    if found is None:
        raise FieldError("deck", "No such deck: choose one from the list")
    return _open(decks.validate(found["data"]).deck, settings)


@organiser.post("/organiser/api/sessions/<code>/again")
def run_again(code: str):
    """A fresh session with the same settings and the same (frozen) deck as `code`."""
    record = _hub().store.get(normalise_code(code))
    if record is None:
        return _error(404, "unknown_session", "No such session (deleted?)")
    return _open(record.state.deck, record.state.settings)


@organiser.post("/organiser/api/sessions/<code>/facilitator")
def facilitator_link(code: str):
    """The session's own facilitator link, for its control screen: a link made here is copied,
    bookmarked and handed on, and the organiser key in it would open every session. The link
    this server keeps is given (open screens stay); with `replace`, a new one is made."""
    code = normalise_code(code)
    data = body_object(request.get_json(silent=True) if request.content_length else {}, {"replace"})
    record = _hub().store.get(code)
    if record is None:
        return _error(404, "unknown_session", "No such session (deleted?)")
    directory = current_app.config.get("DATA_DIR")
    token = facilitator_links.recall(directory, code) if directory else None
    made = not (token and same_secret(token_hash(token), record.facilitator_hash))
    if made and data.get("replace") is not True:
        return _error(409, "no_kept_link", "This server does not keep this session's facilitator link (it was "
                                           "made on another machine, or lost): a new one closes the screens "
                                           "open with the old one.")
    if made:
        token = new_token()
        _hub().store.rekey(code, token_hash(token))
        if directory:
            facilitator_links.remember(directory, code, token)
        _hub().revoke_stale_keys()  # this process's screens on the old link close now, not at the next sweep
    return _json({"link": f"{current_app.config['PUBLIC_URL']}/s/{code}/facilitator#key={token}", "made": made})


@organiser.delete("/organiser/api/sessions/<code>")
def delete_session(code: str):
    """Through the hub, so every connected screen is told and closed; the room code typed back."""
    code = normalise_code(code)
    data = body_object(request.get_json(silent=True), {"confirm"})
    if not isinstance(data.get("confirm"), str) or normalise_code(data["confirm"]) != code:
        raise FieldError("confirm", f"Type the room code {code} to delete this session")
    if not _hub().delete_session(code):
        return _error(404, "unknown_session", "No such session (deleted already?)")
    if current_app.config.get("DATA_DIR"):
        facilitator_links.forget(current_app.config["DATA_DIR"], code)
    return _json({"deleted": code})


# -- decks --------------------------------------------------------------------------------


def _deck_json(deck_id: str, name: str, data: dict, created: float | None, updated: float | None) -> dict:
    shown = {**data, "formats": [list(options) for _, options in sorted(data["formats"].items())]}
    return {"id": deck_id, "name": name, "builtin": decks.is_builtin(deck_id) or deck_id == SERVE_DECK,
            "created": created, "updated": updated, "data": shown}


def _fixed_decks() -> dict[str, tuple[str, dict]]:
    """The decks that are not the organiser's, by id: the workshop's, and the one given to
    `gamehub serve --formats` when it is another (first: it is what this server plays)."""
    builtin = decks.builtin_data()
    fixed = {}
    served = decks.data_of(current_app.config["DECK"])
    if served != builtin:
        fixed[SERVE_DECK] = (f"{served['title']} (gamehub serve --formats)", served)
    fixed[decks.BUILTIN_ID] = (builtin["title"], builtin)
    for language in decks.BUILTIN_LANGUAGES[1:]:
        translated = decks.builtin_data(language)
        fixed[decks.builtin_id(language)] = (f"{translated['title']} ({language})", translated)
    return fixed


def _deck(deck_id: str) -> dict | None:
    """A deck as the API shows it ({id, name, builtin, data}), with `formats` as formats.yaml has
    them (numbers as keys), or None."""
    fixed = _fixed_decks()
    if deck_id in fixed:
        name, data = fixed[deck_id]
        return {**_deck_json(deck_id, name, data, None, None), "data": data}
    if not decks.valid_deck_id(deck_id):
        return None
    found = _hub().store.get_deck(deck_id)
    if found is None:
        return None
    data = decks.from_stored(found.data)
    return {**_deck_json(found.id, found.name, data, found.created, found.updated), "data": data}


def _deck_list() -> list[dict]:
    return [_deck_json(i, name, data, None, None) for i, (name, data) in _fixed_decks().items()] + [
        _deck_json(d.id, d.name, decks.from_stored(d.data), d.created, d.updated) for d in _hub().store.decks()]


def _save(deck_id: str, checked: decks.DeckData, created: float | None = None) -> Response:
    most = current_app.config.get("MAX_DECKS") or decks.MAX_DECKS
    if created is None and len(_hub().store.decks()) >= most:
        return _error(409, "too_many_decks", f"At most {most} decks are kept: delete one you no longer need first.")
    now = time.time()
    record = DeckRecord(id=deck_id, name=checked.deck.title, data=decks.to_stored(checked.data),
                        created=created or now, updated=now)
    _hub().store.put_deck(record)
    return _json({"deck": _deck_json(deck_id, record.name, checked.data, record.created, record.updated)},
                 201 if created is None else 200)


@organiser.post("/organiser/api/decks")
def new_deck():
    """A deck from the form (formats as a list of lists); nothing is saved unless all of it is valid."""
    return _save(decks.new_deck_id(), decks.validate(body_object(request.get_json(silent=True), DECK_FIELDS)))


@organiser.post("/organiser/api/decks/upload")
def upload_deck():
    """A formats.yaml file as the request body (capped, safe-loaded, validated)."""
    raw = request.get_data(cache=False)  # capped at MAX_BODY; parse_yaml caps it again at 64 KB
    return _save(decks.new_deck_id(), decks.parse_yaml(raw))


@organiser.put("/organiser/api/decks/<deck_id>")
def edit_deck(deck_id: str):
    if decks.is_builtin(deck_id) or deck_id == SERVE_DECK:
        return _error(403, "builtin_deck", "This deck is built in: make a copy to change it")
    found = _hub().store.get_deck(deck_id) if decks.valid_deck_id(deck_id) else None
    if found is None:
        return _error(404, "unknown_deck", "No such deck (deleted?)")
    checked = decks.validate(body_object(request.get_json(silent=True), DECK_FIELDS))
    return _save(deck_id, checked, created=found.created)


@organiser.delete("/organiser/api/decks/<deck_id>")
def delete_deck(deck_id: str):
    """Sessions keep their own copy of a deck, so deleting it changes no session."""
    if decks.is_builtin(deck_id) or deck_id == SERVE_DECK:
        return _error(403, "builtin_deck", "This deck is built in and cannot be deleted")
    if not decks.valid_deck_id(deck_id) or not _hub().store.delete_deck(deck_id):
        return _error(404, "unknown_deck", "No such deck (deleted already?)")
    return _json({"deleted": deck_id})


@organiser.get("/organiser/api/decks/<deck_id>/yaml")
def deck_yaml(deck_id: str):
    found = _deck(deck_id)
    if found is None:
        return _error(404, "unknown_deck", "No such deck (deleted?)")
    return Response(decks.to_yaml(found["data"]), mimetype="application/yaml",
                    headers={"Content-Disposition": f'attachment; filename="gamehub-deck-{deck_id}.yaml"',
                             "Cache-Control": "no-store"})
