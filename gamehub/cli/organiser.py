"""`gamehub sessions new` and `gamehub organiser key`: the organiser's home's twins for scripts
(docs/organiser.md). Both work while a server runs on the same data: it reads new sessions and
the organiser key's hash from the store. And `gamehub links`, which prints the links that a
`gamehub serve` writing to a log leaves without their keys."""

from __future__ import annotations

import argparse
import sys
import time

from ..storage import (
    links as facilitator_links,  # light; organiser_key loads the server package, so only when used
)


def add_commands(commands, sessions_actions, storage: argparse.ArgumentParser,
                 session: argparse.ArgumentParser) -> None:
    """Adds `sessions new` and `organiser key` to the parser `cli.build_parser` makes."""
    public = argparse.ArgumentParser(add_help=False)
    public.add_argument("--public-url", metavar="URL",
                        help="the address the server is reached at (default: http://LAN-ADDRESS:5000)")
    new = sessions_actions.add_parser("new", parents=[storage, public, session],
                                      help="open a new session and print its links (also while a server runs)")
    new.add_argument("--minutes", type=int, default=15, metavar="N",
                     help="default planning minutes, 1 to 180 (default: 15)")
    new.add_argument("--max-sessions", type=int, default=50, metavar="N",
                     help="refuse when this many sessions are stored (default: 50)")
    organiser = commands.add_parser("organiser", help="the organiser's home: its key")
    actions = organiser.add_subparsers(dest="action", required=True)
    actions.add_parser("key", parents=[storage, public],
                       help="make a new organiser key and print its link (the old one stops working)")
    commands.add_parser("links", parents=[storage, public],
                        help="print every session's links and the organiser link, with their keys, "
                             "replacing none (also while a server runs)")


def _public_url(args: argparse.Namespace) -> str:
    from ..runtime.netinfo import lan_address

    return (args.public_url or f"http://{lan_address()}:5000").rstrip("/")


def _data_dir(args: argparse.Namespace):
    from ..storage.sql import default_data_dir

    return args.data_dir or default_data_dir()


def new_session(store, args: argparse.Namespace) -> int:
    from ..engine import Settings
    from ..server.sessions import TooManySessions, open_session
    from .session import Unusable, session_setup

    try:
        deck, fields = session_setup(args, (("--minutes", args.minutes, range(1, 181)),))
    except Unusable as error:
        print(f"gamehub: {error}", file=sys.stderr)
        return 2
    settings = Settings(**fields, planning_minutes=args.minutes)
    try:
        record, token = open_session(store, deck, settings, time.time(), max_sessions=args.max_sessions)
    except TooManySessions as error:
        print(f"gamehub: {error}. Delete old ones (gamehub sessions list, gamehub sessions delete CODE) "
              f"or raise --max-sessions.", file=sys.stderr)
        return 2
    facilitator_links.remember(_data_dir(args), record.state.id, token)  # a restarted server prints it
    url, code = _public_url(args), record.state.id
    print(f"Session {code}: {deck.title}, groups of {args.group_size}, {args.minutes} minutes of planning")
    print(f"  Join (phones):  {url}/j/{code}")
    print(f"  Projector:      {url}/s/{code}/projector#key={record.projector_key}")
    print(f"  Facilitator:    {url}/s/{code}/facilitator#key={token}")
    print("                  (keep the facilitator link to yourself: it controls the session)")
    return 0


def new_organiser_key(store, args: argparse.Namespace) -> int:
    from ..storage import organiser_key

    key = organiser_key.rotate(store, _data_dir(args))
    # The server reads the stored hash on every call, so the old link stops at once.
    print("New organiser link (the old one stops working now; control screens opened with it are closed):")
    print(f"  Organiser:      {_public_url(args)}/organiser#key={key}")
    return 0


def print_links(store, args: argparse.Namespace) -> int:
    """The links `gamehub serve` prints, with the keys it leaves out of a log. A facilitator or
    organiser key this data directory does not hold (made on another machine, or lost) is not
    invented: the command that replaces it is named instead."""
    from ..storage import organiser_key
    from ..storage.replay import readable_sessions
    from ..storage.tokens import same_secret, token_hash

    url, directory = _public_url(args), _data_dir(args)
    for code, record in readable_sessions(store, lambda line: print(f"gamehub: {line}", file=sys.stderr)).items():
        token = facilitator_links.recall(directory, code)
        kept = token and same_secret(token_hash(token), record.facilitator_hash)
        print(f"Session {code}")
        print(f"  Join (phones):  {url}/j/{code}")
        print(f"  Projector:      {url}/s/{code}/projector#key={record.projector_key}")
        print(f"  Facilitator:    {url}/s/{code}/facilitator#key={token}" if kept else
              f"  Facilitator:    not kept here; a new one (the old one stops): gamehub sessions key {code}")
    key = organiser_key.recall(directory)
    print(f"Organiser:        {url}/organiser#key={key}" if key and organiser_key.is_key(store, key) else
          "Organiser:        not kept here; a new one (the old one stops): gamehub organiser key")
    return 0
