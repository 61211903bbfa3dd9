"""The dataset card (``README.md`` with YAML front matter) that makes ``load_dataset(OUTPUT_DIR)`` work.

The metadata is a :class:`huggingface_hub.DatasetCardData` (the Hub's own schema: license, languages,
task, size, configs ...) and the card a :class:`huggingface_hub.DatasetCard`; the data-fields tables are
generated from the one row schema, :data:`mt.write.formats.FIELDS`.
"""
from __future__ import annotations

import json
from typing import Any

from .formats import FIELDS, arrow_type, data_files

REVIEW_STATUSES = ("reviewed", "accepted", "rejected", "edited", "unreviewed")
PRETTY_NAME = "mt Thai-English-Vietnamese news corpus"
# HF size categories by upper bound (https://huggingface.co/docs/hub/datasets-cards)
SIZE_CATEGORIES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                   (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"))
NO_LICENSE = ("No license was set for this corpus. The text comes from scraped public news pages: check the "
              "source site's terms (each row keeps its `source_url`) before you redistribute it.")
_TEMPLATE = "---\n{{ card_data }}\n---\n\n{{ body }}\n"


def size_category(rows: int) -> str:
    for bound, name in SIZE_CATEGORIES:
        if rows < bound:
            return name
    return "n>100M"


def corpus_license(manifest: dict[str, Any]) -> str | None:
    """The license of a corpus: ``manifest["license"]`` or the run config's ``[output] license``, if set."""
    output = (manifest.get("config") or {}).get("output") or {}
    value = manifest.get("license") or (output.get("license") if isinstance(output, dict) else None)
    return value if isinstance(value, str) and value.strip() else None


def card_data(manifest: dict[str, Any], review: dict[str, Any] | None = None) -> Any:
    """The card's metadata (YAML front matter) as a :class:`huggingface_hub.DatasetCardData`."""
    from huggingface_hub import DatasetCardData

    fp = manifest.get("fingerprint")
    rows = (review or {}).get("rows", (manifest.get("counts") or {}).get("rows_sentences", 0))
    license_ = corpus_license(manifest)
    license_fields = {"license": license_} if license_ else {
        "license": "other", "license_name": "source-site-terms", "license_details": NO_LICENSE}
    return DatasetCardData(
        language=["th", "en", "vi"],
        **license_fields,
        annotations_creators=["machine-generated"] + (["expert-generated"] if (review or {}).get("reviewed") else []),
        language_creators=["found", "machine-generated"],
        multilinguality="translation",
        size_categories=size_category(int(rows or 0)),
        source_datasets=["original"],
        task_categories=["translation"],
        pretty_name=PRETTY_NAME + (" (reviewed)" if review else ""),
        tags=["parallel-corpus", "news", "thai", "vietnamese"],
        configs=[{"config_name": "sentences", "default": True,
                  "data_files": [{"split": "train", "path": data_files("sentences", fp)}]},
                 {"config_name": "captions", "data_files": [{"split": "train", "path": data_files("captions", fp)}]}],
    )


def dataset_card(manifest: dict[str, Any], review: dict[str, Any] | None = None) -> str:
    """The card of a corpus directory; with ``review`` (default ``manifest["review"]``) the card of a
    reviewed export (``mt review export``). ``review`` holds ``source`` (the output directory exported),
    ``exported`` (ISO time), ``rows`` and the counts of :data:`REVIEW_STATUSES`, ``stale`` and ``orphans``
    (decisions on changed / missing rows), ``tmx_rows``, ``columns`` (name -> (type, description)),
    ``filters`` (the export's filters), ``dropped`` (reason -> rows dropped) and ``rows_in_corpus``."""
    from huggingface_hub import DatasetCard

    review = manifest.get("review") if review is None else review
    body = "\n".join(_body(manifest, review))
    return str(DatasetCard.from_template(card_data(manifest, review), template_str=_TEMPLATE, body=body))


def _body(manifest: dict[str, Any], review: dict[str, Any] | None) -> list[str]:
    sig = manifest.get("signature", {})
    counts = manifest.get("counts", {})
    lines = ["# mt corpus" + (" (reviewed)" if review else ""), ""]
    if not sig.get("is_real", True):
        lines += ["> **WARNING: the `en` columns of this corpus are NOT real translations.** They were produced by "
                  "`mt`'s tiny random-weight test model (preset `tiny`) to exercise the pipeline offline. Do not "
                  "train or evaluate on them.", ""]
    lines += [
        "Thai news pages (Thai translations of Vietnamese articles) parsed into typed lines, segmented into "
        "sentences, translated Thai→English, with embedded Vietnamese photo captions aligned to their Thai "
        "counterparts.", ""]
    if review:
        lines += [f"Exported by `mt review export` on {review.get('exported', '?')} from the output directory "
                  f"`{review.get('source', '?')}`, with the reviewers' decisions applied.", ""]
    lines += [
        "```python",
        "from datasets import load_dataset",
        "sentences = load_dataset(\"path/to/this/dir\", split=\"train\")              # default config",
        "captions = load_dataset(\"path/to/this/dir\", \"captions\", split=\"train\")",
        "pairs = sentences.filter(lambda r: r[\"en\"]).select_columns([\"translation\"])  # {th, en, vi}",
        *(["clean = sentences.filter(lambda r: r[\"status\"] != \"rejected\")"] if review else []),
        "```", "",
        "Each config is a folder of Parquet shards (`data/sentences/`, `data/captions/`), so "
        "`pandas.read_parquet(\"data/sentences\")` or DuckDB's `'data/sentences/*.parquet'` read one config only.",
        "",
    ]
    lines += _fields(review)
    lines += ["Lines that are not in the corpus (site chrome, metadata, credits, blank lines, undecodable lines) are "
              "listed with their reason in `set_aside.jsonl`"
              + (f" of the output directory `{review.get('source', '?')}`; " if review else "; ")
              + "`manifest.json` has the full accounting.", ""]
    if review:
        lines += _review_section(review)
    if counts:
        lines += ["## Counts", "", "| what | number |", "| --- | ---: |"]
        lines += [f"| {key} | {counts.get(key, 0)} |" for key in (
            "docs", "lines_in", "lines_in_corpus", "lines_set_aside", "rows_sentences", "rows_captions",
            "rows_translated", "input_problems")]
        lines.append("")
        filtered = counts.get("rows_filtered_by_reason") or {}
        if filtered:
            lines += ["Rows dropped by the run's `[output]` filters (each whole, with its reason, in "
                      "`filtered.jsonl`; a line all of whose rows were dropped is in `set_aside.jsonl`):", "",
                      "| reason | rows |", "| --- | ---: |", *(f"| {k} | {v} |" for k, v in filtered.items()), ""]
    if sig:
        lines += ["## Signature", "", "```json", json.dumps(sig, ensure_ascii=False, indent=2, sort_keys=True), "```", ""]
    return lines + _license_and_citation(manifest, review)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _fields(review: dict[str, Any] | None) -> list[str]:
    """The data-fields tables, one per config, from :data:`~mt.write.formats.FIELDS`."""
    lines = ["## Data fields", ""]
    extra = (review or {}).get("columns") or {}
    for config, fields in FIELDS.items():
        title = ("`sentences` (default): a row per Thai translation unit" if config == "sentences"
                 else "`captions`: a row per Vietnamese line that has a Thai counterpart")
        lines += [f"### {title}", "", "| column | type | description |", "| --- | --- | --- |"]
        lines += [f"| `{name}` | {arrow_type(type_)} | {_cell(text)} |" for name, type_, text in fields]
        if config == "sentences":
            lines += [f"| `{name}` | {arrow_type(type_)} | {_cell(text)} (review) |"
                      for name, (type_, text) in extra.items()]
        lines.append("")
    return lines


def _license_and_citation(manifest: dict[str, Any], review: dict[str, Any] | None) -> list[str]:
    license_ = corpus_license(manifest)
    year = str(manifest.get("created") or (review or {}).get("exported") or "")[:4] or "n.d."
    version = manifest.get("mt_version") or (manifest.get("signature") or {}).get("version") or "?"
    model = (manifest.get("signature") or {}).get("model") or "?"
    lines = ["## License and provenance", "",
             f"License: `{license_}`. Each row keeps its `source_url`, `file` and `line`." if license_ else NO_LICENSE,
             "",
             "## Citation", "", "```bibtex",
             "@misc{mt_thai_en_vi_corpus,",
             f"  title        = {{{{{PRETTY_NAME}}}{' (reviewed)' if review else ''}}},",
             f"  year         = {{{year}}},",
             f"  note         = {{Built with mt {version}; English by {model}}},",
             "  howpublished = {Dataset card README.md of the corpus directory}",
             "}", "```", ""]
    return lines


def _review_section(review: dict[str, Any]) -> list[str]:
    lines = ["## Review status", "", "| | rows |", "|---|---:|", f"| total | {review.get('rows', 0)} |"]
    lines += [f"| {status} | {review.get(status, 0)} |" for status in REVIEW_STATUSES]
    lines.append("")
    if any((review.get("filters") or {}).values()):
        n_dropped = sum((review.get("dropped") or {}).values())
        lines += ["### Rows dropped by the export's filters", "",
                  f"Filters: `{json.dumps(review['filters'], sort_keys=True)}`. Of the "
                  f"{review.get('rows_in_corpus', '?')} sentences rows of the corpus, {n_dropped} were dropped "
                  "(ids and reasons in `dropped.jsonl`) and the counts above are of the rows kept. A row that "
                  "more than one filter drops is counted under the first; a row without the score a "
                  "`min_scores` filter names is kept.", "", "| dropped because | rows |", "|---|---:|"]
        lines += [f"| {name} | {n} |" for name, n in sorted((review.get("dropped") or {}).items())]
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
        "Files: the two configs as `data/sentences/*.parquet`, `data/captions/*.parquet` and as JSON lines "
        "(`corpus.jsonl`, `captions.jsonl`; captions are as the pipeline produced them, not reviewed), and "
        f"`corpus.tmx`: TMX 1.4b with the {review.get('tmx_rows', 0)} rows that were not rejected and have "
        "English (th, en, and vi where aligned).", "",
    ]
    return lines
