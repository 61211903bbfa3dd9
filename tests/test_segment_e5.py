"""The e5seg segmenter: windows over long lines, batching, rules, the seeded training run."""
from __future__ import annotations

import copy

import pytest
import torch

from mt.segment import train as T
from mt.segment.features import find_candidates


@pytest.fixture(scope="module")
def e5():
    from mt.encoder import load_e5

    return load_e5()


def _long_line() -> str:
    sents = [s for a in T.load_flores()[:40] for s in a.sentences] if T.FLORES_DEV.is_dir() else []
    if not sents:
        pytest.skip("FLORES-200 dev not in the shared data folder")
    return " ".join(sents)


def test_windows_score_every_candidate_once_at_its_own_tokens(e5):
    from mt.segment.e5seg import OVERLAP, WINDOW, line_windows

    _, tok = e5
    line = _long_line()
    cands = find_candidates(line)
    wins = line_windows(tok, line, cands)
    assert len(wins) > 3 and all(len(w.ids) <= WINDOW + 2 for w in wins)
    assert sorted(s for w in wins for s in w.slots) == list(range(len(cands)))
    bounds = [0] + [x for c in cands for x in (c.start, c.end)] + [len(line)]
    per = tok.encode_words([line[bounds[2 * i]: bounds[2 * i + 1]] for i in range(len(cands) + 1)])
    for w in wins:
        for slot, a, b in zip(w.slots, w.left, w.right):
            assert w.ids[a] == per[slot][-1] and w.ids[b] == per[slot + 1][0]
            assert OVERLAP // 2 - 1 <= a or w is wins[0]            # never scored at a cut edge
            assert b <= len(w.ids) - OVERLAP // 2 or w is wins[-1]


def test_batches_hold_every_window_within_the_budget(e5):
    from mt.segment.e5seg import batches, line_windows

    _, tok = e5
    line = _long_line()
    wins = [w for i in range(3) for w in line_windows(tok, line[: 400 * (i + 1)], find_candidates(line[: 400 * (i + 1)]), i)]
    groups = list(batches(wins, budget=1024))
    assert sorted(id(w) for g in groups for w in g) == sorted(id(w) for w in wins)
    assert all(len(g) * max(len(w.ids) for w in g) <= 1024 or len(g) == 1 for g in groups)


def test_rule_vetoes():
    from mt.segment.e5seg import rule_vetoes

    line = 'เขากล่าวว่า "เราจะทำงาน ร่วมกัน" ดร. สมชาย ใจดี ในปี 2567 ต่าง ๆ จบ'
    cands = find_candidates(line)
    got = {line[:c.start].rsplit(" ", 1)[-1] + "|" + line[c.end:].split(" ", 1)[0]: v
           for c, v in zip(cands, rule_vetoes(line, cands))}
    assert got['"เราจะทำงาน|ร่วมกัน"'] and got["ดร.|สมชาย"] and got["ในปี|2567"] and got["ต่าง|ๆ"]
    assert not got["ใจดี|ในปี"] and not got['ร่วมกัน"|ดร.']


def _tiny_run(e5, seed: int, aux_domain: str = "", arts=None):
    from mt.segment.e5train import Recipe, train

    enc, tok = e5
    recipe = Recipe(layers=2, frozen=1, epochs=1, regroupings=1, cross=0, max_tokens=64, batch_tokens=512,
                    seed=seed, aux_domain=aux_domain)
    if arts is None:
        arts = T.load_flores()[:6] if T.FLORES_DEV.is_dir() else pytest.skip("no FLORES dev")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return train(arts, copy.deepcopy(enc), tok, recipe).trained_state()
    finally:
        torch.set_num_threads(threads)


