"""The core of ``mtlkb import``: BibTeX (or an ``mtlkb export --format json`` file) -> store.

Every file is parsed first; then all records go into the store in ONE write transaction
(``BEGIN IMMEDIATE``), each under a savepoint so one bad record cannot spoil the others.
``dry_run`` (and ``strict`` when anything failed) runs the very same writes and rolls them
back, so the report says exactly what would have happened (merges, replaced keys).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from kb.config import KB, KBError
from kb.core.record_io import import_record
from kb.core.social import import_social
from kb.notes.create import ensure_notes
from kb.sources.mtlkb_json import JsonRecord
from kb.sources.records import BibRecord, Problem
from kb.store.papers import PaperWriter, PutResult

# Show a progress bar (when asked to, i.e. on a terminal) from this many input bytes on.
PROGRESS_MIN_BYTES = 256 * 1024


@dataclass
class Merge:
    """``key`` (as written in ``loc``) is the same paper as the stored ``into``."""

    key: str | None
    into: str
    why: str
    loc: str


@dataclass
class KeyChange:
    requested: str
    key: str
    reason: str
    loc: str


@dataclass
class ImportReport:
    files: list[str] = field(default_factory=list)
    records: int = 0  # entries read without error
    added: list[str] = field(default_factory=list)
    merged: list[Merge] = field(default_factory=list)
    key_changes: list[KeyChange] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    written: bool = False
    dry_run: bool = False
    strict: bool = False
    social: bool = False  # a JSON export's social record was imported
    notes: list[Path] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # key changes and merges, input order

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.kind == "error"]

    @property
    def failed(self) -> bool:
        return bool(self.errors)

    @property
    def keys(self) -> list[str]:
        """The stored keys of every imported record (added or merged), in input order."""
        return list(dict.fromkeys([*self.added, *(m.into for m in self.merged)]))

    def info_lines(self) -> list[str]:
        """One line per replaced key and per record merged into another key, in input order."""
        return list(self.notices)

    def problem_lines(self) -> list[str]:
        return [str(p) for p in self.problems]

    def summary(self) -> str:
        same_key = sum(1 for m in self.merged if m.key == m.into)
        merged_text = f"{len(self.merged)} merged"
        if same_key:
            merged_text += f" ({same_key} already in the KB)"
        n_err = len(self.errors)
        text = (
            f"{self.records} entr{'y' if self.records == 1 else 'ies'} read from "
            f"{len(self.files)} file(s): {len(self.added)} added, {merged_text}, "
            f"{n_err} error(s)"
        )
        if self.social:
            text += ", social record imported"
        if self.dry_run:
            text += " — dry run, nothing written"
        elif not self.written:
            text += " — nothing written (--strict and there were errors)"
        return text


class _Rollback(Exception):
    pass


# -- reading -----------------------------------------------------------------------------
def read_files(
    files: Sequence[Path | str], report: ImportReport, on_parse=None
) -> tuple[list[BibRecord], list[dict]]:
    """Every file's records, each file read by the source whose format it is
    (:mod:`kb.sources.registry`: CSL-JSON, mtlkb JSON, BibTeX). The BibTeX files of one
    import are one namespace, as in BibTeX: ``@string`` macros carry over to later files,
    ``crossref`` spans files."""
    from kb.sources.registry import read_paths

    parsed, names = read_paths(files, on_parse)
    report.files.extend(names)
    report.problems.extend(parsed.problems)
    report.records = len(parsed.records)
    return parsed.records, parsed.socials


# -- writing -----------------------------------------------------------------------------
class _Retry(Exception):
    pass


def _store(kb: KB, records: list[BibRecord], socials: list[dict], report: ImportReport,
           advance, careful: bool = False) -> None:
    """Put every record in one transaction. A record the store rejects aborts the fast
    pass (``_Retry``); the careful pass then puts each record under a savepoint and reports
    the rejected ones (savepoints cost about as much as the rest of a put, so only then)."""
    with kb.write() as db:
        # The fast pass queues new papers and writes them in batches (see PaperWriter).
        writer = PaperWriter(db, batch=not careful)
        key_map: dict[str, str] = {}
        for rec in records:
            try:
                # careful: each record under a savepoint (sqlite-utils' nested atomic()),
                # rolled back alone when the store rejects it
                with db.atomic() if careful else nullcontext():
                    res = writer.put(rec.paper)
            except (sqlite3.Error, ValueError) as exc:
                if not careful:
                    raise _Retry from exc
                writer = PaperWriter(db)  # its in-memory indexes may be ahead of the store
                report.problems.append(Problem(
                    rec.file, rec.line,
                    ("" if rec.item is None else f"item {rec.item}: ")
                    + f"entry {rec.paper.key!r} could not be stored ({exc})",
                    rec.paper.key,
                ))
                advance()
                continue
            loc = rec.loc
            if rec.paper.key:
                key_map[rec.paper.key] = res.key
            if res.action == "added":
                report.added.append(res.key)
                if isinstance(rec, JsonRecord) and (rec.aliases or rec.versions):
                    writer.keep_identity(res.key, rec.aliases, rec.versions)
                if res.kept_apart is not None:
                    report.notices.append(
                        f"{loc}: {res.key!r} not merged into {res.kept_apart!r}: the two were "
                        "split by `mtlkb split`")
                if res.suspect is not None:
                    report.notices.append(
                        f"{loc}: {res.key!r} may be the same paper as {res.suspect!r} but was "
                        f"not merged ({res.suspect_why}); `mtlkb merge {res.suspect} {res.key}` "
                        "merges them"
                    )
                if res.requested_key is not None:
                    kc = KeyChange(res.requested_key, res.key, _reason(res.key_reason), loc)
                    report.key_changes.append(kc)
                    report.notices.append(
                        f"{loc}: key {kc.requested!r} {kc.reason}; stored as {kc.key!r}"
                    )
            else:
                m = Merge(rec.paper.key, res.key, res.why or "same title and year", loc)
                report.merged.append(m)
                if m.key != m.into:
                    report.notices.append(
                        f"{loc}: {m.key!r} merged into {m.into!r} ({m.why})" + _as_version(res))
            advance()
        if not careful:
            try:
                writer.flush()
            except (sqlite3.Error, ValueError) as exc:
                raise _Retry from exc
        if socials:
            _import_social(kb, [_remap_social(s, key_map) for s in socials], report, key_map)
        if report.dry_run or (report.strict and report.failed):
            raise _Rollback
        report.written = True


def _as_version(res: PutResult) -> str:
    """What a merge kept: the record as a version, and which version the paper is cited as."""
    if res.version is None:
        return ""
    if res.version_kept:
        return f"; already kept as its {res.version} version, nothing changed"
    if res.cited:
        return (f"; kept as its {res.version} version, which the paper is now cited as "
                "(the other version kept too)")
    return f"; kept as a {res.version} version"


def _reason(reason: str | None) -> str:
    if reason == "not a safe file name":
        return "is not a safe file name"
    if reason == "already used by another paper":
        return "is already used by another paper"
    return reason or "could not be kept"


def _remap_social(social: dict, key_map: dict[str, str]) -> dict:
    """The social record with paper keys renamed where a paper was stored under another key."""
    if not any(k != v for k, v in key_map.items()):
        return social

    def fix(item):
        if isinstance(item, str):
            return key_map.get(item, item)
        if isinstance(item, dict):
            item = dict(item)
            for name in ("key", "paper_key"):
                if isinstance(item.get(name), str):
                    item[name] = key_map.get(item[name], item[name])
        return item

    out = dict(social)
    for section in ("papers", "reviews"):
        if isinstance(out.get(section), list):
            out[section] = [fix(i) for i in out[section]]
    if isinstance(out.get("collections"), list):
        colls = []
        for c in out["collections"]:
            if isinstance(c, dict) and isinstance(c.get("papers"), list):
                c = dict(c, papers=[fix(i) for i in c["papers"]])
            colls.append(c)
        out["collections"] = colls
    return out


def _import_social(kb: KB, socials: list[dict], report: ImportReport,
                   key_map: dict[str, str] | None = None) -> None:
    where = next((f for f in report.files if f.lower().endswith(".json")), "?")

    for social in socials:
        try:
            import_social(kb, social)
            if isinstance(social.get("record"), dict):
                import_record(kb, social["record"], key_map or {})
        except KBError as exc:
            report.problems.append(Problem(where, 0, f"social record not imported ({exc})"))
            return
    report.social = True


def _notes(kb: KB, report: ImportReport) -> None:
    report.notes.extend(ensure_notes(kb, list(report.keys)))  # the template read once


def run(
    kb: KB,
    files: Sequence[Path | str],
    *,
    strict: bool = False,
    dry_run: bool = False,
    progress: bool = False,
    notes: bool = False,
) -> ImportReport:
    """Import ``files`` (BibTeX, or JSON exports) into ``kb``; never raises for bad input.

    ``strict``: write nothing when anything failed. ``dry_run``: write nothing, report all.
    ``progress``: show a rich progress bar for large inputs (pass it only on a terminal).
    ``notes``: create the reading note of every imported paper (after the transaction).
    """
    from kb.sources.bibtex_source import gc_paused

    with gc_paused():
        report = _run(kb, files, strict, dry_run, progress)
    if notes and report.written:
        _notes(kb, report)
    return report


def _run(kb: KB, files, strict: bool, dry_run: bool, progress: bool) -> ImportReport:
    report = ImportReport(dry_run=dry_run, strict=strict)
    size = 0
    for f in files:
        try:
            size += Path(f).stat().st_size
        except OSError:
            pass
    if progress and size >= PROGRESS_MIN_BYTES:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
            MofNCompleteColumn(), TimeElapsedColumn(), transient=True,
        ) as bar:
            parse_task = bar.add_task("reading", total=None)
            records, socials = read_files(
                files, report, lambda name: bar.update(parse_task, description=f"reading {name}")
            )
            bar.remove_task(parse_task)
            task = bar.add_task("storing", total=len(records))
            step = max(1, len(records) // 200)
            counter = [0]

            def advance() -> None:
                counter[0] += 1
                if counter[0] % step == 0:
                    bar.update(task, completed=counter[0])

            _write(kb, records, socials, report, advance)
    else:
        records, socials = read_files(files, report)
        _write(kb, records, socials, report, lambda: None)
    return report


def _write(kb, records, socials, report, advance) -> None:
    if not records and not socials:
        report.written = not report.dry_run and not (report.strict and report.failed)
        return
    n_problems = len(report.problems)
    try:
        try:
            _store(kb, records, socials, report, advance)
        except _Retry:
            del report.problems[n_problems:]
            report.added, report.merged, report.key_changes, report.notices = [], [], [], []
            _store(kb, records, socials, report, advance, careful=True)
    except _Rollback:
        report.written = False
