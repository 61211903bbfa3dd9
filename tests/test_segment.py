"""Thai sentence segmentation (engines, registry, robustness) and MT units (mapping, merge, split)."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")

from mt.errors import ConfigError  # noqa: E402
from mt.records import CORPUS_KINDS, Doc, Line  # noqa: E402
from mt.segment import SEGMENTERS, get_segmenter, segment_paragraphs  # noqa: E402
from mt.segment.config import SegmentConfig  # noqa: E402
from mt.segment.units import build_units, make_units, split_long  # noqa: E402

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


@pytest.fixture(scope="module")
def thaiseg():
    return get_segmenter("thaiseg")


@pytest.fixture(scope="module", params=["thaiseg", "e5seg"])
def seg(request, thaiseg):
    """The robustness catalogue runs on the CRF and on the default (e5seg)."""
    return thaiseg if request.param == "thaiseg" else get_segmenter("e5seg")


@pytest.fixture(scope="module")
def crfcut():
    return get_segmenter("crfcut")


def texts(text: str, spans: list[tuple[int, int]]) -> list[str]:
    return [text[a:b] for a, b in spans]


def _blank(s: str) -> bool:
    return all(c.isspace() or c in "\u200b\ufeff" for c in s)


def check_spans(text: str, spans: list[tuple[int, int]]) -> None:
    """Ordered, non-overlapping, stripped spans that hold every visible character of ``text``."""
    pos = 0
    for a, b in spans:
        assert pos <= a < b <= len(text)
        piece = text[a:b]
        assert not _blank(piece[0]) and not _blank(piece[-1])
        assert _blank(text[pos:a])
        pos = b
    assert _blank(text[pos:])


# -- registry ---------------------------------------------------------------------------

def test_registry_names_and_default():
    assert SEGMENTERS.names() == ["crfcut", "e5seg", "thaiseg", "whitespace"]
    assert SegmentConfig().engine == "e5seg"


def test_unknown_engine_lists_valid_names():
    with pytest.raises(ConfigError, match=r"unknown segmenter 'punkt'.*crfcut, e5seg, thaiseg, whitespace"):
        get_segmenter("punkt")


def test_get_segmenter_gives_fresh_instances():
    a, b = get_segmenter("thaiseg"), get_segmenter("thaiseg")
    assert a is not b and a.tagger is not b.tagger
    assert a.name == "thaiseg"


@pytest.mark.parametrize("name", ["whitespace", "crfcut", "thaiseg"])
@pytest.mark.parametrize("text", ["", "   ", "\u200b \xa0\n"])
def test_empty_text_gives_no_sentence(name, text):
    assert get_segmenter(name).segment(text) == []


@pytest.mark.parametrize("text", ["", "   ", "\u200b \xa0\n"])
def test_empty_text_gives_no_sentence_default(seg, text):
    assert seg.segment(text) == []


# -- engines ----------------------------------------------------------------------------

def test_whitespace_splits_at_every_space():
    text = "  วันนี้อากาศดี  ฝนไม่ตก\xa0แดดออก "
    spans = get_segmenter("whitespace").segment(text)
    assert texts(text, spans) == ["วันนี้อากาศดี", "ฝนไม่ตก", "แดดออก"]


def test_crfcut_spans_map_back_to_the_text(crfcut):
    text = "ตำรวจจับกุมผู้ต้องสงสัยได้แล้วเมื่อคืนนี้ เจ้าหน้าที่กล่าวว่าการสอบสวนยังคงดำเนินต่อไป"
    spans = crfcut.segment(text)
    check_spans(text, spans)
    assert len(spans) == 2


POLICE = "ตำรวจภูธรจังหวัดเชียงใหม่จับกุมผู้ต้องสงสัยในคดีปล้นร้านทองกลางเมืองได้แล้วเมื่อคืนวันพฤหัสบดีที่ผ่านมา"
OFFICIAL = "เจ้าหน้าที่ระบุว่าผู้ต้องสงสัยยอมรับสารภาพและการสอบสวนเพื่อขยายผลยังคงดำเนินต่อไป"


@pytest.mark.parametrize("first,second", [
    (POLICE, OFFICIAL),
    ("กรมอุตุนิยมวิทยาประกาศเตือนว่าจะมีฝนตกหนักถึงหนักมากในหลายจังหวัดของภาคใต้ตลอดสัปดาห์นี้",
     "ประชาชนที่อาศัยอยู่ในพื้นที่เสี่ยงควรเตรียมพร้อมรับมือกับน้ำท่วมฉับพลันและน้ำป่าไหลหลาก"),
    ("ธนาคารแห่งประเทศไทยมีมติคงอัตราดอกเบี้ยนโยบายไว้ที่ร้อยละ 2.50 ต่อปี",
     "คณะกรรมการนโยบายการเงินคาดว่าเศรษฐกิจไทยจะขยายตัวได้ดีขึ้นในช่วงครึ่งหลังของปี"),
])
def test_thaiseg_splits_news_sentences(thaiseg, first, second):
    text = first + " " + second
    assert texts(text, thaiseg.segment(text)) == [first, second]


def test_thaiseg_does_not_split_clauses(thaiseg):
    # spaces before a subordinate clause ("ซึ่ง ...") and inside a date are not sentence ends
    clause = ("เมื่อวันที่ 22 ธันวาคม ณ กรุงฮานอย กระทรวงการต่างประเทศได้จัดการประชุมเต็มคณะ "
              "ซึ่งเป็นส่วนหนึ่งของการประชุมทางการทูตครั้งที่ 32")
    assert texts(clause, thaiseg.segment(clause)) == [clause]


def test_newlines_always_end_a_sentence(thaiseg):
    text = "บรรทัดแรก\nบรรทัดที่สอง"
    assert texts(text, thaiseg.segment(text)) == ["บรรทัดแรก", "บรรทัดที่สอง"]


def test_segment_paragraphs_yields_sentences_per_line(thaiseg):
    out = list(segment_paragraphs(["ฝนตกหนักทั้งคืนจนน้ำท่วมถนน\n", "\n", "Hello there. How are you?\n"], thaiseg))
    assert out == [["ฝนตกหนักทั้งคืนจนน้ำท่วมถนน"], [], ["Hello there.", "How are you?"]]


# -- robustness catalogue ---------------------------------------------------------------

def test_quotes_are_not_split(seg):
    text = 'เขากล่าวว่า "เราจะทำงานร่วมกัน เพื่อประชาชน ทุกคน" และจะเดินหน้าต่อไป'
    spans = seg.segment(text)
    check_spans(text, spans)
    assert not any(t.count('"') == 1 for t in texts(text, spans))
    curly = "นายกฯ ระบุว่า “รัฐบาลพร้อมช่วยเหลือ ทุกพื้นที่” หลังน้ำท่วม"
    assert not any(("“" in t) != ("”" in t) for t in texts(curly, seg.segment(curly)))


def test_parentheses_are_not_split(seg):
    text = "สหายเล หว้าย จุง กล่าวสุนทรพจน์ในการประชุม (ที่มา: สำนักข่าว VNA ภาพ: ไห่ มินห์)"
    out = texts(text, seg.segment(text))
    assert any("(ที่มา: สำนักข่าว VNA ภาพ: ไห่ มินห์)" in t for t in out)


@pytest.mark.parametrize("text,kept", [
    ("รัฐบาลได้อนุมัติงบประมาณประจำปี 2567 แล้ว", "ปี 2567"),
    ("โครงการนี้เริ่มเมื่อ พ.ศ. 2567 และจะสิ้นสุดในอีกสามปี", "พ.ศ. 2567"),
    ("การประชุมจัดขึ้นเมื่อวันที่ 5 มีนาคม ณ ทำเนียบรัฐบาล", "วันที่ 5"),
])
def test_numbers_and_dates_stay_with_their_word(seg, text, kept):
    assert any(kept in t for t in texts(text, seg.segment(text)))


@pytest.mark.parametrize("text,kept", [
    ("ดร. สมชาย ใจดี เดินทางมาถึงที่ประชุมแล้ว", "ดร. สมชาย"),
    ("พ.ต.อ. สมศักดิ์ รักชาติ ผู้กำกับการสถานีตำรวจ ให้สัมภาษณ์", "พ.ต.อ. สมศักดิ์"),
])
def test_abbreviations_do_not_end_sentences(seg, text, kept):
    assert any(kept in t for t in texts(text, seg.segment(text)))


def test_latin_names_and_acronyms_stay_together(seg):
    text = "รองนายกรัฐมนตรี Tran Luu Quang เข้าร่วมการประชุมของ ASEAN และ WHO ที่กรุงฮานอย"
    out = texts(text, seg.segment(text))
    assert any("Tran Luu Quang" in t for t in out)
    assert any("ASEAN และ WHO" in t for t in out)


def test_ellipsis_stays_with_the_text_before_it(seg):
    text = "เขารอคอยอยู่นาน... ในที่สุดเธอก็มาถึง"
    out = texts(text, seg.segment(text))
    check_spans(text, seg.segment(text))
    assert not any(t.startswith((".", "…")) for t in out)
    assert any(t.endswith("นาน...") or "นาน... ใน" in t for t in out)


def test_trailing_and_leading_spaces_are_not_in_spans(seg):
    core = "ฝนตกหนักทั้งคืนจนน้ำท่วมถนน"
    text = "   " + core + "   \t"
    assert seg.segment(text) == [(3, 3 + len(core))]


def test_zero_width_and_no_break_spaces(seg):
    text = "\u200bวันนี้\u200bอากาศ\u200bดี\xa0มาก\u200b \ufeff"
    spans = seg.segment(text)
    check_spans(text, spans)
    assert texts(text, spans)[0].startswith("วันนี้")


def test_text_without_thai(seg):
    text = "Hello world. This is Dr. Smith speaking at 10 a.m. today. Bye!"
    assert texts(text, seg.segment(text)) == [
        "Hello world.", "This is Dr. Smith speaking at 10 a.m. today.", "Bye!"]
    assert texts("2024-06-20 12:00", seg.segment("2024-06-20 12:00")) == ["2024-06-20 12:00"]


def test_megabyte_without_spaces_is_fast(seg):
    text = "ก" * 1_000_000
    t0 = time.perf_counter()
    assert seg.segment(text) == [(0, len(text))]
    assert time.perf_counter() - t0 < 5


def _news_paragraph(chars: int) -> str:
    lines = [x for x in (SEEDS / "001_51c23821779e26be.txt").read_text(encoding="utf-8").splitlines() if len(x) > 100]
    text = " ".join(lines)
    return (text + " ") * (chars // len(text)) + text[: chars % len(text)]


def test_long_paragraph_time_is_linear(seg):
    n = 5_000 if seg.name == "e5seg" else 10_000      # the encoder is slower per character; same 4x ratio
    small, large = _news_paragraph(n), _news_paragraph(4 * n)
    t0 = time.perf_counter()
    check_spans(small, seg.segment(small))
    t_small = time.perf_counter() - t0
    t0 = time.perf_counter()
    spans = seg.segment(large)
    t_large = time.perf_counter() - t0
    check_spans(large, spans)
    assert t_large < 4 * t_small * 2.0 + 1.0   # linear (with slack), not quadratic (16x)


@pytest.mark.slow
def test_megabyte_paragraph(seg):
    text = _news_paragraph(1_000_000)
    t0 = time.perf_counter()
    spans = seg.segment(text)
    assert time.perf_counter() - t0 < 300
    check_spans(text, spans)
    assert len(spans) > 1000


# -- fast paths give exactly the PyThaiNLP results (mt/segment/fast.py) ----------------------

FLORES_TH = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "flores200" / "dev" / "tha_Thai.dev"

ROBUSTNESS = [
    "\ufeffข่าววันนี้ ฝนตกหนักทั้งคืน ประชาชนได้รับผลกระทบหลายพันครัวเรือน",          # BOM
    "\u200bวันนี้\u200bอากาศ\u200bดี\xa0มาก\u200b เจ้าหน้าที่\u200b เตือน\xa0ประชาชน \ufeff",  # ZWSP, NBSP
    'เขากล่าวว่า "เราจะทำงานร่วมกัน เพื่อประชาชน ทุกคน" และจะเดินหน้าต่อไป',
    "นายกฯ ระบุว่า “รัฐบาลพร้อมช่วยเหลือ ทุกพื้นที่” หลังน้ำท่วม ‘ทันที’ ครับ",
    "สหายเล หว้าย จุง กล่าว (ที่มา: สำนักข่าว VNA ภาพ: ไห่ มินห์) [ภาพ] {หมายเหตุ}",
    POLICE * 40 + " " + OFFICIAL + " " + "ข่าว" * 300,                 # long chunks without spaces
    "ราคา 1,234.50 บาท + ภาษี = 1,320 บาท @ร้าน & ตลาด $5 ^ <ยอด> * ; / ’ ! ? เวลา 19:30 น. ร้อยละ 2.50",
    "ปี 2567 พ.ศ. 2567 ดร. สมชาย ใจดี COVID-19 ระบาด ต่าง ๆ กรุงเทพ ฯ ฯลฯ ผบ.ตร. แถลง",
    "บรรทัดแรก\nบรรทัดที่สอง\r\nบรรทัดที่สาม\tแท็บ\u3000ช่องว่าง  สองช่อง   ครับ",
    "เขารอคอยอยู่นาน... ในที่สุดเธอก็มาถึง… จบ! Hello world. ไทย 🇹🇭 ข่าว",
    "ก.พ. ม.ค. ส.ส. ค.ศ. 2024 No. 5 Mr. Smith กล่าว Dr. Lee ตอบ",
    "ข่าว\x00 วันนี้\x00ฝนตก ที่\x00 และ \x00ซึ่ง ครับ",                    # NUL (crfsuite C strings)
]


def _paragraphs() -> list[str]:
    from mt.segment.features import has_thai

    paras = [x for p in sorted(SEEDS.glob("*.txt")) for x in p.read_text(encoding="utf-8").splitlines() if has_thai(x)]
    if FLORES_TH.exists():
        flores = FLORES_TH.read_text(encoding="utf-8").splitlines()
        paras += flores[::40] + [" ".join(flores[i:i + 5]) for i in range(7, len(flores), 200)]
    return paras + ROBUSTNESS


def _feature_lines(text: str):
    """The lines ThaiSeg.segment hands to the featurizer (same path: _lines, strip, candidates)."""
    from mt.segment.engines import line_candidates
    from mt.segment.features import has_thai

    for _, line, cands in line_candidates(text):
        if cands and has_thai(line):
            yield line, cands


def test_thaiseg_features_equal_the_pythainlp_reference(thaiseg):
    """Every CRF feature dict (keys, order, values, crfcut floats) equals the one built with
    pythainlp's own pos_tag, crfcut feature extractor and unfiltered crfcut model input."""
    from pythainlp.tag import pos_tag
    from pythainlp.tokenize import word_tokenize
    from pythainlp.tokenize.crfcut import _extract_features

    from mt.segment.engines import CrfcutLocal, load_tnc_freq, make_featurizer
    from mt.segment.features import find_candidates

    assert not thaiseg.featurizer.tag.exact_fallback            # the fast tagger is really in use
    assert thaiseg.featurizer.boundary_prob.known is not None    # and the crfcut attribute filter
    ref_crfcut = CrfcutLocal()
    ref_crfcut._extract, ref_crfcut.known = _extract_features, None
    reference = make_featurizer(word_tokenize, pos_tag, ref_crfcut, load_tnc_freq())
    n = 0
    for text in _paragraphs():
        for line, cands in _feature_lines(text):
            got = thaiseg.featurizer.features(line, cands)
            ref_cands = find_candidates(line)
            want = reference.features(line, ref_cands)
            assert [list(f.items()) for f in got] == [list(f.items()) for f in want], line[:80]
            assert [c.veto for c in cands] == [c.veto for c in ref_cands]
            n += len(cands)
    assert n > 1000


