"""The dataset card (``README.md`` with YAML front matter) that makes ``load_dataset(OUTPUT_DIR)`` work."""
from __future__ import annotations

import json
from typing import Any


def dataset_card(manifest: dict[str, Any]) -> str:
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
        "pretty_name: mt Thai-English-Vietnamese news corpus",
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
        "# mt corpus",
        warning,
        "Thai news pages (Thai translations of Vietnamese articles) parsed into typed lines, segmented into "
        "sentences, translated Thai→English, with embedded Vietnamese photo captions aligned to their Thai "
        "counterparts.",
        "",
        "```python",
        "from datasets import load_dataset",
        "sentences = load_dataset(\"path/to/this/dir\", \"sentences\", split=\"train\")",
        "captions = load_dataset(\"path/to/this/dir\", \"captions\", split=\"train\")",
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
        "listed with their reason in `set_aside.jsonl`; `manifest.json` has the full accounting.",
        "",
        "## Counts",
        "",
        "| what | number |", "| --- | ---: |",
    ]
    for key in ("docs", "lines_in", "lines_in_corpus", "lines_set_aside", "rows_sentences", "rows_captions",
                "rows_translated", "input_problems"):
        lines.append(f"| {key} | {counts.get(key, 0)} |")
    lines += ["", "## Signature", "", "```json", json.dumps(sig, ensure_ascii=False, indent=2, sort_keys=True), "```", ""]
    review = manifest.get("review")
    if review:
        lines += ["## Review", "", json.dumps(review, ensure_ascii=False), ""]
    lines += ["## License and provenance", "",
              "The text comes from scraped public news pages; each row keeps its `source_url`, `file` and `line`. "
              "Check the publishers' terms before redistributing.", ""]
    return "\n".join(lines)
