"""Translation-memory engine: memory formats, exact / joined / fuzzy matches, misses, fallback, signature, errors."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from mt.config import load_config
from mt.errors import ConfigError, ModelError
from mt.translate import TranslateConfig, load_translator
from mt.translate.memory import load_memory, match_key

ROOT = Path(__file__).resolve().parents[1]
TH1 = "กระทรวงการต่างประเทศจัดการประชุมที่กรุงฮานอย"
TH2 = "รองนายกรัฐมนตรีเข้าร่วมการประชุมเต็มคณะ"
TH3 = "ผู้เข้าร่วมประชุมประกอบด้วยผู้นำจากกระทรวงและสาขาต่าง ๆ"
EN1 = "The Ministry of Foreign Affairs held a meeting in Hanoi."
EN2 = "The Deputy Prime Minister attended the plenary session."
EN3 = "Participants included leaders of ministries and branches."
VI1 = "Bộ Ngoại giao tổ chức hội nghị tại Hà Nội"


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def memory_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "memory.jsonl", [
        {"th": TH1, "vi": VI1, "en": EN1}, {"th": TH2, "en": EN2}, {"translation": {"th": TH3, "en": EN3}},
    ])


def tm(memory: Path | list[str], **kw) -> object:
    cfg = TranslateConfig(engine="tm", memory=memory if isinstance(memory, list) else str(memory), cache=None, **kw)
    return load_translator(cfg, progress=False)


def test_match_key_ignores_spaces_between_thai_letters_only():
    assert match_key("ก ข\u200b  ค") == "กขค"
    assert match_key("  Hà   Nội ") == "Hà Nội" != match_key("HàNội")
    assert match_key("ไทย Tran Luu Quang ไทย") == "ไทย Tran Luu Quang ไทย"
    assert match_key("e\u0301") == "\u00e9"          # NFC


def test_exact_joined_and_missing_sources(memory_file: Path):
    with tm(memory_file) as tr:
        spaced = TH3.replace("ต่าง ๆ", "ต่างๆ").replace("ผู้นำ", " ผู้นำ ")
        out = tr.translate([TH1, f"{TH2} {TH1}", f"{TH1}{TH2}", spaced, "ข้อความที่ไม่มีในหน่วยความจำ", ""], "th")
        vi = tr.translate([VI1 + "  ", "Câu không có"], "vi")
    assert [o.text for o in out] == [EN1, f"{EN2} {EN1}", f"{EN1} {EN2}", EN3, None, ""]
    assert out[0].scores == {"tm": 1.0, "guard": 1.0} and out[0].flags == []
    assert out[1].flags == ["tm_joined"] and out[1].scores["tm"] == 1.0
    assert out[4].flags == ["tm_miss"] and out[4].scores["tm"] is None
    assert vi[0].text == EN1 and vi[1].text is None and vi[1].flags == ["tm_miss"]
    assert tr.stats["memory"] == 7 and tr.stats["translated"] == 0
    assert tr.engine.stats == {"tm_exact": 3, "tm_joined": 2, "tm_miss": 2}


def test_fuzzy_match_is_scored_and_flagged_above_the_threshold_only(memory_file: Path):
    near = TH1.replace("กรุงฮานอย", "กรุงฮานอยย")
    far = TH1[:20]
    with tm(memory_file, fuzzy=0.9) as tr:
        got_near, got_far = tr.translate([near, far], "th")
    assert got_near.text == EN1 and got_near.flags == ["tm_fuzzy"]
    assert 0.9 <= got_near.scores["tm"] < 1.0
    assert got_far.text is None and got_far.flags == ["tm_miss"]
    with tm(memory_file) as exact_only:
        assert exact_only.translate([near], "th")[0].flags == ["tm_miss"]


def test_signature_names_memory_files_by_name_and_digest(memory_file: Path, tmp_path: Path):
    with tm(memory_file) as tr:
        sig = tr.signature()
        key = tr._context
    text = json.dumps(sig, ensure_ascii=False)
    assert str(tmp_path) not in text
    (entry,) = sig["models"]["th"]["memory"]
    assert entry["name"] == "memory.jsonl" and entry["pairs"] == {"th": 3, "vi": 1}
    assert len(entry["sha256"]) == 64 and sig["engine"] == "tm" and sig["is_real"] is True
    assert sig["model"] == "translation-memory" and sig["preset"] is None      # no model runs
    write_jsonl(memory_file, [{"th": TH1, "en": EN2}])
    with tm(memory_file) as changed:
        assert changed.signature()["revision"] != sig["revision"]
        assert changed._context != key                       # cache keys follow the memory's content
        assert changed.translate([TH1], "th")[0].text == EN2


def test_tmx_moses_parquet_and_corpus_dir_memories(tmp_path: Path):
    tmx = tmp_path / "memory.tmx"
    tmx.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4"><header srclang="th"/><body>\n'
        f'<tu><tuv xml:lang="th-TH"><seg>{TH1}</seg></tuv><tuv xml:lang="EN-us"><seg>The Ministry of '
        'Foreign Affairs held a meeting in <ph>&lt;b&gt;</ph>Hanoi.</seg></tuv></tu>\n'
        f'<tu><tuv lang="vie_Latn"><seg>{VI1}</seg></tuv><tuv lang="eng_Latn"><seg>{EN1}</seg></tuv></tu>\n'
        '<tu><tuv xml:lang="fr"><seg>Bonjour</seg></tuv></tu></body></tmx>\n', encoding="utf-8")
    (tmp_path / "pair.th").write_text(f"{TH2}\n{TH3}\n", encoding="utf-8")
    (tmp_path / "pair.en").write_text(f"{EN2}\n{EN3}\n", encoding="utf-8")
    mem = load_memory([tmx, tmp_path / "pair.th"])
    assert mem.exact("th", match_key(TH1)) == "The Ministry of Foreign Affairs held a meeting in <b>Hanoi."
    assert mem.exact("vi", match_key(VI1)) == EN1 and mem.exact("th", match_key(TH3)) == EN3
    assert [f.name for f in mem.files] == ["memory.tmx", "pair.th+pair.en"]
    assert mem.files[0].skipped == {"no source/English pair": 1}

    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist([{"th": TH1, "en": EN1}, {"th": TH2, "en": None}]), tmp_path / "m.parquet")
    pmem = load_memory([tmp_path / "m.parquet"])
    assert pmem.size("th") == 1 and pmem.files[0].skipped == {"no source/English pair": 1}

    out = tmp_path / "out"
    out.mkdir()
    write_jsonl(out / "corpus.jsonl", [
        {"id": "d:1:0", "kind": "body", "th": TH1, "en": EN1, "vi": VI1, "status": "accepted"},
        {"id": "d:2:0", "kind": "body", "th": TH2, "en": EN2, "status": "rejected"}])
    write_jsonl(out / "captions.jsonl", [{"vi": VI1, "th": TH3, "en_from_vi": EN1, "en_from_th": EN3}])
    dmem = load_memory([out])
    assert dmem.exact("th", match_key(TH1)) == EN1 and dmem.exact("th", match_key(TH2)) is None
    assert dmem.exact("vi", match_key(VI1)) == EN1 and dmem.exact("th", match_key(TH3)) == EN3
    assert dmem.files[0].skipped == {"rejected": 1} and dmem.files[0].name == "out/"


def test_first_memory_wins_and_conflicts_are_counted(tmp_path: Path, memory_file: Path):
    other = write_jsonl(tmp_path / "other.jsonl", [{"th": TH1, "en": "Another English."}, {"th": TH2, "en": EN2}])
    mem = load_memory([memory_file, other])
    assert mem.exact("th", match_key(TH1)) == EN1
    assert mem.files[1].skipped == {"conflicting": 1, "duplicate": 1}


def test_fallback_engine_translates_what_the_memory_lacks(tiny_model_dir: Path, memory_file: Path, tmp_path: Path):
    cfg = TranslateConfig(engine="tm", memory=[str(memory_file)], fallback="transformers", preset="tiny",
                          beam_size=1, max_new_tokens=16, cache=str(tmp_path / "cache.sqlite"))
    with load_translator(cfg, progress=False) as tr:
        hit, miss = tr.translate([TH1, "ข้อความที่ไม่มีในหน่วยความจำ"], "th")
        again = tr.translate(["ข้อความที่ไม่มีในหน่วยความจำ"], "th")[0]
        sig = tr.signature()
    assert hit.text == EN1 and hit.scores["tm"] == 1.0
    assert miss.text and "tm" not in miss.scores and "tm_miss" not in miss.flags and "guard" in miss.scores
    assert again.text == miss.text and tr.stats["cached"] == 1 and tr.stats["translated"] == 1
    assert sig["engine"] == "tm+transformers" and sig["is_real"] is False        # the tiny model is not real
    assert sig["models"]["th"]["fallback"]["model"] and sig["preset"] == "tiny"


def test_config_errors_name_the_key(memory_file: Path):
    with pytest.raises(ConfigError, match="engine \"tm\" needs translate.memory"):
        load_config(ROOT / "configs" / "smoke.toml", {"translate.engine": "tm"})
    with pytest.raises(ConfigError, match="unknown fallback engine 'nllb'; valid: ct2, ctranslate2, transformers"):
        load_config(None, {"translate.engine": "tm", "translate.memory": "m.jsonl", "translate.fallback": "nllb"})
    with pytest.raises(ConfigError, match="translate.fuzzy.*must be in"):
        load_config(None, {"translate.engine": "tm", "translate.memory": "m.jsonl", "translate.fuzzy": 1.5})
    cfg = load_config(None, {"translate.engine": "tm", "translate.memory": [str(memory_file)],
                             "translate.fallback": "ct2", "translate.fuzzy": 0.85})
    assert cfg.translate.fallback == "ct2" and cfg.translate.memory == [str(memory_file)]


def test_memory_errors_say_what_where_and_fix(tmp_path: Path):
    with pytest.raises(ModelError, match=r"translate.memory: translation memory '.*nope.tmx' does not exist -- fix"):
        load_memory([tmp_path / "nope.tmx"])
    bad = tmp_path / "bad.tmx"
    bad.write_text('<tmx version="1.4"><body><tu><tuv xml:lang="th"><seg>x</tuv></tu></body></tmx>', encoding="utf-8")
    with pytest.raises(ModelError, match=r"bad.tmx:1:\d+: translation memory 'bad.tmx' is not well-formed TMX"):
        load_memory([bad])
    fields = write_jsonl(tmp_path / "fields.jsonl", [{"source": TH1, "target": EN1}])
    with pytest.raises(ModelError, match=r"'fields.jsonl' has no th->en or vi->en entries.*'th' or 'vi' field"):
        load_memory([fields])
    (tmp_path / "broken.jsonl").write_text('{"th": "x", "en": "y"}\n{oops\n', encoding="utf-8")
    with pytest.raises(ModelError, match=r"broken.jsonl:2: translation memory 'broken.jsonl': line is not JSON"):
        load_memory([tmp_path / "broken.jsonl"])
    (tmp_path / "lonely.th").write_text(TH1 + "\n", encoding="utf-8")
    with pytest.raises(ModelError, match="has no English side 'lonely.en'"):
        load_memory([tmp_path / "lonely.th"])
    (tmp_path / "lonely.en").write_text(f"{EN1}\n{EN2}\n", encoding="utf-8")
    with pytest.raises(ModelError, match="lonely.th has 1 lines, lonely.en 2"):
        load_memory([tmp_path / "lonely.th"])
    (tmp_path / "memory.csv").write_text("th,en\n", encoding="utf-8")
    with pytest.raises(ModelError, match="unknown format '.csv'"):
        load_memory([tmp_path / "memory.csv"])
    with pytest.raises(ModelError, match="holds no corpus.jsonl"):
        load_memory([tmp_path])


def test_memory_english_is_reused_as_given_on_one_line(tmp_path: Path):
    # a reviewed text is not rewritten: only line breaks / space runs become one space (no NFC, no case change)
    mem = load_memory([write_jsonl(tmp_path / "m.jsonl", [{"th": TH1, "en": " Cafe\u0301\n au  LAIT "}])])
    assert mem.exact("th", match_key(TH1)) == "Cafe\u0301 au LAIT"
