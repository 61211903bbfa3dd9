"""Fail fast offline: a hub model that is not cached and cannot be downloaded stops the run at once (exit 4)
with one line naming the model and the `hf download` to run; a missing local path says that instead."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from mt.cli import main

SEED = Path(__file__).resolve().parents[1] / "seeds" / "002_02c73740b218f54e.txt"


def run(tmp_path: Path, model: str) -> int:
    return main(["run", str(SEED), "-o", str(tmp_path / "out"), "--model", model, "-q",
                 "--segmenter", "whitespace"])


def test_uncached_hub_model_offline_fails_at_once(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    t0 = time.perf_counter()
    assert run(tmp_path, "someorg/not-a-cached-model") == 4
    err = capsys.readouterr().err
    assert time.perf_counter() - t0 < 10
    assert "'someorg/not-a-cached-model' is not in the local Hugging Face cache" in err
    assert "HF_HUB_OFFLINE is set" in err
    assert "`hf download someorg/not-a-cached-model --local-dir DIR`" in err and "huggingface-cli" not in err
    assert err.count("\n") == 1 and not (tmp_path / "out").exists()


def test_unreachable_hub_is_said_in_one_line(tmp_path, capsys, monkeypatch):
    import httpx
    import huggingface_hub

    calls = []

    def no_network(*args, **kwargs):
        calls.append(args)
        raise httpx.ConnectError("[Errno -2] Name or service not known")

    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(huggingface_hub, "model_info", no_network)
    assert run(tmp_path, "someorg/model") == 4
    err = capsys.readouterr().err
    assert "the Hugging Face hub cannot be reached: ConnectError" in err and err.count("\n") == 1
    assert len(calls) == 1          # one quick request, no retries


def test_missing_local_path_is_not_offered_for_download(tmp_path, capsys):
    assert run(tmp_path, "./no-such-model-dir") == 4
    err = capsys.readouterr().err
    assert "'./no-such-model-dir' is a path that does not exist" in err
    assert "check the path './no-such-model-dir'" in err and "hf download ./no" not in err


@pytest.mark.parametrize("model", ["facebook/nllb-200-distilled-600M"])
def test_cached_model_with_unreachable_hub_loads_from_the_cache_only(model, monkeypatch):
    from mt.translate import hf
    from mt.translate.config import TranslateConfig

    monkeypatch.setattr(hf, "hub_model_cached", lambda model_id, revision: True)
    monkeypatch.setattr(hf, "hub_reachable", lambda model_id, revision: "unreachable")
    models = hf.HFModels(TranslateConfig(model=model))
    assert models.load_kwargs(model)["local_files_only"] is True
