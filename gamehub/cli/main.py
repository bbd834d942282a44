"""`gamehub serve`, `gamehub export`, `gamehub sessions ...`."""

from __future__ import annotations

import argparse
import os
import sys
import time

from .. import __version__
from ..runtime import heap
from ..runtime.extras import MissingExtra, import_extra
from ..storage import links as facilitator_links
from . import listen
from .listen import MAX_CONNECTIONS
from .session import Unusable, session_options, session_setup

RESUME_WITHIN_HOURS = 12  # a session active this recently is "the one running now"
MAX_SESSIONS_LIMIT = 1000  # what --max-sessions may be raised to


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gamehub", description="Run the 'Unconventional sci-comm' room game.")
    parser.add_argument("--version", action="version", version=f"gamehub {__version__}")
    storage = argparse.ArgumentParser(add_help=False)
    storage.add_argument("--data-dir", metavar="DIR",
                         help="where sessions are kept (SQLite; default: $GAMEHUB_DATA_DIR or your user data folder)")
    storage.add_argument("--database-url", metavar="URL",
                         help="a database instead, e.g. postgresql://user@host/db (default: $GAMEHUB_DATABASE_URL)")
    commands = parser.add_subparsers(dest="command", required=True)

    session = session_options()
    serve = commands.add_parser("serve", parents=[storage, session], help="start the server (and open a session)")
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on (default: all, so phones can reach it)")
    serve.add_argument("--port", type=int, default=5000, help="port to listen on (default: 5000)")
    serve.add_argument("--max-sessions", type=int, default=50, metavar="N",
                       help="most sessions this server keeps, stored ones included (default: 50)")
    serve.add_argument("--trusted-proxies", type=int, default=0, metavar="N",
                       help="reverse proxies in front of gamehub whose X-Forwarded-For is believed, "
                            "for per-address rate limits (default: 0)")
    serve.add_argument("--connections-per-address", type=int, default=5000, metavar="N",
                       help="open connections one address may hold, a whole room behind one venue address "
                            "included (default: 5000). See docs/security.md")
    serve.add_argument("--join-budget", default="40,240", metavar="BURST,PER_MINUTE",
                       help="new people one address may add to a session: BURST at once, then PER_MINUTE "
                            "(default: 40,240, so 500 behind one venue address are in within 2 minutes; "
                            "off: no budget). See docs/security.md")
    serve.add_argument("--public-url", metavar="URL",
                       help="the URL phones use, e.g. behind a reverse proxy (default: http://LAN-ADDRESS:PORT)")
    serve.add_argument("--sessions", type=int, default=1,
                       help="how many new sessions to open (default: 1; 0 only resumes stored ones, "
                            "e.g. for the second process of several)")
    serve.add_argument("--new-session", action="store_true",
                       help=f"open new sessions even if one was active in the last {RESUME_WITHIN_HOURS} hours")
    serve.add_argument("--retention-days", type=float, default=30,
                       help="delete sessions idle for this long, at start (default: 30; 0 keeps them)")
    serve.add_argument("--message-queue", metavar="URL", default=os.environ.get("GAMEHUB_MESSAGE_QUEUE"),
                       help="redis://HOST:PORT/DB shared by several gamehub processes on one --database-url "
                            "(default: $GAMEHUB_MESSAGE_QUEUE; none: one process). See docs/deployment.md")
    serve.add_argument("--async-mode", choices=("eventlet", "gevent", "threading"), default="eventlet",
                       help="server concurrency (default: eventlet; gevent is the maintained alternative)")
    serve.add_argument("--no-qr", action="store_true", help="do not draw the QR code in the terminal")
    serve.add_argument("--print-keys", action="store_true",
                       help="print the links' keys even when the output is not a terminal (a log keeps them; "
                            "default: only on a terminal, else see gamehub links)")

    export = commands.add_parser("export", parents=[storage], help="print a session's results")
    export.add_argument("session", help="room code")
    export.add_argument("--format", choices=("md", "csv", "json"), default="md")

    sessions = commands.add_parser("sessions", help="list, open, delete or re-key sessions")
    actions = sessions.add_subparsers(dest="action", required=True)
    actions.add_parser("list", parents=[storage], help="every stored session")
    delete = actions.add_parser("delete", parents=[storage], help="delete a session and all its data")
    delete.add_argument("session", help="room code")
    rekey = actions.add_parser("key", parents=[storage],
                               help="make a new facilitator link for a session (the old one stops working)")
    rekey.add_argument("session", help="room code")
    from .organiser import add_commands

    add_commands(commands, actions, storage, session)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except MissingExtra as error:
        print(f"gamehub: {error}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    # Asked first, so that a missing extra starts nothing (no port, no data directory); the
    # `scale` extra first, since it brings `postgres` too.
    if getattr(args, "message_queue", None):
        import_extra("redis", "Several processes (--message-queue)")
    if (getattr(args, "database_url", None) or os.environ.get("GAMEHUB_DATABASE_URL") or "").startswith("postgres"):
        import_extra("psycopg", "A PostgreSQL database (--database-url)")
    if args.command == "serve":
        return serve(args)
    from ..storage.sql import open_store

    store = open_store(args.database_url, args.data_dir)
    try:
        from .organiser import new_organiser_key, new_session, print_links

        if args.command == "export":
            return export(store, args)
        if args.command == "organiser":
            return new_organiser_key(store, args)
        if args.command == "links":
            return print_links(store, args)
        return {"list": list_sessions, "delete": delete_session, "key": new_key,
                "new": new_session}[args.action](store, args)
    finally:
        store.close()


def serve(args: argparse.Namespace) -> int:
    try:
        deck, session_fields = session_setup(args, (
            ("--max-sessions", args.max_sessions, range(1, MAX_SESSIONS_LIMIT + 1)),
            ("--trusted-proxies", args.trusted_proxies, range(0, 11)),
            ("--connections-per-address", args.connections_per_address, range(1, MAX_CONNECTIONS + 1))))
    except Unusable as error:
        print(f"gamehub: {error}", file=sys.stderr)
        return 2
    database_url = args.database_url or os.environ.get("GAMEHUB_DATABASE_URL")
    if args.message_queue and not (database_url and database_url.startswith(("postgresql", "postgres"))):
        print("gamehub: --message-queue runs several processes on one set of sessions, which must be "
              "in PostgreSQL: give --database-url postgresql://...", file=sys.stderr)
        return 2
    if args.async_mode == "eventlet":
        listen.green_everything()
    elif args.async_mode == "gevent":
        from ..runtime.green import patch

        patch()

    from ..engine import Settings
    from ..runtime.netinfo import lan_address
    from ..runtime.serve_lock import AlreadyServing, hold
    from ..server import create_app, hub_of, socketio_of
    from ..server.joinbudget import BadBudget, parse_budget
    from ..server.sessions import open_session
    from ..storage.replay import readable_sessions
    from ..storage.secret_key import SecretKeyError, load_or_create
    from ..storage.shared import SharedSqlStore
    from ..storage.sql import default_data_dir, open_store
    from ..storage.tokens import same_secret, token_hash
    from ..views.qr import qr_text

    # Everything that can fail is tried before anything is created or printed as a link.
    try:
        parse_budget(args.join_budget)
    except BadBudget as error:
        print(f"gamehub: --join-budget: {error}", file=sys.stderr)
        return 2
    data_dir = args.data_dir or default_data_dir()
    try:
        lock = None if database_url else hold(data_dir)  # noqa: F841 (held while the process runs)
    except AlreadyServing as error:
        print(f"gamehub: {error}. Stop it first, or give this one its own --data-dir.", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"gamehub: cannot use the data directory {data_dir}: {error.strerror or error}", file=sys.stderr)
        return 2
    try:
        listener = listen.listen(args.host, args.port, green=args.async_mode == "eventlet")
    except OSError as error:
        print(f"gamehub: {listen.listen_failure(args.host, args.port, error)}", file=sys.stderr)
        return 1
    try:
        secret_key = load_or_create(data_dir)
    except (OSError, SecretKeyError) as error:
        print(f"gamehub: cannot use the secret key: {error}", file=sys.stderr)
        return 2
    from ..storage.files import make_private

    if fixed := make_private(data_dir):  # made by hand or by an older gamehub: others could read it
        print(f"Made the data directory {data_dir} private to you: {', '.join(fixed)}")
    # Several processes on one database: each catches up with what the others stored.
    store = open_store(args.database_url, args.data_dir, kind=SharedSqlStore if args.message_queue else None)
    if args.retention_days > 0:
        for session_id in store.purge(before=time.time() - args.retention_days * 86400):
            print(f"Deleted session {session_id}: idle for more than {args.retention_days:g} days")
    resumable = readable_sessions(store, _say)  # one this gamehub cannot open is named, not resumed
    recent = [sid for sid in resumable if (store.last_activity(sid) or 0) > time.time() - RESUME_WITHIN_HOURS * 3600]
    opening = max(0, args.sessions) if args.new_session or not recent else 0
    stored = len(store.session_ids())
    if opening and stored + opening > args.max_sessions:
        print(f"gamehub: {stored} sessions are stored and this start would open {opening} more, over "
              f"--max-sessions {args.max_sessions}. Delete old ones (gamehub sessions list, gamehub sessions "
              f"delete CODE) or raise --max-sessions.", file=sys.stderr)
        return 2
    public_url = (args.public_url or f"http://{_reachable_host(args.host, lan_address)}:{args.port}").rstrip("/")
    settings = Settings(**session_fields)
    show = args.print_keys or sys.stdout.isatty()  # a service's output goes to a log: no keys there
    app = create_app({"PUBLIC_URL": public_url, "ASYNC_MODE": args.async_mode, "DECK": deck,
                      "SETTINGS": settings, "STORE": store, "SECRET_KEY": secret_key,
                      "TRUSTED_PROXIES": args.trusted_proxies, "MESSAGE_QUEUE": args.message_queue,
                      "JOIN_BUDGET": args.join_budget, "CONNECTIONS_PER_ADDRESS": args.connections_per_address,
                      "MAX_SESSIONS": args.max_sessions, "DATA_DIR": str(data_dir)})
    hub = hub_of(app)

    print(f"gamehub {__version__}: {deck.title}, {len(deck.lists)} format lists, groups of {args.group_size}")
    print(f"Sessions are kept in {_where(store)}")
    if settings.blocked_words:
        print(f"Name filter: {len(settings.blocked_words)} blocked words from {args.blocked_words}")
    for session_id, record in resumable.items():
        links = hub.links(record)
        now = time.time()
        ended = ", the game has ended" if record.state.ended_at is not None else ""
        print(f"\nSession {session_id} (resumed: {record.state.phase.value}{ended}, "
              f"{_people(len(record.state.participants))}, opened {_ago(now - record.state.created_at)}, "
              f"last active {_ago(now - (store.last_activity(session_id) or now))})")
        print(f"  Join (phones):  {links['join']}")
        print(f"  Projector:      {_keyed(links['projector'], show)}")
        token = facilitator_links.recall(data_dir, session_id)
        if token and same_secret(token_hash(token), record.facilitator_hash):
            # The same link as before: a control screen already open stays connected.
            print(f"  Facilitator:    {_keyed(f'{public_url}/s/{session_id}/facilitator#key={token}', show)}")
            print("                  (keep the facilitator link to yourself: it controls the session)")
        else:  # opened elsewhere (another machine of a cluster), or its kept link was deleted
            print(f"  Facilitator:    the link you had, or a new one: gamehub sessions key {session_id}")
        if record.state.settings != settings:
            # Limits are part of the session's stored state (a replay must give the same result).
            print("  (it keeps the limits and name filter it was opened with; --new-session applies new ones)")
    if opening:
        for _ in range(opening):
            record, token = open_session(store, deck, settings, time.time(), max_sessions=args.max_sessions)
            facilitator_links.remember(data_dir, record.state.id, token)
            links = hub.links(record)
            print(f"\nSession {record.state.id}")
            print(f"  Join (phones):  {links['join']}")
            print(f"  Projector:      {_keyed(links['projector'], show)}")
            print(f"  Facilitator:    {_keyed(f'{public_url}/s/{record.state.id}/facilitator#key={token}', show)}")
            print("                  (keep the facilitator link to yourself: it controls the session)")
            if not args.no_qr:
                print(qr_text(links["join"]))
    from ..storage import organiser_key

    key = organiser_key.ensure(store, data_dir)
    if key:
        print(f"\nOrganiser:        {_keyed(f'{public_url}/organiser#key={key}', show)}")
        print("                  (your home for sessions and decks; keep it to yourself)")
    else:  # made by another machine of a cluster: printing a new one would break its link
        print("\nOrganiser:        the link you had, or a new one: gamehub organiser key")
    if not show:
        print(_keys_left_out(data_dir, public_url, database_url))
    print(f"\nListening on {args.host}:{args.port} ({args.async_mode}). Stop with Ctrl+C.", flush=True)
    heap.settle()  # everything loaded lives as long as the process (heap.py)
    if args.async_mode == "eventlet":
        listen.serve_eventlet(app, listener)
    elif args.async_mode == "gevent":
        from ..runtime.green import serve as serve_gevent

        serve_gevent(app, listener)
    else:
        listener.close()  # werkzeug binds its own; the port was free a moment ago
        socketio_of(app).run(app, host=args.host, port=args.port, allow_unsafe_werkzeug=True, log_output=False)
    return 0


def _keyed(link: str, show: bool) -> str:
    """`link`, or the link up to its key (`#key=...`) when keys are not printed."""
    return link if show else link.split("#key=", 1)[0] + "#key=..."


def _keys_left_out(data_dir, public_url: str, database_url: str | None) -> str:
    """Where the links with their keys are, when this output is not a terminal."""
    import shlex

    command = f"gamehub links --data-dir {shlex.quote(str(data_dir))} --public-url {shlex.quote(public_url)}"
    same_database = " --database-url <the same>" if database_url else ""
    return (f"\nThe links' keys (#key=...) are left out: this output is not a terminal, and a log would keep them.\n"
            f"To see the links with their keys, run as this user: {command}{same_database}\n"
            f"(or start with --print-keys)")


def _people(count: int) -> str:
    return "1 person" if count == 1 else f"{count} people"


def _ago(seconds: float) -> str:
    """'3 min ago', '5 h ago', '2 days ago': how old a session is, for people."""
    minutes = max(0, int(seconds // 60))
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // 1440} days ago"


def export(store, args: argparse.Namespace) -> int:
    from ..engine.codec import UnsupportedSession
    from ..storage.tokens import normalise_code
    from ..views.export import render

    try:
        record = store.get(normalise_code(args.session))
    except UnsupportedSession as error:
        _say(str(error))
        return 1
    if record is None:
        print(f"gamehub: no session {args.session} in {_where(store)}", file=sys.stderr)
        return 1
    sys.stdout.write(render(record.state, args.format))
    return 0


def list_sessions(store, args: argparse.Namespace) -> int:
    from ..storage.replay import readable_sessions

    if not store.session_ids():
        print(f"No sessions in {_where(store)}")
    for session_id, record in readable_sessions(store, _say).items():
        state = record.state
        last = time.strftime("%Y-%m-%d %H:%M", time.localtime(store.last_activity(session_id)))
        print(f"{session_id}  {state.phase.value:<9} {len(state.participants):>4} people  "
              f"{len(state.groups):>3} groups  last active {last}")
    return 0


def delete_session(store, args: argparse.Namespace) -> int:
    from ..storage.tokens import normalise_code

    if not store.delete(normalise_code(args.session)):
        print(f"gamehub: no session {args.session} in {_where(store)}", file=sys.stderr)
        return 1
    facilitator_links.forget(_data_dir(args), normalise_code(args.session))
    print(f"Deleted session {normalise_code(args.session)} and all its data.")
    return 0


def new_key(store, args: argparse.Namespace) -> int:
    from ..storage.tokens import new_token, normalise_code, token_hash

    code = normalise_code(args.session)
    token = new_token()
    if not store.rekey(code, token_hash(token)):
        print(f"gamehub: no session {args.session} in {_where(store)}", file=sys.stderr)
        return 1
    facilitator_links.remember(_data_dir(args), code, token)  # what a restarted server prints
    # A running server reads the stored key on every facilitator event and every few seconds,
    # so the old link stops at once and its open screens are closed.
    print(f"New facilitator link for {code} (the old one stops working now, open screens with it are closed):\n"
          f"  /s/{code}/facilitator#key={token}")
    return 0


def _say(line: str) -> None:
    print(f"gamehub: {line}", file=sys.stderr)


def _data_dir(args: argparse.Namespace):
    from ..storage.sql import default_data_dir

    return args.data_dir or default_data_dir()


def _where(store) -> str:
    return store.engine.url.render_as_string(hide_password=True)


def _reachable_host(host: str, lan_address) -> str:
    """The host phones should use: the LAN address when listening on all interfaces."""
    return lan_address() if host in ("0.0.0.0", "::", "") else host


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
