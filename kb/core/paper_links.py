"""A paper's code and dataset links (``mtlkb link KEY --code URL --dataset NAME=URL``).

Only http(s) URLs are kept. A reproduction linked to the paper (by arXiv id, DOI or by hand)
is its first code link, computed when read; the canon's verified repositories are stored
with source ``canon`` (:mod:`kb.core.canon_record`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from kb.clock import now_iso
from kb.config import KB, KBError
from kb.models.record import PaperLink
from kb.store import paper_links as store
from kb.store.lookup import resolve_key

MAX_URL = 2_000


def clean_url(value: str) -> str:
    """An absolute http(s) URL, trimmed; anything else is refused with a reason."""
    url = str(value).strip()
    if not url or any(c.isspace() or ord(c) < 32 or c in "<>\"'`" for c in url):
        raise KBError(f"not a usable URL: {value!r} (no spaces, quotes or angle brackets)")
    if len(url) > MAX_URL:
        raise KBError(f"a URL is at most {MAX_URL} characters")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise KBError(f"not an http(s) URL: {value!r}")
    return url


def parse_dataset(spec: str) -> tuple[str, str]:
    """``NAME=URL`` (or a bare URL) -> ``(name, url)``."""
    spec = str(spec).strip()
    if spec.lower().startswith(("http://", "https://")):
        return "", clean_url(spec)
    name, sep, url = spec.partition("=")
    name = " ".join(name.split())
    if not sep or not name:
        raise KBError(f"--dataset takes NAME=URL, not {spec!r}")
    if len(name) > 200:
        raise KBError("a dataset name is at most 200 characters")
    return name, clean_url(url)


@dataclass
class LinkChange:
    key: str
    added: list[PaperLink] = field(default_factory=list)
    removed: list[PaperLink] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # --remove of a URL the paper lacks

    def as_json(self) -> dict:
        return {"key": self.key, "added": [x.public_dict() for x in self.added],
                "removed": [x.public_dict() for x in self.removed], "missing": self.missing}


def change_links(kb: KB, ref: str, code: list[str] | None = None,
                 datasets: list[str] | None = None, *, remove: bool = False,
                 source: str = "manual") -> LinkChange:
    """Add (or with ``remove`` delete) code URLs and ``NAME=URL`` datasets of a paper.

    Every value is checked before the store is touched: one bad URL changes nothing.
    """
    wanted = [PaperLink(key="", kind="code", url=clean_url(u)) for u in code or []]
    for spec in datasets or []:
        if remove and not spec.strip().lower().startswith(("http://", "https://")) \
                and "=" not in spec:
            raise KBError(f"--remove --dataset takes NAME=URL or the URL, not {spec!r}")
        name, url = parse_dataset(spec)
        wanted.append(PaperLink(key="", kind="dataset", url=url, name=name))
    if not wanted:
        raise KBError("nothing to link: give --code URL or --dataset NAME=URL")
    stamp = now_iso()
    with kb.write() as db:
        key = resolve_key(db, ref)
        if key is None:
            raise KBError(f"no paper {ref!r} in {kb.root}")
        change = LinkChange(key)
        for item in wanted:
            item = item.model_copy(update={"key": key, "source": source, "added_at": stamp})
            assert item.url is not None
            if remove:
                if store.remove_link(db, key, item.kind, item.url):
                    change.removed.append(item)
                else:
                    change.missing.append(item.url)
            elif store.add_link(db, item):
                change.added.append(item)
    return change


def reproduction_links(kb: KB, key: str) -> list[PaperLink]:
    """The reproductions linked to a paper, as code links (the paper's first ones)."""
    from kb.repro.links import linked_reproduction_ids
    from reproductions import registry

    out = []
    for repro_id in linked_reproduction_ids(kb, key):
        module = registry.get(repro_id).module
        out.append(PaperLink(key=key, kind="code", name=repro_id, source="reproduction",
                             url=module.replace(".", "/") + ".py", reproduction=repro_id))
    return out


def links_of(kb: KB, key: str) -> list[PaperLink]:
    """A paper's code links (linked reproductions first) then its dataset links."""
    if not kb.has_store:
        return []
    stored = store.links_of(kb.conn, key)
    return (reproduction_links(kb, key) + [x for x in stored if x.kind == "code"]
            + [x for x in stored if x.kind == "dataset"])


def links_record(kb: KB, key: str) -> dict[str, list[dict]]:
    """``show --json``'s ``links``: ``{code: [...], datasets: [...]}``."""
    items = links_of(kb, key)
    return {"code": [x.public_dict() for x in items if x.kind == "code"],
            "datasets": [x.public_dict() for x in items if x.kind == "dataset"]}
