"""The front end's layout and its one rule about people's text, read from the source.

static/js and static/css are one folder per audience (docs/frontend.md); a screen of one
audience imports only its own folder, shared/ and the vendored modules. Nothing under static/js
hands a string to the browser's HTML parser, so a name like "<img onerror=...>" can only ever
be shown as typed; tests/browser/test_browser_game.py plays a game with such names and checks
they show as text and run nothing.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JS = ROOT / "static" / "js"
CSS = ROOT / "static" / "css"
AUDIENCES = {"phone", "projector", "facilitator", "organiser"}
FOLDERS = AUDIENCES | {"shared"}

# Every way a script can make the browser parse a string as HTML (lit-html's unsafeHTML and
# unsafeSVG included). Text goes in as text nodes (shared/dom.js) or as lit-html values.
HTML_SINKS = re.compile(r"\b(innerHTML|outerHTML|insertAdjacentHTML|document\s*\.\s*write(?:ln)?|unsafeHTML|unsafeSVG"
                        r"|createContextualFragment|DOMParser|parseFromString|srcdoc|setHTMLUnsafe|parseHTMLUnsafe)\b")
# Audited exceptions, "path: sink" -> why it is safe. None today; one added here needs a reason
# a reviewer can check, and a browser test that puts hostile text through it.
AUDITED: dict[str, str] = {}

IMPORT = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(?\s*)["'](\.{1,2}/[^"']+)["']""")
# A file a module finds beside itself: new URL(`../../vendor/twemoji/${name}.svg`, import.meta.url).
BESIDE = re.compile(r"""new URL\(\s*[`"'](\.{1,2}/[^`"'$]*)[^`"']*[`"']\s*,\s*import\.meta\.url""")
STATIC_URL = re.compile(r"""url_for\('static',\s*filename='([^']+)'\)""")


def modules() -> list[Path]:
    return sorted(JS.rglob("*.js"))


def name(path: Path) -> str:
    return path.relative_to(JS).as_posix()


def imports(path: Path) -> list[str]:
    """The static/-relative paths `path` imports, e.g. "js/shared/dom.js", "vendor/yjs.esm.min.js"."""
    here = posixpath.dirname("js/" + name(path))
    return [posixpath.normpath(posixpath.join(here, target)) for target in IMPORT.findall(path.read_text(encoding="utf-8"))]


def test_the_html_sink_pattern_catches_each_way_in():
    for line in ('node.innerHTML = name', 'el.insertAdjacentHTML("beforeend", x)', "document.write(x)",
                 "html`${unsafeHTML(story)}`", 'new DOMParser().parseFromString(x, "text/html")'):
        assert HTML_SINKS.search(line), line
    assert not HTML_SINKS.search('node.textContent = name; render(html`<p>${name}</p>`, slot)')


def test_no_screen_parses_a_string_as_html():
    found = {f"{name(path)}: {match.group(1)}"
             for path in modules() for match in HTML_SINKS.finditer(path.read_text(encoding="utf-8"))}
    assert found <= set(AUDITED), f"HTML parsed from a string (docs/frontend.md): {sorted(found - set(AUDITED))}"
    assert not set(AUDITED) - found, f"audited exceptions that are gone: {sorted(set(AUDITED) - found)}"


def test_scripts_and_sheets_sit_in_an_audience_folder():
    for top in (JS, CSS):
        loose = [p.name for p in top.iterdir() if p.is_file()]
        assert not loose, f"{top.relative_to(ROOT)} holds files outside an audience folder: {loose}"
        assert {p.name for p in top.iterdir()} <= FOLDERS, f"{top.relative_to(ROOT)}: folders are {sorted(FOLDERS)}"


def test_a_screen_imports_its_own_folder_shared_and_vendor_only():
    wrong = []
    for path in modules():
        folder = name(path).split("/")[0]
        for target in imports(path):
            assert (ROOT / "static" / target).is_file(), f"{name(path)} imports {target}, which does not exist"
            allowed = ("vendor/", "js/shared/") if folder == "shared" else ("vendor/", "js/shared/", f"js/{folder}/")
            if not target.startswith(allowed):
                wrong.append(f"{name(path)} -> {target}")
    assert not wrong, f"an audience reaches into another's folder (move the module to shared/): {wrong}"


def test_shared_holds_what_two_audiences_use():
    """A module only one audience needs lives in that audience's folder."""
    graph = {"js/" + name(path): [t for t in imports(path) if t.startswith("js/")] for path in modules()}
    users: dict[str, set[str]] = {module: set() for module in graph}
    for module in graph:
        audience = module.split("/")[1]
        if audience not in AUDIENCES:
            continue
        seen, todo = set(), [module]
        while todo:
            for target in graph[todo.pop()]:
                if target not in seen:
                    seen.add(target)
                    todo.append(target)
        for target in seen:
            users[target].add(audience)
    lonely = {module: sorted(who) for module, who in users.items() if module.startswith("js/shared/") and len(who) < 2}
    assert not lonely, f"shared/ modules with fewer than two audiences: {lonely}"


def test_what_a_module_finds_beside_itself_is_there():
    found = [(path, target) for path in modules() for target in BESIDE.findall(path.read_text(encoding="utf-8"))]
    assert found, "no new URL(..., import.meta.url) left: drop this test"
    for path, target in found:
        assert (path.parent / target).resolve().exists(), f"{name(path)} looks for {target} beside itself"


def test_every_page_loads_static_files_that_exist():
    named = [(page.name, path) for page in sorted((ROOT / "templates").glob("*.html"))
             for path in STATIC_URL.findall(page.read_text(encoding="utf-8"))]
    assert len(named) > 15
    missing = [(page, path) for page, path in named if not (ROOT / "static" / path).is_file()]
    assert not missing, f"pages load files that are not there: {missing}"


def test_the_vendored_lit_html_is_the_pinned_one():
    script = (ROOT / "scripts" / "vendor.sh").read_text(encoding="utf-8")
    version = re.search(r"^LITHTML_VERSION=(\S+)", script, re.M).group(1)
    bundle = (ROOT / "static" / "vendor" / "lit-html.esm.min.js").read_text(encoding="utf-8")
    assert bundle.startswith(f"/* lit-html {version} ")
    assert "sourceMappingURL" not in bundle and "//cdn" not in bundle and "import(" not in bundle
    for export in ("html", "render", "nothing", "repeat", "live"):
        assert re.search(rf"\bas {export}\b", bundle), export
    assert f"| {version} |" in (ROOT / "static" / "vendor" / "README.md").read_text(encoding="utf-8")
