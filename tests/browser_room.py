"""A served session seen through real browser pages, for the browser tests: a `gamehub serve`
process, a facilitator socket that always knows the truth (its latest view), and pages that
report every script error and console error, so a test fails on one it did not look for."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from browser import stale_engineio_session
from server_process import Client, ServerProcess


class BrowserRoom:
    """Subclassed by each browser test file for the people and steps it needs."""

    def __init__(self, server: ServerProcess, browser):
        self.server, self.browser = server, browser
        self.links = server.sessions[0]
        self.errors: list[str] = []
        self.clients: list[Client] = []  # every socket opened through `client`, closed at the end
        self.truth = self.client("facilitator", self.links.facilitator_token)

    def client(self, role: str, token: str | None = None) -> Client:
        """A Socket.IO client of this session (a phone without a token is a guest)."""
        auth = {"session": self.links.code, "role": role, **({"token": token} if token else {})}
        client = Client(self.server.url, auth)
        self.clients.append(client)
        return client

    def page(self, options: dict, url: str, *, clock: bool = False, refused: bool = False):
        """A new browser context and page at `url`; `clock` installs Playwright's clock first.
        `refused`: the server refuses this page's connection on purpose (browser.stale_engineio_session)."""
        page = self.browser.new_context(**options).new_page()
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", lambda m: m.type == "error" and "favicon" not in m.text
                and not (refused and stale_engineio_session(m)) and self.errors.append(m.text))
        if clock:
            page.clock.install()  # runs as usual until the test moves it on
        page.goto(url)
        return page

    def command(self, event: str, payload: dict | None = None, client: Client | None = None) -> dict:
        """Send a command (as the facilitator unless `client` says otherwise); it must be accepted."""
        reply = (client or self.truth).call(event, payload)
        assert reply["ok"], (event, reply)
        return reply

    def view(self) -> dict:
        return self.truth.views[-1]

    def to(self, event: str, payload: dict, phase: str) -> dict:
        """A phase step, and the view once the session is in `phase`."""
        self.command(event, payload)
        return self.truth.wait_for(lambda v: v["phase"] == phase)

    def close(self) -> None:
        for client in self.clients:
            client.sio.disconnect()


@contextlib.contextmanager
def served(kind: type[BrowserRoom], browser, **server_options) -> Iterator[BrowserRoom]:
    """A fresh server and a `kind` of room on it; fails the test on any page error seen."""
    with ServerProcess(**server_options) as server:
        room = kind(server, browser)
        yield room
        room.close()
        assert room.errors == [], room.errors