def test_training_is_seeded_and_deterministic(e5):
    from mt.segment.e5seg import SegModel

    a, b, c = _tiny_run(e5, 13), _tiny_run(e5, 13), _tiny_run(e5, 14)
    assert a.keys() == b.keys() and any(k.startswith("encoder.layers.1.") for k in a)
    assert not any(k.startswith("encoder.layers.0.") for k in a)          # frozen layers are not shipped
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)
    base = SegModel(copy.deepcopy(e5[0]), 2, 1).state_dict()
    assert not torch.equal(a["encoder.layers.1.q.weight"], base["encoder.layers.1.q.weight"])   # it trained


def test_auxiliary_domain_trains_the_encoder_through_a_head_that_is_not_kept(e5):
    import dataclasses

    arts = T.load_flores()[:6] if T.FLORES_DEV.is_dir() else pytest.skip("no FLORES dev")
    aux = [dataclasses.replace(a, domain="aux") for a in arts[3:]]
    plain = _tiny_run(e5, 13, arts=arts[:3])
    unused = _tiny_run(e5, 13, aux_domain="aux", arts=arts[:3])       # no article of that domain: same run
    multi = _tiny_run(e5, 13, aux_domain="aux", arts=arts[:3] + aux)
    assert multi.keys() == plain.keys()                                 # the auxiliary head is not shipped
    assert all(torch.equal(plain[k], unused[k]) for k in plain)
    assert not torch.equal(multi["encoder.layers.1.q.weight"], plain["encoder.layers.1.q.weight"])


def test_augment_keeps_boundaries_on_spaces():
    import random

    from mt.segment.e5train import augment

    sents = ["ฝนตก หนัก มาก.", "น้ำ ท่วม ถนน", "ประชาชน เดือดร้อน"]
    rng = random.Random(1)
    for _ in range(50):
        text, joins = augment(sents, rng, 0.5)
        starts = {c.start for c in find_candidates(text)}
        assert len(joins) == 2 and joins <= starts
    assert augment(sents, rng, 0.0) == (" ".join(sents), {14, 27})


def test_tud_files_become_articles(tmp_path):
    from mt.segment.e5train import load_tud

    p = tmp_path / "x.conllu"
    p.write_text("# filename = a\n# text = หนึ่ง\n1\tx\n\n# filename = b\n# text = สอง\n\n"
                 "# filename = a\n# text = สาม\n", encoding="utf-8")
    assert [(a.url, a.sentences) for a in load_tud(p)] == [("a", ["หนึ่ง", "สาม"]), ("b", ["สอง"])]


def test_missing_model_is_a_model_error(tmp_path):
    from mt.errors import ModelError
    from mt.segment.e5seg import E5Seg

    with pytest.raises(ModelError, match="e5seg model files are missing"):
        E5Seg(str(tmp_path / "e5seg.pt"))


@pytest.fixture(scope="module")
def e5seg():
    from mt.segment import get_segmenter

    return get_segmenter("e5seg")


def test_batched_segmentation_equals_one_at_a_time(e5seg):
    from mt.segment import Prepared

    paras = [" ".join(p) for p in T.paragraphs(T.load_flores()[:4])] if T.FLORES_DEV.is_dir() else []
    paras += ["ข่าว", "", "Hello there. How are you?", "ฝนตกหนัก\nน้ำท่วม ถนน"]
    batched = e5seg.segment_many(paras)
    assert batched == [e5seg.segment(p) for p in paras]
    prepared = Prepared(e5seg, paras)
    assert prepared.name == "e5seg" and len(prepared.done) == len(set(paras))
    assert [prepared.segment(p) for p in paras] == batched
    assert prepared.segment("วันนี้ฝนตก พรุ่งนี้แดดออก") == e5seg.segment("วันนี้ฝนตก พรุ่งนี้แดดออก")


