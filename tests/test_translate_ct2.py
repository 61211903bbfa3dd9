"""CTranslate2 engine: conversion cache, parity with transformers, missing extra."""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from mt.errors import MissingExtraError
from mt.registry import Registry
from mt.translate import GenParams, TranslateConfig, load_translator

pytest.importorskip("ctranslate2")

LINES = [
    "กระทรวงการต่างประเทศจัดการประชุมที่กรุงฮานอย",
    "รองนายกรัฐมนตรีเข้าร่วมการประชุมเต็มคณะ",
    "ผู้เข้าร่วมประชุมประกอบด้วยผู้นำจากกระทรวงและสาขาต่างๆ ในจังหวัดต่างๆ ทั่วประเทศ",
    "การประชุมมีวัตถุประสงค์เพื่อหารือเกี่ยวกับกลไกการประสานงาน",
    "เมื่อวันที่ 20 มิถุนายน",
    "รองนายกรัฐมนตรีเข้าร่วมการประชุมเต็มคณะ",
    "ปี 2566",
]
VI = ["Bộ Ngoại giao gắn tổ chức sắp xếp bộ máy với đẩy mạnh chuyển đổi số", "Ảnh: VGP/Hải Minh",
      "Đồng chí Lê Hoài Trung phát biểu chỉ đạo hội nghị."]


def _cfg(**kw) -> TranslateConfig:
    base = dict(preset="tiny", beam_size=1, max_new_tokens=32, cache=None, batch_tokens=64)
    base.update(kw)
    return TranslateConfig(**base)


def test_ct2_float32_same_rows_as_transformers(tiny_model_dir: Path):
    with load_translator(_cfg(), progress=False) as hf, \
            load_translator(_cfg(engine="ctranslate2", compute_type="float32", inter_threads=2), progress=False) as ct:
        assert ct.engine.parallel_batches == 2
        for texts, lang in ((LINES, "th"), (VI, "vi")):
            a = hf.translate(texts, lang)
            b = ct.translate(texts, lang)
            assert [r.text for r in a] == [r.text for r in b]
            assert [r.flags for r in a] == [r.flags for r in b]
            assert [r.scores for r in a] == [r.scores for r in b]
        assert hf.engine.generated_tokens == ct.engine.generated_tokens > 0
        assert hf.signature()["engine"] == "transformers" and ct.signature()["engine"] == "ctranslate2"
        assert ct.signature()["compute_type"] == "float32" and ct.is_real is False
        assert hf.signature()["revision"] == ct.signature()["revision"]


def test_outputs_do_not_depend_on_batching(tiny_model_dir: Path):
    """Each text's output is capped by its own length, so a text translates the same whatever batch it is
    in: one batch, one text per batch, or each engine at its own default batch size (a resumed run
    batches the remaining texts differently from an uninterrupted one)."""
    texts = LINES + [LINES[2] + " " + LINES[3] + " " + LINES[0]]       # one long text that sets the batch cap
    with load_translator(_cfg(batch_tokens=100_000), progress=False) as together, \
            load_translator(_cfg(batch_tokens=1), progress=False) as alone, \
            load_translator(_cfg(engine="ctranslate2", compute_type="float32", batch_tokens=None),
                            progress=False) as ct:
        a = together.translate(texts, "th")
        b = alone.translate(texts, "th")
        c = ct.translate(texts, "th")
        # (engine_calls also counts the one retry per batch of degenerate outputs)
        assert together.stats["engine_calls"] <= 2 < len(set(texts)) <= alone.stats["engine_calls"]
        # the translator's token count covers every engine call, retries included
        for tr in (together, alone, ct):
            assert tr.stats["target_tokens"] == tr.engine.generated_tokens > 0
        assert [r.text for r in a] == [r.text for r in b] == [r.text for r in c]
        assert [r.flags for r in a] == [r.flags for r in b] == [r.flags for r in c]
        # the short texts were cut at their own cap, not at the long text's
        caps = together._params_for(together.engine.token_lengths(texts, "th"))
        assert caps.max_new_tokens == max(caps.caps) > min(caps.caps)


def test_ct2_stream_keeps_a_bounded_window_in_order(tiny_model_dir: Path):
    """generate_stream submits at most ``window`` batches ahead and yields every batch's outputs in order."""
    with load_translator(_cfg(engine="ctranslate2", compute_type="float32", inter_threads=2), progress=False) as ct:
        engine = ct.engine
        params = GenParams(beam_size=1, max_new_tokens=12)
        jobs = [([t], params) for t in LINES] + [([], params), (LINES[:3], params)]
        taken: list[int] = []

        def feed():
            for k, job in enumerate(jobs):
                taken.append(k)
                yield job

        stream = engine.generate_stream(feed(), "th", window=2)
        first = next(stream)
        assert taken == [0, 1]                                     # one batch out, one still queued
        outs = [first, *stream]
        assert len(taken) == len(jobs)
        assert outs == engine.generate_many(jobs, "th")            # all submitted at once: same outputs
        assert outs[-2] == [] and len(outs[-1]) == 3 and all(len(o) == 1 for o in outs[:-2])
        assert outs[1] == outs[5]                                  # identical sources, identical outputs