POS_KEYS = {"lp1", "rp1", "lp2lp1", "rp1rp2", "lp1rp1", "lverb", "rverb", "verbs"}
CRFCUT_KEYS = {"crfcut", "crfcut_bin"}


@pytest.mark.parametrize("drop", [(), ("pos",), ("crfcut",), ("pos", "crfcut")])
def test_featurizer_without_tagger_or_crfcut_omits_those_features(thaiseg, drop):
    """tag=None / boundary_prob=None (the ablations of benchmarks/segment_experiments.py) leave out
    exactly the POS-derived / crfcut features, context copies included; the default keeps them."""
    from mt.segment.features import Featurizer, find_candidates

    f = thaiseg.featurizer
    fz = Featurizer(f.tokenize, None if "pos" in drop else f.tag,
                    None if "crfcut" in drop else f.boundary_prob, f.freq)
    text = "ฝนตกหนักทั้งคืน น้ำท่วมถนนหลายสาย ประชาชนต้องอพยพ ผู้ว่าราชการจังหวัดสั่งเปิดศูนย์พักพิงชั่วคราว"
    full = f.features(text, find_candidates(text))
    got = fz.features(text, find_candidates(text))
    assert len(got) == len(full) == 3
    dropped = (POS_KEYS if "pos" in drop else set()) | (CRFCUT_KEYS if "crfcut" in drop else set())
    for g, w in zip(got, full):
        bare = {k.split(":", 1)[-1] for k in w} - {"none"}
        assert POS_KEYS | CRFCUT_KEYS <= bare                 # the default path has both groups
        assert {k.split(":", 1)[-1] for k in g} == {k.split(":", 1)[-1] for k in w} - dropped
        assert {k: v for k, v in g.items() if k.split(":", 1)[-1] not in dropped} == \
               {k: v for k, v in w.items() if k.split(":", 1)[-1] not in dropped}


