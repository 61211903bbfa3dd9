"""``mt review export --drop-rejected --min-score NAME=VALUE --drop-flag FLAG``: rows dropped, counted, listed."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from mt.cli import main  # noqa: E402
from mt.errors import ConfigError  # noqa: E402
from mt.review import export  # noqa: E402
from mt.review.filters import ExportFilters  # noqa: E402
from mt.review.sample import sample_rows, write_sample_output  # noqa: E402
from mt.review.store import DecisionStore  # noqa: E402

REJECTED = "002_02c73740b218f54e:8:1"
ALSO_REJECTED = "000_396c13a82e5e0acf:7:1"   # aligned (0.77) and rejected: counted once, as rejected


@pytest.fixture
def outdir(tmp_path: Path) -> Path:
    out = write_sample_output(tmp_path / "out")
    store = DecisionStore(out / "review.sqlite")
    store.decide(REJECTED, "rejected", expected_version=0)
    store.decide(ALSO_REJECTED, "rejected", expected_version=0)
    return out


def _expected_reasons() -> dict[str, str]:
    """The reason of every sample row the three filters drop, from the sample data itself."""
    out = {}
    for row in sample_rows()[0]:
        align = row["scores"]["align"]
        if row["id"] in (REJECTED, ALSO_REJECTED):
            out[row["id"]] = "rejected"
        elif align is not None and align < 0.6:
            out[row["id"]] = "align < 0.6"
        elif any(f.startswith("degenerate") for f in row["flags"]):
            out[row["id"]] = "flag degenerate"
    return out


def test_cli_export_filters_drop_count_and_list(outdir: Path, tmp_path: Path):
    from datasets import load_dataset

    code = main(["review", "export", str(outdir), "--drop-rejected", "--min-score", "align=0.6",
                 "--drop-flag", "degenerate"])
    assert code == 0
    target = outdir / "reviewed"
    expected = _expected_reasons()
    assert sorted(set(expected.values())) == ["align < 0.6", "flag degenerate", "rejected"]   # each filter bites
    dropped = [json.loads(x) for x in (target / "dropped.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {d["id"]: d["reason"] for d in dropped} == expected
    summary = json.loads((target / "export.json").read_text(encoding="utf-8"))
    n_rows = len(sample_rows()[0])
    assert summary["rows_in_corpus"] == n_rows and summary["rows"] == n_rows - len(expected)
    assert summary["dropped"] == {"rejected": 2, "align < 0.6": 1, "flag degenerate": 1}
    assert summary["filters"] == {"drop_rejected": True, "min_scores": {"align": 0.6}, "drop_flags": ["degenerate"]}
    assert summary["rejected"] == 0                                      # counts are of the rows kept
    ds = load_dataset(str(target), split="train", cache_dir=str(tmp_path / "hf"))
    assert ds.num_rows == n_rows - len(expected) and not set(ds["id"]) & set(expected)
    card = (target / "README.md").read_text(encoding="utf-8")
    assert "### Rows dropped by the export's filters" in card
    for line in ("| rejected | 2 |", "| align < 0.6 | 1 |", "| flag degenerate | 1 |",
                 f"Of the {n_rows} sentences rows of the corpus, 4 were dropped"):
        assert line in card
    tmx = (target / "corpus.tmx").read_text(encoding="utf-8")
    assert not [rid for rid in expected if f'tuid="{rid}"' in tmx]


def test_no_filters_drop_nothing(outdir: Path):
    target = export(outdir)
    assert (target / "dropped.jsonl").read_text(encoding="utf-8") == ""
    summary = json.loads((target / "export.json").read_text(encoding="utf-8"))
    assert summary["rows"] == len(sample_rows()[0]) and summary["rejected"] == 2 and summary["dropped"] == {}
    assert "Rows dropped by the export's filters" not in (target / "README.md").read_text(encoding="utf-8")


def test_rows_without_the_score_are_kept(outdir: Path):
    target = export(outdir, filters=ExportFilters.parse(min_scores=["align=0.99"]))
    kept = {json.loads(x)["id"] for x in (target / "corpus.jsonl").read_text(encoding="utf-8").splitlines()}
    assert kept == {r["id"] for r in sample_rows()[0] if r["scores"]["align"] is None}


def test_pipeline_flag_and_review_flag_names(outdir: Path):
    """A pipeline flag drops by its exact name or its prefix before ':'; a review flag by category."""
    row = {"id": "x", "status": "unreviewed", "flags": ["degenerate:repeat"], "review_flags": ["number_mismatch"]}
    assert ExportFilters.parse(drop_flags=["degenerate"]).reason(row) == "flag degenerate"
    assert ExportFilters.parse(drop_flags=["degenerate:repeat"]).reason(row) == "flag degenerate:repeat"
    assert ExportFilters.parse(drop_flags=["number_mismatch"]).reason(row) == "flag number_mismatch"
    assert ExportFilters.parse(drop_flags=["untranslated"]).reason(row) is None
    with pytest.raises(ConfigError, match=r"unknown flag 'degenrate'.*review flags: untranslated, degenerate"):
        export(outdir, filters=ExportFilters.parse(drop_flags=["degenrate"]))
    assert not (outdir / "reviewed").exists()                            # nothing written for a config error


@pytest.mark.parametrize("value,message", [
    ("align", "bad --min-score 'align'"),
    ("speed=0.5", "NAME one of align, similarity, length_ratio, guard, chrf"),
    ("align=high", "'high' is not a number"),
    ("align=nan", "give a number"),
])
def test_bad_min_score(outdir: Path, capsys, value: str, message: str):
    assert main(["review", "export", str(outdir), "--min-score", value]) == 2
    assert message in capsys.readouterr().err
