"""The screens' plural rule (static/js/shared/plural.js), run in Node, agrees with Babel's for several
languages."""

from __future__ import annotations

import gettext
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from babel.messages.plurals import get_plural

TOP = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("node") is None, reason="node runs the screens' plural rule")
def test_the_screens_plural_rule_agrees_with_babel_for_several_languages(tmp_path):
    languages = ["en", "fr", "ar", "ru", "pl", "cs", "ga", "ja", "lv", "sl"]
    rules = {lang: get_plural(lang) for lang in languages}
    script = tmp_path / "plural.mjs"
    script.write_text(
        f'import {{ parsePlural }} from "{(TOP / "static" / "js" / "shared" / "plural.js").as_uri()}";\n'
        f"const rules = {json.dumps({k: [r.plural_expr, r.num_plurals] for k, r in rules.items()})};\n"
        "const out = {};\n"
        "for (const [lang, [expr, n]] of Object.entries(rules)) {\n"
        "  const f = parsePlural(expr, n); out[lang] = [];\n"
        "  for (let i = 0; i <= 1200; i += 1) out[lang].push(f(i));\n"
        "}\n"
        "console.log(JSON.stringify(out));\n", encoding="utf-8")
    result = subprocess.run(["node", str(script)], capture_output=True, text=True, check=True)
    got = json.loads(result.stdout)
    for lang, rule in rules.items():
        python_rule = gettext.c2py(rule.plural_expr)  # the standard library's reading of a gettext rule
        assert got[lang] == [python_rule(n) for n in range(1201)], lang