def test_fast_orchid_tagger_equals_pos_tag():
    from pythainlp.tag import pos_tag
    from pythainlp.tokenize import word_tokenize

    from mt.segment.fast import OrchidTagger

    tagger = OrchidTagger()
    assert not tagger.exact_fallback
    seqs = [[t for t in word_tokenize(chunk, engine="newmm", keep_whitespace=False) if t.strip()]
            for text in _paragraphs() for chunk in text.split()]
    seqs += [[], ["x"], [" ", "(", ")", "-", "2567", "12-3", "ABC", "ๆ"], ["<space>", "ข่าว", "<full_stop>"]]
    for toks in seqs:
        assert tagger(toks) == [t for _, t in pos_tag(toks, engine="perceptron", corpus="orchid")], toks


def test_fast_orchid_tagger_breaks_ties_like_pythainlp(monkeypatch):
    """Equal scores go to the greatest tag name in PyThaiNLP: with weights that tie on purpose
    (every tag of a feature weighs 1.0, no tag dictionary) both taggers still agree."""
    from pythainlp.tag import perceptron, pos_tag

    from mt.segment.fast import OrchidTagger

    model = perceptron._orchid_tagger()
    monkeypatch.setattr(model.model, "weights", {f: dict.fromkeys(row, 1.0) for f, row in model.model.weights.items()})
    monkeypatch.setattr(model, "tagdict", {})
    tagger = OrchidTagger()
    assert not tagger.exact_fallback
    seqs = [text.split() for text in _paragraphs()[:60]]
    tags = [tagger(toks) for toks in seqs]
    assert tags == [[t for _, t in pos_tag(toks, engine="perceptron", corpus="orchid")] for toks in seqs]
    assert len({t for ts in tags for t in ts}) > 3


