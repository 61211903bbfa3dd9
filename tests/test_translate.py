"""Translation subsystem: presets (no weights), tiny model, transformers engine, cache, batching."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from mt.config import load_config
from mt.errors import ConfigError, ModelError
from mt.translate import ENGINES, TranslateConfig, Translation, load_translator
from mt.translate.batching import length_batches
from mt.translate.presets import PRESETS, plan_for

TH = [
    "กระทรวงการต่างประเทศจัดการประชุมที่กรุงฮานอย",
    "รองนายกรัฐมนตรีเข้าร่วมการประชุมเต็มคณะ",
    "ผู้เข้าร่วมประชุมประกอบด้วยผู้นำจากกระทรวงและสาขาต่างๆ",
    "การประชุมมีวัตถุประสงค์เพื่อหารือเกี่ยวกับกลไกการประสานงาน",
]
VI = ["Bộ Ngoại giao gắn tổ chức sắp xếp bộ máy với đẩy mạnh chuyển đổi số", "Ảnh: VGP/Hải Minh"]


# -- presets: pure language-code logic ----------------------------------------------------------

def test_nllb_default_plan():
    th = plan_for("nllb-200-distilled-600M", "th")
    vi = plan_for("nllb-200-distilled-600M", "vi")
    assert th.model == vi.model == "facebook/nllb-200-distilled-600M"
    assert (th.tokenizer_src_lang, vi.tokenizer_src_lang) == ("tha_Thai", "vie_Latn")
    assert th.forced_bos_token == vi.forced_bos_token == "eng_Latn"
    assert th.prefix == ""
    assert TranslateConfig().preset == "nllb-200-distilled-600M"
    assert plan_for("nllb-200-3.3B", "th").model == "facebook/nllb-200-3.3B"


def test_opus_mt_picks_model_per_pair():
    assert plan_for("opus-mt", "th").model == "Helsinki-NLP/opus-mt-th-en"
    assert plan_for("opus-mt", "vi").model == "Helsinki-NLP/opus-mt-vi-en"
    p = plan_for("opus-mt", "th")
    assert p.forced_bos_token is None and p.tokenizer_src_lang is None and p.prefix == ""


def test_m2m100_and_madlad_codes():
    m = plan_for("m2m100_418M", "vi")
    assert (m.model, m.tokenizer_src_lang, m.forced_bos_token) == ("facebook/m2m100_418M", "vi", "__en__")
    assert plan_for("m2m100_418M", "th").tokenizer_src_lang == "th"
    g = plan_for("madlad400-3b-mt", "th")
    assert g.prefix == "<2en> " and g.forced_bos_token is None and g.model == "google/madlad400-3b-mt"


def test_model_overrides_keep_language_codes():
    p = plan_for("nllb-200-distilled-600M", "th", model="/models/nllb")
    assert p.model == "/models/nllb" and p.tokenizer_src_lang == "tha_Thai"
    assert plan_for("opus-mt", "vi", model="/m/th", model_vi="/m/vi").model == "/m/vi"
    assert plan_for("opus-mt", "th", model="/m/th", model_vi="/m/vi").model == "/m/th"


def test_unknown_preset_and_language():
    with pytest.raises(ConfigError, match=r"unknown translate preset 'nllb-9B'.*tiny"):
        plan_for("nllb-9B", "th")
    with pytest.raises(ConfigError, match="unsupported source language 'fr'"):
        plan_for("opus-mt", "fr")
    assert PRESETS["tiny"].is_real is False and PRESETS["opus-mt"].is_real is True


def test_unknown_engine_lists_valid_names(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"unknown translate engine 'fairseq'.*use one of: ctranslate2, tm, transformers"):
        ENGINES.get("fairseq")
    p = tmp_path / "c.toml"
    p.write_text('[translate]\nengine = "fairseq"\n')
    with pytest.raises(ConfigError, match=r"translate.engine.*valid engines: ctranslate2, tm, transformers"):
        load_config(p)


# -- batching ------------------------------------------------------------------------------------

def test_length_batches_cover_all_and_respect_budget():
    lengths = [5, 40, 7, 300, 12, 12, 1, 39, 80]
    batches = length_batches(lengths, batch_tokens=100)
    flat = sorted(i for b in batches for i in b)
    assert flat == list(range(len(lengths)))
    for b in batches:
        assert len(b) == 1 or max(lengths[i] for i in b) * len(b) <= 100
        # sorted by length: batches hold neighbours in length order
        assert [lengths[i] for i in b] == sorted((lengths[i] for i in b), reverse=True)
    assert batches[0] == [3]          # over-budget item alone, longest first


# -- tiny model ----------------------------------------------------------------------------------

def test_tiny_model_is_a_pretrained_dir(tiny_model_dir: Path):
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    for name in ("config.json", "model.safetensors", "source.spm", "target.spm", "vocab.json", "mt_tiny_model.json"):
        assert (tiny_model_dir / name).is_file(), name
    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForSeq2SeqLM.from_pretrained(tiny_model_dir)
    assert type(model).__name__ == "MarianMTModel" and model.config.d_model == 64
    ids = tok(TH[0])["input_ids"]
    assert ids[-1] == tok.eos_token_id and tok.unk_token_id not in ids
    from mt.tinymodel import build_tiny_model

    assert build_tiny_model() == tiny_model_dir            # built once, reused


@pytest.fixture(scope="module")
def tiny(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    cache = tmp_path_factory.mktemp("tcache") / "t.sqlite"
    tr = load_translator(TranslateConfig(preset="tiny", beam_size=1, max_new_tokens=24, cache=str(cache)),
                         progress=False)
    yield tr
    tr.close()


def test_tiny_translator_outputs_and_signature(tiny):
    res = tiny.translate(TH, "th")
    assert len(res) == len(TH) and all(isinstance(r, Translation) for r in res)
    assert len({r.text for r in res}) > 1                  # different inputs, different outputs
    assert all("guard" in r.scores for r in res)
    # random weights: outputs are garbage and must be flagged, never silently kept as good
    for r in res:
        if any(f.startswith("degenerate:") for f in r.flags):
            assert r.scores["guard"] <= 0.5
    assert any(f.startswith("degenerate:") for r in res for f in r.flags)
    sig = tiny.signature()
    assert sig["is_real"] is False and tiny.is_real is False
    assert sig["engine"] == "transformers" and sig["device"] == "cpu" and sig["compute_type"] == "float32"
    assert sig["preset"] == "tiny" and sig["revision"].startswith("local-")
    assert sig["decoding"]["beam_size"] == 1
    json.dumps(sig)


def test_dedupe_order_and_cache(tiny):
    before = dict(tiny.stats)
    texts = [TH[1], "  ", TH[2], TH[1], TH[2] + "  ", VI[0][:0]]
    res = tiny.translate(texts, "th")
    assert res[0].text == res[3].text and res[2].text == res[4].text
    assert res[1].text == "" and res[5].text == ""
    # TH[1], TH[2] were translated by the first test: served from cache, no engine call
    assert tiny.stats["engine_calls"] == before["engine_calls"]
    assert tiny.stats["cached"] - before["cached"] == 2


def test_persistent_cache_second_translator_translates_nothing(tiny_model_dir: Path, tmp_path: Path):
    cfg = TranslateConfig(preset="tiny", beam_size=1, max_new_tokens=16, cache=str(tmp_path / "c.sqlite"))
    with load_translator(cfg, progress=False) as a:
        first = a.translate(VI + TH[:2], "vi")
        assert a.stats["translated"] == 4
    with load_translator(cfg, progress=False) as b:
        second = b.translate(VI + TH[:2], "vi")
        assert b.stats["engine_calls"] == 0 and b.stats["cached"] == 4
    assert [r.text for r in first] == [r.text for r in second]
    assert [r.flags for r in first] == [r.flags for r in second]
    # a different decoding parameter is a different cache entry
    with load_translator(cfg.model_copy(update={"max_new_tokens": 17}), progress=False) as c:
        c.translate(VI[:1], "vi")
        assert c.stats["translated"] == 1


def test_long_input_is_split_not_truncated(tiny_model_dir: Path):
    cfg = TranslateConfig(preset="tiny", beam_size=1, max_new_tokens=8, max_input_tokens=12, cache=None)
    with load_translator(cfg, progress=False) as tr:
        long = " ".join(TH)
        assert tr.engine.token_lengths([long], "th")[0] > 12
        (res,) = tr.translate([long], "th")
        assert "split" in res.flags
        assert tr.stats["split"] == 1 and tr.stats["translated"] >= 2


def test_missing_model_raises_model_error(tiny_model_dir: Path, tmp_path: Path):
    with pytest.raises(ModelError, match=r"no-such-model' is a path that does not exist.*check the path"):
        load_translator(TranslateConfig(model=str(tmp_path / "no-such-model"), cache=None), progress=False)
    with pytest.raises(ModelError, match=r"'facebook/nllb-200-distilled-600M' is not in the local Hugging Face "
                                         r"cache.*local_files_only.*hf download facebook/nllb-200-distilled-600M"
                                         r".*--model"):
        load_translator(TranslateConfig(local_files_only=True, cache=None), progress=False)


def test_bad_compute_type_for_transformers(tiny_model_dir: Path):
    with pytest.raises(ConfigError, match=r"compute_type 'int8'.*ctranslate2"):
        load_translator(TranslateConfig(preset="tiny", compute_type="int8", cache=None), progress=False)


def test_results_committed_per_batch_survive_a_crash(tiny_model_dir: Path, tmp_path: Path):
    """A run that dies mid-translation keeps every finished batch; the re-run translates only the rest."""
    texts = [f"{t} ครั้งที่ {i}" for i, t in enumerate(TH * 3)]      # 12 distinct sources
    cfg = TranslateConfig(preset="tiny", beam_size=1, max_new_tokens=8, batch_tokens=40,
                          cache=str(tmp_path / "c.sqlite"), retry_degenerate=False)
    crashed = load_translator(cfg, progress=False)
    real = crashed.engine.generate_many
    calls = {"n": 0}

    def dying(jobs, src_lang):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt("killed")
        return real(jobs, src_lang)

    crashed.engine.generate_many = dying
    with pytest.raises(KeyboardInterrupt):
        crashed.translate(texts, "th")
    done_before = crashed.stats["translated"]
    assert 0 < done_before < len(texts)
    with load_translator(cfg, progress=False) as again:
        res = again.translate(texts, "th")
        assert again.stats["cached"] == done_before
        assert again.stats["translated"] == len(texts) - done_before
    with load_translator(cfg, progress=False) as third:
        assert [r.text for r in third.translate(texts, "th")] == [r.text for r in res]
        assert third.stats["engine_calls"] == 0


def test_progress_bar_counts_sentences(tiny_model_dir: Path, capsys: pytest.CaptureFixture[str]):
    with load_translator(TranslateConfig(preset="tiny", beam_size=1, max_new_tokens=4, cache=None),
                         progress=True) as tr:
        tr.translate(TH + TH[:1], "th")
        assert tr._bar.n == len(TH) + 1 and tr._bar.total == len(TH) + 1
    err = capsys.readouterr().err
    assert "sent/s" in err or "s/sent" in err


def test_a_passed_translator_must_look_like_one(tmp_path):
    from mt.config import load_config
    from mt.pipeline import run_pipeline

    (tmp_path / "pages").mkdir()
    cfg = load_config(None, {"input.paths": [str(tmp_path / "pages")], "output.dir": str(tmp_path / "out"),
                             "segment.engine": "whitespace"})
    with pytest.raises(ConfigError, match=r"translator passed in \(object\) lacks translate.*fix: pass an"):
        run_pipeline(cfg, translator=object())
