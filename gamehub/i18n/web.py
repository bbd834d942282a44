"""Which language a page and a connection use, and the catalogs served to the ES modules.

A phone follows its device: the language picked on the phone (a cookie the picker sets beside
its localStorage), else its browser's Accept-Language, else the room's language. The projector
and the facilitator's screen show the room's language (Settings.language, set by the
facilitator). `?lang=xx` on any page overrides both, for a link or a test.
"""

from __future__ import annotations

import functools

from flask import Blueprint, Flask, Response, abort, g, json, request
from flask_babel import Babel, Domain

from . import (
    SOURCE,
    as_json,
    autonym,
    available,
    babel_locale,
    direction,
    negotiate,
    shipped,
    tag,
    translations,
)

COOKIE = "gamehub-language"
i18n_pages = Blueprint("i18n", __name__)


class _CatalogDomain(Domain):
    """Flask-Babel's templates and gettext, from gamehub's catalogs in the request's language
    (pseudo-locales are not Babel locales, so Flask-Babel's own loader cannot find them)."""

    def get_translations(self):
        return translations(page_language())


def _browser() -> list[str]:
    return [value for value, _quality in request.accept_languages] if request else []


def choose(room: str | None = None, device: bool = True) -> str:
    """The language of this request's page: see the module's docstring. Remembered in `g`."""
    picked = [(shipped(request.args.get("lang")), "link")]
    if device:
        picked += [(shipped(request.cookies.get(COOKIE)), "device"), (negotiate(_browser()), "browser")]
    picked.append((shipped(room) or SOURCE, "room"))
    g.language, g.language_source = next((lang, source) for lang, source in picked if lang)
    g.room_language = shipped(room) or SOURCE
    return g.language


def page_language() -> str:
    if "language" not in g:
        choose()
    return g.language


def language_of_connection(auth: object) -> str:
    """A Socket.IO connection's language: `language` in its auth, else its Accept-Language."""
    if isinstance(auth, dict) and isinstance(auth.get("language"), str) and shipped(auth["language"]):
        return shipped(auth["language"])
    return negotiate(_browser()) or SOURCE


def translate_reply(reply: object, language: str) -> object:
    """An error ack with its message in `language` (the code and details stay as they are)."""
    if isinstance(reply, dict) and reply.get("ok") is False and isinstance(reply.get("error"), dict):
        message = reply["error"].get("message")
        if isinstance(message, str) and message:
            reply = {**reply, "error": {**reply["error"], "message": translations(language).gettext(message)}}
    return reply


@i18n_pages.get("/i18n/<language>.json")
def catalog_json(language: str):
    """The strings and plural rule of one language, as JSON (docs/protocol.md)."""
    return _catalog(language, "", "", "application/json")


@i18n_pages.get("/i18n/<language>.js")
def catalog_js(language: str):
    """The same, as the script every page loads before its screen's modules (base.html), so
    t()/tn() have their words the moment a screen runs: a fetch would let a screen draw, or a
    click land, before its handlers exist."""
    return _catalog(language, "globalThis.GAMEHUB_CATALOG = ", ";\n", "text/javascript")


def _catalog(language: str, before: str, after: str, mimetype: str) -> Response:
    if shipped(language) != tag(language):
        abort(404)
    body = before.encode() + _body(tag(language)) + after.encode()
    # Revalidated with an ETag: a room of phones reloading gets 304s, and a new catalog at once.
    response = Response(body, mimetype=mimetype, headers={"Cache-Control": "no-cache"})
    response.add_etag()
    return response.make_conditional(request)


@functools.cache
def _body(language: str) -> bytes:
    return json.dumps(as_json(language), ensure_ascii=False, sort_keys=True).encode("utf-8")


def install(app: Flask) -> None:
    """Flask-Babel with gamehub's catalogs; <html lang dir> and the catalog's address for templates."""
    babel = Babel(app, locale_selector=lambda: str(babel_locale(page_language())))
    babel.domain_instance = _CatalogDomain()
    app.register_blueprint(i18n_pages)

    @app.context_processor
    def language_context():
        language = page_language()
        return {"page_lang": language, "page_dir": direction(language),
                "page_lang_source": g.get("language_source", "browser"),
                "languages": available(), "language_names": [(tag_, autonym(tag_)) for tag_ in available()], "room_language": g.get("room_language", SOURCE)}
