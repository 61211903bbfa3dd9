"""Turn a finished :class:`~mt.records.Doc` into corpus rows and set-aside rows.

This is the single place that decides which input line ends up where, so the
line accounting (``lines_in == lines_in_corpus + lines_set_aside``) holds by
construction.
"""
from __future__ import annotations

from typing import Any

from ..records import Doc, caption_id

# Score fields of a corpus row (fixed, so every Parquet shard has one schema).
SCORE_FIELDS = ("align", "similarity", "length_ratio", "guard", "chrf", "tm")

# Relations whose Vietnamese line has a Thai counterpart (-> a captions row).
PAIRED_RELATIONS = ("translation", "title")

SET_ASIDE_REASONS = {
    "metadata": "metadata line (kept in the document fields publication/date)",
    "caption_vi": "Vietnamese line without a Thai counterpart",
    "credit": "photo credit (kept in the row's provenance, not translated)",
    "source_url": "source URL footer (kept in the document field source_url)",
    "byline": "author byline",
    "chrome": "site chrome (banner, menus, counters, related headlines)",
    "artefact": "artefact (ad placeholder or stray fragment)",
    "image": "image markup or file name without text",
    "blank": "blank line",
    "invalid": "line could not be read or parsed",
}


def _scores(raw: dict[str, Any]) -> dict[str, float | None]:
    return {k: (None if raw.get(k) is None else float(raw[k])) for k in SCORE_FIELDS}


def sentence_rows(doc: Doc) -> list[dict[str, Any]]:
    meta = doc.meta
    lines = {(ln.line, ln.block): ln for ln in doc.lines}
    rows = []
    for u in doc.units:
        line = lines.get((u.line, u.block))
        credit = line.credit.who if line is not None and line.credit else None
        scores = dict(u.scores)
        if u.en is not None and u.th:
            scores.setdefault("length_ratio", round(len(u.en) / max(len(u.th), 1), 4))
        rows.append({
            "id": u.id, "doc_id": doc.doc_id, "file": doc.file, "line": u.line,
            "start": u.start, "end": u.end, "kind": u.kind,
            "th": u.th, "en": u.en, "vi": u.vi, "translation": {"th": u.th, "en": u.en, "vi": u.vi},
            "vi_line": u.vi_line, "relation": u.relation,
            "n_sentences": u.n_sentences, "scores": _scores(scores), "flags": list(u.flags),
            "credit": credit, "source_url": meta.get("source_url"), "date": meta.get("date"),
            "publication": meta.get("publication"), "title_th": meta.get("title_th"),
            "title_vi": meta.get("title_vi"),
        })
    return rows


def caption_rows(doc: Doc) -> list[dict[str, Any]]:
    rows = []
    for v in doc.vi_lines:
        if v.relation not in PAIRED_RELATIONS or v.th is None:
            continue
        rows.append({
            "id": caption_id(doc.doc_id, v.line, v.block), "doc_id": doc.doc_id, "file": doc.file, "line": v.line,
            "vi": v.vi, "th": v.th, "th_line": v.th_line, "en_from_th": v.en_from_th,
            "en_from_vi": v.en_from_vi, "relation": v.relation, "score": float(v.score),
            "reason": v.reason, "flags": list(v.flags),
        })
    return rows


def set_aside_rows(doc: Doc, sentences: list[dict], captions: list[dict],
                   filtered: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Every line (or text block, for HTML blocks that share a source line) of ``doc`` that no corpus row
    comes from, with its reason. ``filtered``: ids of sentence rows the ``[output]`` filters dropped -> why."""
    kept = {r["id"] for r in sentences}
    in_corpus = {(u.line, u.block) for u in doc.units if u.id in kept} | {
        (v.line, v.block) for v in doc.vi_lines if v.relation in PAIRED_RELATIONS and v.th is not None}
    why_filtered: dict[tuple[int, int], str] = {}
    for u in doc.units:
        if filtered and u.id in filtered:
            why_filtered.setdefault((u.line, u.block), f"all its rows filtered out ([output] filters): "
                                                       f"{filtered[u.id]}")
    problems = {p["line"]: p for p in doc.problems if p.get("line")}
    whole_file = next((p for p in doc.problems if p.get("all_lines")), None)
    vi_by_line = {(v.line, v.block): v for v in doc.vi_lines}
    rows = []
    for line in doc.lines:
        if (line.line, line.block) in in_corpus:
            continue
        reason = why_filtered.get((line.line, line.block)) or _reason(line, problems, whole_file, vi_by_line)
        rows.append({"doc_id": doc.doc_id, "file": doc.file, "line": line.line, "block": line.block,
                     "kind": line.kind, "reason": reason, "text": line.text})
    return rows


def _reason(line: Any, problems: dict, whole_file: dict | None, vi_by_line: dict) -> str:
    if whole_file or line.kind == "invalid":
        problem = problems.get(line.line) or whole_file
        return SET_ASIDE_REASONS["invalid"] + (f": {problem['error']}" if problem else "")
    if (line.line, line.block) in vi_by_line:
        v = vi_by_line[(line.line, line.block)]
        return f"Vietnamese line, relation {v.relation}" + (f": {v.reason}" if v.reason else "")
    if line.kind in SET_ASIDE_REASONS:
        detail = line.info.get("reason")     # the parser's specific reason, e.g. "image file name"
        return SET_ASIDE_REASONS[line.kind] + (f": {detail}" if isinstance(detail, str) and detail else "")
    return f"{line.kind} line with no Thai text to translate"
