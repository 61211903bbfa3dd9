"""The CLI is a thin layer: arguments -> config -> library; errors -> exit codes."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from mt.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_segment_reads_paragraphs_and_prints_blank_line_after_each(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("ประโยคแรก ประโยคสอง\n\nสวัสดี\n"))
    assert main(["segment", "--engine", "whitespace"]) == 0
    assert capsys.readouterr().out == "ประโยคแรก\nประโยคสอง\n\n\nสวัสดี\n\n"


def test_segment_unknown_engine_lists_valid_ones(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("x\n"))
    assert main(["segment", "--engine", "nope"]) == 2
    assert "unknown segmenter 'nope'" in capsys.readouterr().err


def test_align_jsonl_one_object_per_vietnamese_line(capsys):
    page = ROOT / "seeds" / "002_02c73740b218f54e.txt"
    assert main(["align", str(page), "--jsonl", "-q"]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["line"] for r in rows] == sorted(r["line"] for r in rows)
    assert {r["relation"] for r in rows} >= {"chrome", "metadata", "translation"}
    assert all(set(r) >= {"file", "line", "vi", "relation", "th_line", "th", "score", "reason"} for r in rows)


def test_presets_lists_default_and_tiny(capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    assert "nllb-200-distilled-600M" in out and "eng_Latn" in out and "NOT translations" in out


def test_config_error_exit_code(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[output]\ndirr = 'x'\n")
    assert main(["run", "-c", str(bad), "-q"]) == 2
    assert "unknown key 'output.dirr'" in capsys.readouterr().err


def test_review_serve_refuses_remote_bind_without_flag(tmp_path, capsys):
    pytest.importorskip("starlette")
    assert main(["review", "serve", str(tmp_path), "--host", "0.0.0.0"]) == 2
    assert "0.0.0.0" in capsys.readouterr().err
