"""Typed TOML config: defaults, overrides, unknown keys and bad values rejected with where/how."""
from __future__ import annotations

from pathlib import Path

import pytest

from mt.config import load_config
from mt.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "configs").glob("*.toml")))
def test_shipped_configs_load(name):
    cfg = load_config(ROOT / "configs" / name)
    assert cfg.input.paths


def test_unknown_key_is_rejected_with_file_and_valid_keys(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text('[translate]\nmodle = "x"\n')
    with pytest.raises(ConfigError, match=r"bad.toml: unknown key 'translate.modle'.*valid keys in \[translate\]: preset, model"):
        load_config(p)


def test_unknown_section_is_rejected(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text('[translation]\nmodel = "x"\n')
    with pytest.raises(ConfigError, match=r"unknown key 'translation'.*valid keys in \[top level\]: input, output"):
        load_config(p)


def test_bad_value_names_the_key(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text('[translate]\nengine = "marian-nmt"\n')
    with pytest.raises(ConfigError, match=r"invalid value for 'translate.engine'"):
        load_config(p)


def test_bad_toml_syntax(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("[translate\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(p)


def test_missing_file():
    with pytest.raises(ConfigError, match="config file not found"):
        load_config("nope/missing.toml")


def test_overrides_win_over_file(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text('[translate]\nmodel = "a"\n')
    cfg = load_config(p, {"translate.model": "b", "output.dir": "x", "segment.engine": None})
    assert cfg.translate.model == "b" and cfg.output.dir == "x"


def test_every_config_error_is_reported_at_once():
    from mt.config import load_config

    with pytest.raises(ConfigError) as info:
        load_config(None, {"output.dirr": "x", "executor.parallel": 2, "output.formats": ["xlsx"]})
    msg = str(info.value)
    assert msg.startswith("<defaults>: 3 errors:")
    assert "unknown key 'output.dirr'" in msg and "valid keys in [output]: dir, formats" in msg
    assert "unknown key 'executor.parallel'" in msg
    assert "unknown output format 'xlsx'; valid: jsonl, moses, parquet, tmx" in msg


def test_names_are_validated_against_the_registries():
    from mt.config import load_config
    from mt.executors import EXECUTORS
    from mt.write.formats import FORMATS

    from mt.pipeline import run_pipeline

    with pytest.raises(ConfigError, match=r"unknown executor 'nope' -- fix: use one of: local, ray"):
        run_pipeline(load_config(None, {"executor.kind": "nope"}))
    assert EXECUTORS.names() == ["local", "ray"]
    assert load_config(None, {"output.formats": FORMATS.names()}).output.formats == FORMATS.names()
