"""The paper record (issue 16) as text lines for ``mtlkb show`` (no heavy imports)."""

from typing import Any


def _thread(c: dict[str, Any], depth: int) -> list[str]:
    edited = f" (edited {c['edited_at']})" if c.get("edited_at") else ""
    head = f"{'  ' * depth}#{c['id']} {c['author']} · {c['created_at']}{edited}"
    body = [f"{'  ' * depth}  {line}" for line in str(c["body"]).splitlines() or [""]]
    out = [head, *body]
    for r in c.get("replies") or []:
        out += _thread(r, depth + 1)
    return out


def comment_lines(comments: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for c in comments:
        out += _thread(c, 0)
    return out


def record_lines(r: dict[str, Any]) -> list[str]:
    """Summary, links, citations in the KB, institutions, external counts, discussion."""
    lines: list[str] = []
    links = r.get("links") or {}
    for item in links.get("code") or []:
        lines.append(f"code: {item.get('url')}"
                     + (f" (reproduction {item['reproduction']})" if item.get("reproduction")
                        else ""))
    for item in links.get("datasets") or []:
        lines.append(f"dataset: {item.get('name') or '-'} {item.get('url')}")
    refs = (r.get("references") or {}).get("keys") or []
    by = (r.get("cited_by") or {}).get("keys") or []
    if refs or by:
        lines.append(f"cited by {len(by)} in this KB"
                     + (f" ({', '.join(by)})" if by else ""))
        if refs:
            lines.append(f"cites in this KB: {', '.join(refs)}")
    if r.get("institutions"):
        lines.append("institutions: " + "; ".join(i["name"] for i in r["institutions"]))
    for e in r.get("enrichment") or []:
        if e.get("citation_count") is not None:
            lines.append(f"citations ({e['source']}, {e['fetched_at'][:10]}): "
                         f"{e['citation_count']}")
        if e.get("oa_pdf"):
            lines.append(f"open-access pdf ({e['source']}): {e['oa_pdf']}")
    if r.get("summary"):
        lines += ["", "summary: " + r["summary"]["text"]]
    if r.get("comments"):
        lines += ["", f"discussion ({_count(r['comments'])} comment(s)):"]
        lines += comment_lines(r["comments"])
    return lines


def _count(comments: list[dict[str, Any]]) -> int:
    return sum(1 + _count(c.get("replies") or []) for c in comments)
