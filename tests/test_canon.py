"""Integrity tests for the bundled canon (kb/data/canon.bib) and taxonomy.

These tests only read files under kb/data/; they do not import the kb package.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections import Counter
from pathlib import Path

import bibtexparser
import pytest

DATA = Path(__file__).resolve().parents[1] / "kb" / "data"
CANON = DATA / "canon.bib"
TAXONOMY = DATA / "taxonomy.toml"
SOURCES = DATA / "CANON_SOURCES.md"

NEW_ARXIV_ID = re.compile(r"^\d{4}\.\d{4,5}$")
OLD_ARXIV_ID = re.compile(r"^[a-z][a-z\-]*(\.[A-Z]{2})?/\d{7}$")
DOI = re.compile(r"^10\.\d{4,9}/\S+$")
PRIMARY_CLASS = re.compile(r"^[a-z][a-z\-]*(\.[A-Za-z\-]+)?$")
YEAR = re.compile(r"^(19|20)\d{2}$")
KEY_SUFFIX = re.compile(r"^[a-z]?$")

STOPWORDS = {"a", "an", "the", "on", "of", "in", "for", "to", "towards", "toward"}
SURVEYS = {"ruder2017overview": "1706.05098", "crawshaw2020multi": "2009.09796"}
MIN_ENTRIES = 62


@pytest.fixture(scope="module")
def text() -> str:
    return CANON.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def library(text):
    return bibtexparser.parse_string(text)


@pytest.fixture(scope="module")
def entries(library):
    return library.entries


@pytest.fixture(scope="module")
def topics() -> dict:
    with TAXONOMY.open("rb") as fh:
        return tomllib.load(fh)["topics"]


def field(entry, name: str) -> str | None:
    """Value of a field, looked up case-insensitively (BibTeX is case-insensitive)."""
    for f in entry.fields:
        if f.key.lower() == name.lower():
            return str(f.value).strip()
    return None


def field_names(entry) -> list[str]:
    return [f.key.lower() for f in entry.fields]


_LATEX_LETTER_MACROS = {"o": "o", "O": "O", "l": "l", "L": "L", "i": "i", "j": "j",
                        "ss": "ss", "ae": "ae", "AE": "AE", "oe": "oe", "OE": "OE",
                        "aa": "a", "AA": "A"}


# Letters that NFKD does not reduce to an ASCII base letter.
_NON_DECOMPOSING = str.maketrans({"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "ß": "ss",
                                  "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE",
                                  "đ": "d", "Đ": "D", "ı": "i"})


def latex_to_ascii(value: str) -> str:
    """Crude LaTeX/Unicode to ASCII folding, good enough for names and titles."""
    # Letter macros such as {\o} or \ss.
    value = re.sub(r"\\([A-Za-z]+)\b\s*",
                   lambda m: _LATEX_LETTER_MACROS.get(m.group(1), ""), value)
    # Accent macros such as \"o, \'a, \u{g}: keep the base letter.
    value = re.sub(r"\\[^A-Za-z\s]", "", value)
    value = value.replace("{", "").replace("}", "")
    value = value.translate(_NON_DECOMPOSING)
    value = unicodedata.normalize("NFKD", value)
    return value.encode("ascii", "ignore").decode("ascii")


def first_author_last_name(author_field: str) -> str:
    first = re.split(r"\s+and\s+", author_field.strip())[0]
    last = first.split(",")[0] if "," in first else first.split()[-1]
    return re.sub(r"[^a-z]", "", latex_to_ascii(last).lower())


def first_title_word(title: str) -> str:
    words = [w for w in re.split(r"[^a-z]+", latex_to_ascii(title).lower()) if w]
    for word in words:
        if word not in STOPWORDS:
            return word
    raise AssertionError(f"title has no significant word: {title!r}")


def expected_key(entry) -> str:
    return (first_author_last_name(field(entry, "author"))
            + field(entry, "year")
            + first_title_word(field(entry, "title")))


# ---------------------------------------------------------------------------
# canon.bib
# ---------------------------------------------------------------------------


def test_no_failed_blocks(library):
    assert library.failed_blocks == [], [b.raw[:200] for b in library.failed_blocks]


def test_no_duplicate_keys(text, entries):
    raw_keys = re.findall(r"^\s*@\w+\s*\{\s*([^,\s]+)\s*,", text, flags=re.MULTILINE)
    dupes = [k for k, n in Counter(raw_keys).items() if n > 1]
    assert not dupes, dupes
    assert len(raw_keys) == len(entries)
    dupes_ci = [k for k, n in Counter(e.key.lower() for e in entries).items() if n > 1]
    assert not dupes_ci, dupes_ci


def test_minimum_size(entries):
    assert len(entries) >= MIN_ENTRIES


def test_both_seed_surveys_present(entries):
    by_key = {e.key: e for e in entries}
    for key, arxiv_id in SURVEYS.items():
        assert key in by_key, key
        assert field(by_key[key], "eprint") == arxiv_id
        assert "surveys" in keywords_of(by_key[key])


def test_required_fields(entries):
    for entry in entries:
        for name in ("title", "author", "year"):
            value = field(entry, name)
            assert value, f"{entry.key}: missing {name}"
        assert YEAR.match(field(entry, "year")), f"{entry.key}: bad year"


def test_every_entry_has_a_venue(entries):
    for entry in entries:
        assert field(entry, "journal") or field(entry, "booktitle"), entry.key


def test_entry_types(entries):
    allowed = {"article", "inproceedings", "misc", "book", "incollection", "techreport"}
    for entry in entries:
        assert entry.entry_type.lower() in allowed, (entry.key, entry.entry_type)


def test_author_lists_are_bibtex_form(entries):
    """'Last, First and Last, First ...'; 'and others' only for very long lists."""
    for entry in entries:
        authors = re.split(r"\s+and\s+", field(entry, "author"))
        for name in authors:
            if name == "others":
                assert len(authors) > 10, f"{entry.key}: 'and others' on a short list"
                continue
            assert name.count(",") in (1, 2), f"{entry.key}: {name!r} not 'Last, First'"
            last, first = name.split(",", 1)
            assert last.strip() and first.strip(), f"{entry.key}: {name!r}"


def test_no_abstracts(text, entries):
    for entry in entries:
        assert "abstract" not in field_names(entry), entry.key
    assert not re.search(r"^\s*abstract\s*=", text, flags=re.MULTILINE | re.IGNORECASE)


def test_arxiv_ids_well_formed(entries):
    for entry in entries:
        eprint = field(entry, "eprint")
        if eprint is None:
            continue
        assert NEW_ARXIV_ID.match(eprint) or OLD_ARXIV_ID.match(eprint), (entry.key, eprint)
        assert field(entry, "archiveprefix") == "arXiv", entry.key
        primary = field(entry, "primaryclass")
        if primary is not None:
            assert PRIMARY_CLASS.match(primary), (entry.key, primary)


def test_no_duplicate_arxiv_ids(entries):
    ids = [field(e, "eprint") for e in entries if field(e, "eprint")]
    dupes = [i for i, n in Counter(ids).items() if n > 1]
    assert not dupes, dupes


def test_dois_well_formed_and_unique(entries):
    dois = []
    for entry in entries:
        doi = field(entry, "doi")
        if doi is None:
            continue
        assert DOI.match(doi), (entry.key, doi)
        assert not doi.lower().startswith("10.48550/"), f"{entry.key}: use eprint, not arXiv DOI"
        dois.append(doi.lower())
    dupes = [d for d, n in Counter(dois).items() if n > 1]
    assert not dupes, dupes


def test_keys_follow_naming_rule(entries):
    """key = lastname + year + first significant title word (+ a/b/c on collision)."""
    for entry in entries:
        expected = expected_key(entry)
        assert entry.key.startswith(expected), (entry.key, expected)
        assert KEY_SUFFIX.match(entry.key[len(expected):]), (entry.key, expected)
        assert entry.key == entry.key.lower() and entry.key.isascii(), entry.key


def test_key_suffixes_only_on_collision(entries):
    bases = Counter(expected_key(e) for e in entries)
    for entry in entries:
        base = expected_key(entry)
        if entry.key != base:
            assert bases[base] > 1, f"{entry.key}: suffix without a collision"


# ---------------------------------------------------------------------------
# keywords <-> taxonomy
# ---------------------------------------------------------------------------


def keywords_of(entry) -> list[str]:
    raw = field(entry, "keywords") or ""
    return [k.strip() for k in raw.split(",") if k.strip()]


def test_every_entry_has_keywords(entries):
    for entry in entries:
        assert keywords_of(entry), entry.key


def test_keywords_are_taxonomy_topics(entries, topics):
    for entry in entries:
        kws = keywords_of(entry)
        assert len(kws) == len(set(kws)), f"{entry.key}: repeated keyword"
        for kw in kws:
            assert kw in topics, f"{entry.key}: unknown topic {kw!r}"


# ---------------------------------------------------------------------------
# taxonomy.toml
# ---------------------------------------------------------------------------


def test_taxonomy_top_level_areas(topics):
    for area in ("architectures", "optimization", "task-relationships", "benchmarks", "surveys"):
        assert area in topics, area
        assert "parent" not in topics[area], area


def test_taxonomy_topics_well_formed(topics):
    for topic_id, topic in topics.items():
        assert re.match(r"^[a-z][a-z\-]*(/[a-z][a-z\-]*)?$", topic_id), topic_id
        assert isinstance(topic.get("title"), str) and topic["title"], topic_id
        assert isinstance(topic.get("description"), str) and topic["description"], topic_id
        if "/" in topic_id:
            parent = topic.get("parent")
            assert parent == topic_id.split("/")[0], topic_id
            assert parent in topics and "parent" not in topics[parent], topic_id
        else:
            assert "parent" not in topic, topic_id
        if "source" in topic:
            assert isinstance(topic["source"], str) and topic["source"], topic_id


def test_every_topic_is_used_or_is_an_area(entries, topics):
    used = {kw for e in entries for kw in keywords_of(e)}
    unused = [t for t in topics if "/" in t and t not in used]
    assert not unused, unused


# ---------------------------------------------------------------------------
# CANON_SOURCES.md
# ---------------------------------------------------------------------------


def test_every_entry_has_a_recorded_source(entries):
    sources = SOURCES.read_text(encoding="utf-8")
    missing = [e.key for e in entries if f"`{e.key}`" not in sources]
    assert not missing, missing
