"""The dataset card (``README.md`` with YAML front matter) that makes ``load_dataset(OUTPUT_DIR)`` work."""
from __future__ import annotations

import json
from typing import Any


REVIEW_STATUSES = ("reviewed", "accepted", "rejected", "edited", "unreviewed")


def dataset_card(manifest: dict[str, Any], review: dict[str, Any] | None = None) -> str:
    """The card of a corpus directory; with ``review`` (default ``manifest["review"]``) the card of a
    reviewed export (``mt review export``). ``review`` holds ``source`` (the output directory exported),
    ``exported`` (ISO time), ``rows`` and the counts of :data:`REVIEW_STATUSES`, ``stale`` and ``orphans``
    (decisions on changed / missing rows), ``tmx_rows``, and ``columns`` (name -> description)."""
    review = manifest.get("review") if review is None else review
    sig = manifest.get("signature", {})
    fp = manifest.get("fingerprint")
    pattern = f"{{config}}-{fp}-*.parquet" if fp else "{config}-*.parquet"
    counts = manifest.get("counts", {})
    real = sig.get("is_real", True)
    warning = "" if real else (
        "\n> **WARNING: the `en` columns of this corpus are NOT real translations.** They were produced by "
        "`mt`'s tiny random-weight test model (preset `tiny`) to exercise the pipeline offline. Do not train "
        "or evaluate on them.\n"
    )
    lines = [
        "---",
        "language:", "- th", "- en", "- vi",
        "task_categories:", "- translation",
        "pretty_name: mt Thai-English-Vietnamese news corpus" + (" (reviewed)" if review else ""),
        "configs:",
        "- config_name: sentences",
        "  default: true",
        "  data_files:",
        "  - split: train",
        "    path: data/" + pattern.format(config="sentences"),
        "- config_name: captions",
        "  data_files:",
        "  - split: train",
        "    path: data/" + pattern.format(config="captions"),
        "---",
        "",
        "# mt corpus" + (" (reviewed)" if review else ""),
        warning,
        "Thai news pages (Thai translations of Vietnamese articles) parsed into typed lines, segmented into "
        "sentences, translated Thai→English, with embedded Vietnamese photo captions aligned to their Thai "
        "counterparts.",
        "",
    ]
    if review:
        lines += [f"Exported by `mt review export` on {review.get('exported', '?')} from the output directory "
                  f"`{review.get('source', '?')}`: every row of that corpus, with the reviewers' decisions applied.", ""]
    lines += [
        "```python",
        "from datasets import load_dataset",
        "sentences = load_dataset(\"path/to/this/dir\", \"sentences\", split=\"train\")",
        "captions = load_dataset(\"path/to/this/dir\", \"captions\", split=\"train\")",
        *(["clean = sentences.filter(lambda r: r[\"status\"] != \"rejected\")"] if review else []),
        "```",
        "",
        "## Configs",
        "",
        "* `sentences` (default): a row per Thai translation unit (one sentence, or a short fragment merged with "
        "its neighbour): `id`, `doc_id`, `file`, `line`, `start`/`end` (character offsets in the input line), "
        "`kind` (title, lead, body, heading, caption_th), `th`, `en`, `vi` (null unless a Vietnamese line is "
        "aligned to it), `vi_line`, `relation`, `n_sentences`, `scores` (align, similarity, length_ratio, guard, "
        "chrf), `flags`, `source_url`, `date`, `publication`, `title_th`, `title_vi`.",
        "* `captions`: a row per Vietnamese line that has a Thai counterpart: `vi`, `th`, `th_line`, `en_from_th`, "
        "`en_from_vi`, `relation` (translation = the Thai caption translates it; title = the Vietnamese article "
        "title used as image alt-text), `score`, `reason`, `flags`.",
        "",
        "Lines that are not in the corpus (site chrome, metadata, credits, blank lines, undecodable lines) are "
        "listed with their reason in `set_aside.jsonl`"
        + (f" of the output directory `{review.get('source', '?')}`; " if review else "; ")
        + "`manifest.json` has the full accounting.",
        "",
    ]
    if review:
        lines += _review_section(review)
    if counts:
        lines += ["## Counts", "", "| what | number |", "| --- | ---: |"]
        for key in ("docs", "lines_in", "lines_in_corpus", "lines_set_aside", "rows_sentences", "rows_captions",
                    "rows_translated", "input_problems"):
            lines.append(f"| {key} | {counts.get(key, 0)} |")
        lines.append("")
    if sig:
        lines += ["## Signature", "", "```json", json.dumps(sig, ensure_ascii=False, indent=2, sort_keys=True), "```", ""]
    lines += ["## License and provenance", "",
              "The text comes from scraped public news pages; each row keeps its `source_url`, `file` and `line`. "
              "Check the publishers' terms before redistributing.", ""]
    return "\n".join(lines)


def _review_section(review: dict[str, Any]) -> list[str]:
    lines = ["## Review status", "", "| | rows |", "|---|---:|", f"| total | {review.get('rows', 0)} |"]
    lines += [f"| {status} | {review.get(status, 0)} |" for status in REVIEW_STATUSES]
    lines.append("")
    if review.get("stale"):
        lines += [f"{review['stale']} decision(s) were made on a different Thai or English text than the "
                  "corpus now holds (the pipeline was re-run after the review); those rows have "
                  "`review_stale` = true and deserve another look.", ""]
    if review.get("orphans"):
        lines += [f"{review['orphans']} decision(s) in review.sqlite name rows that are no longer in the corpus "
                  "and were not applied.", ""]
    lines += [
        "English is machine translation from the Thai unless `edited` is true; rows with status "
        "`unreviewed` have not been checked by a person.", "",
        "Files: the two configs as `data/*.parquet` and as JSON lines (`corpus.jsonl`, `captions.jsonl`; "
        "captions are as the pipeline produced them, not reviewed), and `corpus.tmx`: TMX 1.4b with the "
        f"{review.get('tmx_rows', 0)} rows that were not rejected and have English (th, en, and vi where aligned).", "",
    ]
    if review.get("columns"):
        lines += ["### Columns added by the review", ""]
        lines += [f"* `{name}`: {text}" for name, text in review["columns"].items()]
        lines.append("")
    return lines
