"""The prebuilt search index (kb/site/search_index.py) and the worker that reads it.

The worker itself runs under Node when it is installed (it is plain JavaScript with no
browser API but postMessage / addEventListener, stubbed here); the browser tests cover it
in Chromium.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from kb.site.search_index import SEARCH_WORKER_PATH, fold, index_json, pack, words

ENTRIES = [
    {"location": "papers/a.html", "title": "$\\alpha$-MTL: weighting",
     "text": "<p>Jörg Müller</p>"},
    {"location": "papers/a.html#note", "title": "Reading note", "text": "quokka &amp; friends"},
    {"location": "papers/b.html", "title": "基于梯度的多任务学习", "text": "", "tags": ["surveys"]},
]


def test_fold_and_words_as_the_worker_does():
    assert fold("Müller ÉCOLE") == "muller ecole"
    assert words(fold("$\\alpha$-MTL")) == ["alpha", "mtl"]
    assert "梯度" in words("基于梯度的") and "梯" in words("基于梯度的")


def test_pack_posting_lists():
    packed = pack(ENTRIES)
    terms = packed["terms"]

    def ids(field: str, term: str) -> list[int]:
        raw = packed[field][terms.index(term)]
        out, v = [], 0
        for part in raw.split(".") if raw else []:
            v += int(part)
            out.append(v)
        return out

    assert ids("title", "alpha") == [0] and ids("text", "muller") == [0]
    assert ids("text", "quokka") == [1] and ids("title", "梯度") == [2]
    assert ids("title", "surveys") == [2]  # tags count as title words
    assert terms == sorted(terms, key=lambda t: t.encode("utf-16-be"))
    raw = json.loads(index_json({"lang": ["en"]}, ENTRIES))
    assert raw["docs"] == [] and json.loads(raw["config"]["mtlkb"])["terms"] == terms


NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_worker_answers_from_the_prebuilt_index(tmp_path: Path):
    index = tmp_path / "index.json"
    index.write_text(index_json({"lang": ["en"]}, ENTRIES), encoding="utf-8")
    script = tmp_path / "run.js"
    script.write_text(
        "const fs = require('fs'); let handler, out = [];\n"
        "global.addEventListener = (t, f) => { handler = f; };\n"
        "global.postMessage = m => out.push(m);\n"
        f"eval(fs.readFileSync({json.dumps(str(SEARCH_WORKER_PATH))}, 'utf8'));\n"
        f"const idx = JSON.parse(fs.readFileSync({json.dumps(str(index))}, 'utf8'));\n"
        "handler({data: {type: 0, data: {config: idx.config, docs: idx.docs}}});\n"
        "const res = {};\n"
        "for (const q of ['alpha', 'Muller', '梯度', 'quok', 'friends']) {\n"
        "  handler({data: {type: 2, data: q}});\n"
        "  res[q] = out[out.length - 1].data.items.map(g => g.map(d => [d.location, d.title]));\n"
        "}\n"
        "console.log(JSON.stringify(res));\n", encoding="utf-8")
    proc = subprocess.run([NODE, str(script)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout)
    assert res["alpha"][0][0][0] == "papers/a.html"
    assert res["Muller"][0][0][0] == "papers/a.html"
    assert res["梯度"][0][0][0] == "papers/b.html"
    # a note hit comes under its page, which leads the group with the paper's title
    group = res["quok"][0]
    assert group[0] == ["papers/a.html", "$\\alpha$-MTL: weighting"]
    assert group[1][0] == "papers/a.html#note"
    assert res["friends"][0][1][0] == "papers/a.html#note"