def test_fast_orchid_tagger_falls_back_when_pythainlp_differs(monkeypatch):
    import pythainlp.tag

    from mt.segment.fast import OrchidTagger

    monkeypatch.setattr(pythainlp.tag, "pos_tag", lambda words, engine, corpus: [(w, "XX") for w in words])
    tagger = OrchidTagger()
    assert tagger.exact_fallback and tagger(["ข่าว", "ดี"]) == ["XX", "XX"]


def test_fast_crfcut_features_and_attribute_filter_are_exact():
    from pythainlp.tokenize import word_tokenize
    from pythainlp.tokenize.crfcut import _extract_features

    from mt.segment.engines import CrfcutLocal
    from mt.segment.fast import CrfcutFeatures

    fast = CrfcutFeatures()
    assert not fast.exact_fallback
    filtered = CrfcutLocal()
    assert filtered.known is not None and "bias" in filtered.known
    plain = CrfcutLocal()
    plain._extract, plain.known = _extract_features, None
    n = 0
    for text in _paragraphs()[::3]:
        chunks = [[t for t in word_tokenize(c, engine="newmm", keep_whitespace=False) if t.strip()]
                  for c in text.split()]
        for left, right in zip(chunks, chunks[1:]):
            l2, l1 = ([""] * 2 + left)[-2:]
            r1, r2 = (right + [""] * 2)[:2]
            toks = [t for t in (l2, l1) if t] + [" "] + [t for t in (r1, r2) if t]
            assert fast(toks) == _extract_features(toks)
            assert filtered(l2, l1, r1, r2) == plain(l2, l1, r1, r2)
            n += 1
    assert n > 300
    # crfsuite cuts attribute names at NUL ("word_1_-1_0=ที่\x00" is looked up as "word_1_-1_0=ที่")
    for l2, l1, r1, r2 in [("ข่าว", "ที่\x00", "และ", "ครับ"), ("", "ครับ\x00", "และ", ""), ("ข่าว", "\x00", "\x00ซึ่ง", "")]:
        assert filtered(l2, l1, r1, r2) == plain(l2, l1, r1, r2)