def test_segment_stage_batches_documents(e5seg, monkeypatch):
    from mt.config import RunConfig
    from mt.records import Doc, Line
    from mt.steps import SegmentStep

    calls = []
    many = e5seg.segment_many
    monkeypatch.setattr(e5seg, "segment_many", lambda texts: calls.append(len(texts)) or many(texts))
    stage = SegmentStep.__new__(SegmentStep)
    SegmentStep.__bases__[0].__init__(stage)
    stage.config, stage.segmenter, stage.docs_per_batch = RunConfig(), e5seg, 3
    docs = [Doc(doc_id=f"d{i}", file=f"d{i}.txt", lines=[Line(line=1, text=f"ฝนตกหนักในจังหวัดที่ {i} น้ำท่วมถนน", kind="body")])
            for i in range(5)]
    out = list(stage.run(docs))
    assert [d.doc_id for d in out] == [f"d{i}" for i in range(5)] and calls == [3, 2]
    assert all(d.units and d.stages == ["segment"] for d in out)


def test_model_that_does_not_fit_its_json_is_a_model_error(tmp_path):
    import json
    from importlib import resources

    from mt.errors import ModelError
    from mt.segment.e5seg import E5Seg

    meta = json.loads(resources.files("mt.segment").joinpath("e5seg.json").read_text(encoding="utf-8"))
    state = torch.load(str(resources.files("mt.segment").joinpath("e5seg.pt")), weights_only=True)
    (tmp_path / "e5seg.json").write_text(json.dumps(meta), encoding="utf-8")
    torch.save({k: v for k, v in state.items() if not k.startswith("head.")}, tmp_path / "e5seg.pt")
    with pytest.raises(ModelError, match=r"does not fit its json.*missing \['head\."):
        E5Seg(str(tmp_path / "e5seg.pt"))


def test_compute_type_auto_follows_the_hardware_and_bad_values_are_refused(monkeypatch):
    from mt import devices
    from mt.errors import ConfigError
    from mt.segment.e5seg import resolve_compute_type

    monkeypatch.setattr(devices, "cpu_has_bf16", lambda: False)
    assert resolve_compute_type("auto", "cpu") == "float32"
    monkeypatch.setattr(devices, "cpu_has_bf16", lambda: True)
    assert resolve_compute_type("auto", "cpu") == "bfloat16"
    assert resolve_compute_type("float32", "cpu") == "float32"
    with pytest.raises(ConfigError, match="compute_type 'int4' is not supported by e5seg"):
        resolve_compute_type("int4", "cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-GPU refusal")
def test_cuda_device_without_a_gpu_is_a_config_error():
    from mt.config import RunConfig
    from mt.errors import ConfigError
    from mt.segment import get_segmenter

    with pytest.raises(ConfigError, match="no CUDA GPU is visible") as err:
        get_segmenter("e5seg", RunConfig(segment={"device": "cuda"}).segment)
    assert err.value.where == "segment.device"


def test_bfloat16_segments_like_float32_and_is_in_the_signature(e5seg):
    from mt.config import RunConfig
    from mt.segment import get_segmenter
    from mt.steps import SegmentStep

    paras = [" ".join(p) for p in T.paragraphs(T.load_flores()[:12])] if T.FLORES_DEV.is_dir() else []
    paras += ["ฝนตกหนักในกรุงเทพฯ เมื่อคืนนี้ น้ำท่วมถนนหลายสาย ผู้ว่าฯ สั่งเร่งระบายน้ำ"]
    configs = {ct: RunConfig(segment={"compute_type": ct}) for ct in ("float32", "bfloat16")}
    exact, fast = (get_segmenter("e5seg", c.segment) for c in configs.values())
    assert (exact.compute_type, fast.compute_type) == ("float32", "bfloat16")
    a, b = exact.segment_many(paras), fast.segment_many(paras)
    assert sum(x == y for x, y in zip(a, b)) >= len(paras) - 1        # bf16 may move one boundary, not more
    step = SegmentStep.__new__(SegmentStep)
    step.config, step.segmenter = configs["bfloat16"], fast
    assert step.signature()["segmenter"] == f"e5seg@{fast.model_version}/bfloat16"
