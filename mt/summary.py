"""The end-of-run summary a person reads (stderr); the manifest keeps the same counts for machines."""
from __future__ import annotations

from typing import Any

def _table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> list[str]:
    cells = [tuple(str(c) for c in header)] + [tuple(str(c) for c in r) for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]

    def fmt(row: tuple[str, ...]) -> str:   # first column left-aligned, numbers right-aligned
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))

    return [fmt(cells[0]), "  ".join("-" * w for w in widths), *map(fmt, cells[1:])]


def step_rows(manifest: dict[str, Any]) -> list[tuple[Any, ...]]:
    """(step, docs, lines, rows, seconds) per step, in run order, from the manifest's per-step stats."""
    rows: list[tuple[Any, ...]] = [("load engines", "", "", "", f"{manifest['timings_s'].get('load_engines', 0):.1f}")]
    for name, s in manifest.get("steps", {}).items():
        counts = s.get("counts", {})
        produced = counts.get("translated_units", s["units"]) if name == "translate" else s["units"]
        rows.append((name, s["docs"], s["lines"], produced, f"{s['seconds']:.1f}"))
    return rows


def format_summary(manifest: dict[str, Any]) -> str:
    """Steps, set-aside lines by reason, flags and problems, as a few aligned tables."""
    c = manifest["counts"]
    lines = _table(("step", "docs", "lines", "rows", "seconds"), step_rows(manifest))
    lines.append(f"lines in {c['lines_in']} = {c['lines_in_corpus']} in the corpus + {c['lines_set_aside']} set aside")
    if c["set_aside_by_kind"]:
        lines += ["", *_table(("set aside (kind)", "lines"), sorted(c["set_aside_by_kind"].items(),
                                                                  key=lambda kv: -kv[1]))]
    if c["rows_by_flag"]:
        lines += ["", *_table(("flag", "rows"), sorted(c["rows_by_flag"].items(), key=lambda kv: -kv[1]))]
    if c["input_problems"]:
        lines += ["", f"input problems: {c['input_problems']} (problems.jsonl)"]
    if "total" in manifest.get("timings_s", {}):
        lines.append(f"total {manifest['timings_s']['total']:.1f} s")
    return "\n".join(lines)


def run_warnings(manifest: dict[str, Any]) -> list[str]:
    """Things a finished run should say even though it succeeded."""
    c = manifest["counts"]
    out = []
    if c["docs"] and not c["rows_sentences"]:
        out.append(f"the run produced 0 corpus rows from {c['docs']} page(s): check the inputs are Thai news pages")
    elif c.get("docs_without_thai"):
        names = ", ".join(c.get("files_without_thai", [])[:5])
        out.append(f"{c['docs_without_thai']} page(s) gave no Thai corpus row: {names}"
                   + (" ..." if c["docs_without_thai"] > 5 else ""))
    if not c["docs"]:
        out.append("no input pages were found: check [input].paths and patterns")
    return out