def test_thaiseg_output_does_not_depend_on_instance_or_order(thaiseg):
    """Fresh instances, one shared instance in order and another in shuffled order agree exactly."""
    import random

    paras = _paragraphs()
    shared = [thaiseg.segment(p) for p in paras]
    order = list(range(len(paras)))
    random.Random(7).shuffle(order)
    other = get_segmenter("thaiseg")
    shuffled = {i: other.segment(paras[i]) for i in order}
    assert [shuffled[i] for i in range(len(paras))] == shared
    for i in order[:3] + [len(paras) - 5]:               # one fresh segmenter per paragraph
        assert get_segmenter("thaiseg").segment(paras[i]) == shared[i]
    for text, spans in zip(paras, shared):
        check_spans(text, spans)


# -- MT units -------------------------------------------------------------------------------

def test_make_units_merges_short_fragments():
    text = "ครับ ประโยคที่ยาวพอสมควรสำหรับการแปล (ภาพ)"
    spans = [(0, 4), (5, 36), (37, 42)]
    units = make_units(text, spans, min_chars=12, max_chars=600)
    assert [(u.start, u.end, u.n_sentences, u.flags) for u in units] == [(0, 42, 3, [])]


def test_make_units_does_not_merge_past_the_limit():
    text = "ก" * 50 + " ขข"
    units = make_units(text, [(0, 50), (51, 53)], min_chars=12, max_chars=51)
    assert [(u.start, u.end) for u in units] == [(0, 50), (51, 53)]


