"""The CLI is a thin layer: arguments -> config -> library; errors -> exit codes."""
from __future__ import annotations

import io
import json
import os
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


# -- runs a user can read -------------------------------------------------------------------------------------
def _all_actions(parser, path=("mt",)):
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _all_actions(sub, (*path, name))
        else:
            yield path, action


def test_every_command_and_option_has_help():
    import argparse

    from mt.cli import build_parser

    missing = [f"{' '.join(path)} {action.dest}" for path, action in _all_actions(build_parser())
               if action.help is None or (action.help != argparse.SUPPRESS and not action.help.strip())]
    assert missing == []
    subcommands = build_parser()._subparsers._group_actions[0]
    assert all(choice.help for choice in subcommands._choices_actions)


def test_help_shows_defaults_from_the_config_classes(capsys):
    from mt.config import RunConfig

    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    cfg = RunConfig()
    assert f"(default: {cfg.translate.engine})" in out and f"default: {cfg.segment.engine};" in out
    assert "(default: local)" in out and f"default: {cfg.translate.preset};" in out


def test_presets_marks_the_default(capsys):
    from mt.config import RunConfig

    assert main(["presets"]) == 0
    marked = [line for line in capsys.readouterr().out.splitlines() if line.startswith("*")]
    assert len(marked) == 1 and RunConfig().translate.preset in marked[0]


def test_dry_run_prints_the_plan_and_touches_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", str(ROOT / "seeds"), "-c", str(ROOT / "configs" / "smoke.toml"), "-o", str(out),
                 "--dry-run"])
    text = capsys.readouterr().out
    assert code == 0 and not out.exists() and list(tmp_path.iterdir()) == []
    assert "documents: 5" in text and ".txt: 5" in text and "state: new directory" in text and "tiny random-weight model" in text
    user = tmp_path / "mine"
    user.mkdir()
    (user / "notes.txt").write_text("x")
    assert main(["run", str(ROOT / "seeds"), "-c", str(ROOT / "configs" / "smoke.toml"), "-o", str(user),
                 "--dry-run"]) == 0
    assert "state: REFUSED (exit 5)" in capsys.readouterr().out
    assert [p.name for p in user.iterdir()] == ["notes.txt"]


def test_segment_reads_files_as_well_as_stdin(tmp_path, capsys):
    f = tmp_path / "paras.txt"
    f.write_text("ประโยคแรก ประโยคสอง\n", encoding="utf-8")
    assert main(["segment", "--engine", "whitespace", str(f)]) == 0
    assert capsys.readouterr().out == "ประโยคแรก\nประโยคสอง\n\n"
    assert main(["segment", "--engine", "whitespace", str(tmp_path / "missing.txt")]) == 3
    assert "missing.txt: cannot read" in capsys.readouterr().err


def test_align_prints_the_reason_and_the_path_as_given(capsys):
    page = "seeds/002_02c73740b218f54e.txt"
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        assert main(["align", page, "-q"]) == 0
    finally:
        os.chdir(cwd)
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert all(r[0].startswith(page + ":") and len(r) == 5 for r in rows)
    assert any(r[1].startswith("translation") and r[3].startswith("translation:") for r in rows)


def test_run_prints_a_table_per_step_and_logs_progress_when_not_a_terminal(tmp_path, capsys, caplog):
    import logging

    log_file = tmp_path / "run.log"
    with caplog.at_level(logging.INFO, logger="mt.progress"):
        code = main(["run", str(ROOT / "seeds" / "002_02c73740b218f54e.txt"), "-c",
                     str(ROOT / "configs" / "smoke.toml"), "-o", str(tmp_path / "out"), "--progress-every", "0.001",
                     "--log-file", str(log_file), "--segmenter", "whitespace"])
    err = capsys.readouterr().err
    assert code == 0
    header = next(line for line in err.splitlines() if line.startswith("step"))
    assert header.split() == ["step", "docs", "lines", "rows", "seconds"]
    for step in ("read", "parse", "segment", "translate", "align", "write"):
        assert any(line.split()[:2] == [step, "1"] for line in err.splitlines()), step
    assert "set aside (kind)" in err and "{'docs'" not in err
    assert any("mt run: 1/1 docs (100%)" in r.getMessage() for r in caplog.records)
    assert "mt.progress" in log_file.read_text(encoding="utf-8")


def test_a_page_without_thai_is_warned_about(tmp_path, caplog):
    import logging

    page = tmp_path / "vi.txt"
    page.write_text("Tin tức hôm nay\nMột đoạn văn tiếng Việt.\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        assert main(["run", str(page), "-c", str(ROOT / "configs" / "smoke.toml"), "-o", str(tmp_path / "out"),
                     "-q", "--segmenter", "whitespace"]) == 0
    assert any("0 corpus rows from 1 page" in r.getMessage() for r in caplog.records)


def test_review_serve_on_a_port_in_use_exits_6(tmp_path, capsys):
    import socket

    pytest.importorskip("uvicorn")
    assert main(["run", str(ROOT / "seeds" / "001_51c23821779e26be.txt"), "-c", str(ROOT / "configs" / "smoke.toml"),
                 "-o", str(tmp_path / "out"), "-q", "--segmenter", "whitespace", "--no-review"]) == 0
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["review", "serve", str(tmp_path / "out"), "--port", str(port), "-q"]) == 6
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err and "--port N" in err


def test_missing_input_path_is_a_usage_error_not_an_input_problem(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope"), "-o", str(tmp_path / "out"), "-q"]) == 2
    assert "nope: input path does not exist" in capsys.readouterr().err
