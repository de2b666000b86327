"""The canon record (``kb/data/canon_record.toml``): our summary of each canon paper, its
verified official code and the canon papers it cites, loaded into a KB holding the canon."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from kb.clock import now_iso
from kb.config import KB, KBError
from kb.core.paper_links import clean_url
from kb.models.record import PaperLink
from kb.store import citations as cite_store
from kb.store import enrichment as summaries
from kb.store import paper_links as link_store
from kb.store.lookup import all_keys

CANON_RECORD = Path(__file__).parent.parent / "data" / "canon_record.toml"


@dataclass
class CanonLoad:
    summaries: int = 0
    code_links: int = 0
    citations: int = 0

    def summary(self) -> str:
        return (f"canon record: {self.summaries} summaries, {self.code_links} new code links, "
                f"{self.citations} new citations")


def read_record(path: Path = CANON_RECORD) -> dict[str, dict]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise KBError(f"{path}: cannot read the canon record ({exc})") from None
    return {k: v for k, v in data.items() if isinstance(v, dict)}


def load_canon_record(kb: KB, path: Path = CANON_RECORD) -> CanonLoad:
    """Load what the record says about the canon papers this KB holds (idempotent)."""
    record = read_record(path)
    out = CanonLoad()
    stamp = now_iso()
    with kb.write() as db:
        keys = all_keys(db)
        for key, entry in record.items():
            if key not in keys:
                continue
            if isinstance(entry.get("summary"), str) and entry["summary"].strip():
                source = entry.get("summary_source")
                summaries.put_summary(db, key, " ".join(entry["summary"].split()),
                                      str(source) if source else None)
                out.summaries += 1
            for url in entry.get("code") or []:
                link = PaperLink(key=key, kind="code", url=clean_url(url), source="canon",
                                 added_at=stamp)
                out.code_links += link_store.add_link(db, link)
            for cited in entry.get("references") or []:
                if cited in keys and cited != key:
                    out.citations += cite_store.add_citation(db, key, cited, "canon")
    return out


def summary_of(kb: KB, key: str) -> dict[str, str | None] | None:
    found = summaries.summary_of(kb.conn, key) if kb.has_store else None
    return {"text": found[0], "source": found[1]} if found else None