def test_make_units_splits_long_units_at_spaces():
    words = ["คำ" + "ก" * 8] * 30
    text = " ".join(words)
    units = make_units(text, [(0, len(text))], min_chars=12, max_chars=100)
    assert all(u.end - u.start <= 100 for u in units)
    assert " ".join(text[u.start:u.end] for u in units) == text
    assert all("split" in u.flags for u in units)
    # whole sentences packed under the limit are not flagged
    two = make_units(text, [(0, 54), (55, len(text))], min_chars=12, max_chars=200)
    assert [u.flags for u in two] == [[], ["split"], ["split"]]


def test_split_long_prefers_sentence_boundaries(thaiseg):
    first = "ธนาคารแห่งประเทศไทยมีมติคงอัตราดอกเบี้ยนโยบายไว้ที่ร้อยละ 2.50 ต่อปี"
    second = "คณะกรรมการนโยบายการเงินคาดว่าเศรษฐกิจไทยจะขยายตัวได้ดีขึ้น ในช่วงครึ่งหลังของปี"
    text = first + " " + second
    limit = len(text) - 5
    assert texts(text, split_long(text, lambda s: len(s) > limit, segmenter=thaiseg)) == [first, second]
    # without a segmenter the cut is at the last space that fits
    assert texts(text, split_long(text, lambda s: len(s) > limit)) == [
        text[: text.rindex(" ")], "ในช่วงครึ่งหลังของปี"]