def test_batch_tokens_default_comes_from_the_engine(tiny_model_dir: Path):
    from mt.translate.ct2 import CT2_CPU_BATCH_TOKENS

    with load_translator(_cfg(engine="ctranslate2", batch_tokens=None), progress=False) as ct, \
            load_translator(_cfg(batch_tokens=None), progress=False) as hf:
        assert ct.engine.batch_tokens == CT2_CPU_BATCH_TOKENS != hf.engine.batch_tokens == 4096
        assert ct._batch_tokens() == CT2_CPU_BATCH_TOKENS and hf._batch_tokens() == 4096
    with load_translator(_cfg(engine="ctranslate2", batch_tokens=300), progress=False) as ct:
        assert ct._batch_tokens() == 300
    with pytest.raises(ValueError, match="must be >= 1"):
        TranslateConfig(batch_tokens=0)


def test_ct2_defaults_and_conversion_cache(tiny_model_dir: Path, mt_cache_dir: Path):
    with load_translator(_cfg(engine="ctranslate2"), progress=False) as ct:
        assert ct.engine.compute_type == "int8"                 # auto on CPU
        assert ct.engine.inter_threads == (os.cpu_count() or 1) and ct.engine.intra_threads == 1
        (out_dir,) = set(ct.engine._dirs.values())
        assert out_dir.parent == mt_cache_dir / "ct2" and out_dir.name.endswith("-int8")
        stamp = (out_dir / "model.bin").stat().st_mtime_ns
        res = ct.translate(LINES[:3], "th")
        assert len(res) == 3 and all(isinstance(r.text, str) for r in res)
    with load_translator(_cfg(engine="ctranslate2"), progress=False) as again:   # converted once
        assert (set(again.engine._dirs.values()) == {out_dir}
                and (out_dir / "model.bin").stat().st_mtime_ns == stamp)


def test_ct2_missing_extra(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "ctranslate2", None)        # "not installed"
    monkeypatch.delitem(sys.modules, "mt.translate.ct2", raising=False)
    reg: Registry = Registry("translate engine")
    reg.register("ctranslate2", "mt.translate.ct2:CT2Engine")
    with pytest.raises(MissingExtraError, match=r"pip install 'mt\[ct2\]'"):
        reg.get("ctranslate2")


def test_target_vocab_script_restricts_outputs_in_both_engines(tiny_model_dir: Path, tmp_path: Path):
    """target_vocab = "script": no Thai piece is ever chosen; CTranslate2 (vocabulary map, its own converted
    directory) and transformers (logits mask) choose the same pieces; the cache keeps the two settings apart."""
    thai = re.compile("[\u0e00-\u0e7f]")
    cache = str(tmp_path / "t.sqlite")
    with load_translator(_cfg(cache=cache), progress=False) as full:
        unrestricted = [r.text for r in full.translate(LINES, "th")]
    assert any(thai.search(t) for t in unrestricted)              # the tiny model does write Thai pieces
    with load_translator(_cfg(target_vocab="script", cache=cache), progress=False) as hf, \
            load_translator(_cfg(target_vocab="script", engine="ctranslate2", compute_type="float32"),
                            progress=False) as ct:
        a = hf.translate(LINES, "th")
        b = ct.translate(LINES, "th")
        assert hf.stats["cached"] == 0                            # not served from the "full" rows
        assert [r.text for r in a] == [r.text for r in b]
        assert not any(thai.search(r.text) for r in a) and [r.text for r in a] != unrestricted
        assert not any("degenerate:script" in r.flags for r in a)
        (out_dir,) = set(ct.engine._dirs.values())
        assert "-vmap" in out_dir.name and (out_dir / "vmap.txt").is_file()
        assert ct.signature()["decoding"]["target_vocab"] == "script"


def test_allowed_tokens_by_script():
    from mt.errors import ConfigError
    from mt.translate.vocab import allowed_tokens, token_in_script, vmap_text

    assert token_in_script("\u2581the", "LATIN") and token_in_script("\u2581Vi\u1ec7t", "LATIN")
    assert token_in_script("2566", "LATIN") and token_in_script("\u2581\u201c", "LATIN")   # digits, quotes
    assert token_in_script("e\u0301", "LATIN")                                            # NFD accent
    assert not token_in_script("\u2581\u0e01\u0e32\u0e23", "LATIN")                       # Thai
    assert not token_in_script("ab\u0e31", "LATIN") and not token_in_script("\u043c\u0438\u0440", "LATIN")

    class Tok:
        all_special_tokens = ["</s>", "<unk>", "tha_Thai"]

        def get_vocab(self):
            return {"</s>": 0, "<unk>": 1, "\u2581the": 2, "\u2581\u0e01\u0e32\u0e23": 3, ",": 4,
                    "\u0e2a\u0e33": 5, "tha_Thai": 6, "\u4e2d": 7}

    assert allowed_tokens(Tok(), "en") == ["</s>", "<unk>", "\u2581the", ",", "tha_Thai"]
    assert vmap_text(["a", "b"]) == "\ta b\n"
    with pytest.raises(ConfigError, match="no script known for target language 'xx'"):
        allowed_tokens(Tok(), "xx")
    with pytest.raises(ConfigError, match="whitespace cannot go in a CTranslate2 vocabulary map"):
        vmap_text(["a b"])