def test_split_long_uses_words_then_hard_cut():
    text = "การประชุมสุดยอดผู้นำอาเซียนครั้งที่สี่สิบสาม"      # no space: Thai word boundaries
    pieces = split_long(text, lambda s: len(s) > 12)
    assert all(len(text[a:b]) <= 12 for a, b in pieces)
    assert "".join(texts(text, pieces)) == text
    assert all(text[a:b] in text for a, b in pieces) and len(pieces) >= 4
    word = "ก้" * 20                                      # one "word": hard cut, never before a mark
    cut = split_long(word, lambda s: len(s) > 7)
    assert "".join(texts(word, cut)) == word
    assert all(len(word[a:b]) <= 7 and word[a] == "ก" for a, b in cut)


def test_split_long_by_token_count():
    text = " ".join(["ข่าว"] * 100)
    pieces = split_long(text, lambda s: len(s.split()) > 30)
    assert [len(text[a:b].split()) for a, b in pieces] == [30, 30, 30, 10]
    assert split_long("  ", lambda s: True) == []


def _seed_doc(name: str) -> Doc:
    raw = (SEEDS / name).read_text(encoding="utf-8").splitlines()
    doc = Doc(doc_id="seed" + name[:3], file=name)
    for i, text in enumerate(raw, start=1):
        thai = sum("\u0e00" <= c <= "\u0e7f" for c in text)
        kind = "body" if thai > 10 else ("blank" if not text.strip() else "caption_vi")
        doc.lines.append(Line(line=i, text=text, kind=kind))
    return doc


@pytest.mark.parametrize("name", sorted(p.name for p in SEEDS.glob("*.txt")))
def test_units_are_faithful_to_seed_lines(thaiseg, name):
    doc = _seed_doc(name)
    cfg = SegmentConfig(max_unit_chars=300)
    build_units(doc, thaiseg, cfg)
    assert doc.units
    by_line = {line.line: line for line in doc.lines}
    seen: dict[int, list] = {}
    for u in doc.units:
        line = by_line[u.line]
        assert line.kind in CORPUS_KINDS
        assert line.text[u.start:u.end] == u.th and u.th == u.th.strip()
        assert u.end - u.start <= 300
        assert u.id == f"{doc.doc_id}:{u.line}:{len(seen.get(u.line, [])) + 1}"
        seen.setdefault(u.line, []).append(u)
    for number, units in seen.items():      # units cover the whole line, in order, without overlap
        text = by_line[number].text
        covered = "".join(text[u.start:u.end] for u in units)
        assert covered.replace(" ", "") == text.strip().replace(" ", "").replace("\xa0", "")
        assert all(a.end <= b.start for a, b in zip(units, units[1:]))


def test_build_units_content_span_kinds_and_no_thai(thaiseg):
    doc = Doc(doc_id="d", file="x.txt", lines=[
        Line(1, "หัวข้อข่าว ยาวพอสมควร สำหรับการทดสอบ", kind="title"),
        Line(2, "ภาพประกอบข่าวการประชุม - ภาพ: VGP/Hai Minh", kind="caption_th", info={"content": [0, 22]}),
        Line(3, "Only English here, nothing Thai.", kind="body"),
        Line(4, "เนื้อหาข่าวที่ไม่ควรนับ", kind="chrome"),
        Line(5, POLICE + " " + OFFICIAL, kind="body"),
    ])
    build_units(doc, thaiseg, SegmentConfig())
    got = [(u.id, u.kind, u.th, u.n_sentences) for u in doc.units]
    assert got[0] == ("d:1:1", "title", "หัวข้อข่าว ยาวพอสมควร สำหรับการทดสอบ", 1)
    assert got[1] == ("d:2:1", "caption_th", "ภาพประกอบข่าวการประชุม", 1)
    assert [g[0] for g in got[2:]] == ["d:5:1", "d:5:2"]
