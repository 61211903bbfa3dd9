"""``mt eval``: chrF++ and BLEU of a corpus column against FLORES-200 dev references."""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from flores_pages import flores_dev_dir, load_flores
from mt.cli import main
from mt.errors import ConfigError, InputError
from mt.eval import evaluate

pytestmark = pytest.mark.skipif(not (flores_dev_dir() / "eng_Latn.dev").is_file(),
                                reason="FLORES-200 dev not in the shared data folder")


def perturb(text: str, rng: random.Random) -> str:
    """Drop about a quarter of the words and swap two neighbours: a worse, still related output."""
    words = text.split()
    kept = [w for w in words if rng.random() > 0.25] or words[:1]
    if len(kept) > 2:
        i = rng.randrange(len(kept) - 1)
        kept[i], kept[i + 1] = kept[i + 1], kept[i]
    return " ".join(kept)


def perturb_thai(text: str, rng: random.Random) -> str:
    from pythainlp.tokenize import word_tokenize

    return "".join(w for w in word_tokenize(text, engine="newmm") if rng.random() > 0.25)


N_SENTENCES = 300       # the first 300 FLORES dev sentences (about 40 articles): scoring takes a second


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """An OUTPUT_DIR whose corpus.jsonl rows carry FLORES dev sentences (doc = source article), and
    reference files of its English and Thai aligned by line (``REFS / "eng_Latn.dev"`` ...)."""
    tmp = tmp_path_factory.mktemp("eval")
    out, refs = tmp / "out", tmp / "refs"
    out.mkdir()
    refs.mkdir()
    for name in ("eng_Latn.dev", "tha_Thai.dev"):
        lines = (flores_dev_dir() / name).read_text(encoding="utf-8").splitlines()[:N_SENTENCES]
        (refs / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    sentences = load_flores()[:N_SENTENCES]
    docs: dict[str, str] = {}
    with open(out / "corpus.jsonl", "w", encoding="utf-8") as fh:
        for s in sentences:
            doc = docs.setdefault(s.url, f"article{len(docs):03d}")
            fh.write(json.dumps({"id": f"{doc}:{s.index}", "doc_id": doc, "th": s.th, "en": s.en, "vi": s.vi},
                                ensure_ascii=False) + "\n")
    return out, sentences, refs


def rewrite(out: Path, column: str, fn) -> None:
    path = out / "corpus.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    path.write_text("".join(json.dumps({**r, column: fn(r[column])}, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")


def test_references_as_hypotheses_score_100_and_a_perturbed_copy_lower(corpus, tmp_path: Path):
    out, sentences, refs = corpus
    res = evaluate(out, refs / "eng_Latn.dev")
    assert (res.overall.rows, res.overall.chrf, res.overall.bleu) == (len(sentences), 100.0, 100.0)
    assert len(res.documents) > 30 and all(d.chrf == d.bleu == 100.0 for d in res.documents.values())
    assert res.signatures["BLEU"].startswith("nrefs:1|case:mixed|eff:no|tok:13a")
    assert "nw:2" in res.signatures["chrF++"]           # chrF++ = word bigrams too

    worse = tmp_path / "worse"
    worse.mkdir()
    (worse / "corpus.jsonl").write_text((out / "corpus.jsonl").read_text(encoding="utf-8"), encoding="utf-8")
    rng = random.Random(1)
    rewrite(worse, "en", lambda t: perturb(t, rng))
    bad = evaluate(worse, refs / "eng_Latn.dev")
    assert 30 < bad.overall.bleu < 90 and 50 < bad.overall.chrf < 95
    assert bad.overall.bleu < bad.overall.chrf


def test_references_keyed_by_id_in_any_order(corpus, tmp_path: Path):
    out, sentences, refs = corpus
    rows = [json.loads(line) for line in (out / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    random.Random(2).shuffle(rows)
    keep = rows[: len(rows) // 2]
    refs = tmp_path / "refs.jsonl"
    refs.write_text("".join(json.dumps({"id": r["id"], "ref": r["vi"]}, ensure_ascii=False) + "\n" for r in keep),
                    encoding="utf-8")
    res = evaluate(out, refs, column="vi", by="id")
    assert (res.overall.rows, res.overall.bleu) == (len(keep), 100.0)
    assert res.left_out == {"without reference": len(rows) - len(keep)}
    tsv = tmp_path / "refs.tsv"
    tsv.write_text("id\tref\n" + "".join(f"{r['id']}\t{r['en']}\n" for r in keep), encoding="utf-8")
    assert evaluate(out, tsv, by="id").overall.chrf == 100.0


def test_thai_column_is_cut_into_words_before_scoring(corpus, tmp_path: Path):
    out, _, refs = corpus
    ref = refs / "tha_Thai.dev"
    same = evaluate(out, ref, column="th")
    assert (same.overall.chrf, same.overall.bleu) == (100.0, 100.0)
    assert same.signatures["BLEU"].endswith("+thai:newmm") and "tok:none" in same.signatures["BLEU"]
    worse = tmp_path / "worse"
    worse.mkdir()
    (worse / "corpus.jsonl").write_text((out / "corpus.jsonl").read_text(encoding="utf-8"), encoding="utf-8")
    rng = random.Random(3)
    rewrite(worse, "th", lambda t: perturb_thai(t, rng))
    words = evaluate(worse, ref, column="th")
    raw = evaluate(worse, ref, column="th", thai_tokenizer="none")
    assert 20 < words.overall.bleu < 90
    assert raw.overall.bleu < 0.5 * words.overall.bleu        # without words BLEU sees whole Thai phrases


def test_cli_prints_signatures_per_document_and_overall(corpus, capsys):
    out, _, refs = corpus
    assert main(["eval", str(out), "--ref", str(refs / "eng_Latn.dev")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2:] == ["chrF++ = 100.0", "BLEU = 100.0"]
    assert any(line.startswith("# BLEU signature: nrefs:1|case:mixed|eff:no|tok:13a") for line in lines)
    assert "article000\trows " in "\n".join(lines) and "\tchrF++ = 100.0\tBLEU = 100.0" in lines[3]
    assert main(["eval", str(out), "--ref", str(refs / "eng_Latn.dev"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["overall"]["bleu"] == 100.0


def test_null_hypotheses_count_as_empty_outputs(corpus, tmp_path: Path):
    out, sentences, refs = corpus
    half = tmp_path / "half"
    half.mkdir()
    rows = [json.loads(line) for line in (out / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    (half / "corpus.jsonl").write_text("".join(
        json.dumps({**r, "en": None if i % 2 else r["en"]}) + "\n" for i, r in enumerate(rows)), encoding="utf-8")
    res = evaluate(half, refs / "eng_Latn.dev")
    assert res.counted == {"empty hypothesis": len(rows) // 2} and res.overall.rows == len(rows)
    assert res.overall.bleu < 60
    assert f"({N_SENTENCES // 2} with empty hypothesis)" in res.report()[-3]


def test_errors_say_what_where_and_fix(corpus, tmp_path: Path, capsys):
    out, _, refs = corpus
    short = tmp_path / "short.txt"
    short.write_text("one line\n", encoding="utf-8")
    with pytest.raises(InputError, match=rf"short.txt: 1 reference lines for {N_SENTENCES} corpus rows -- fix: give one line"):
        evaluate(out, short)
    with pytest.raises(InputError, match="reference file not found"):
        evaluate(out, tmp_path / "missing.txt")
    with pytest.raises(InputError, match=r"no corpus.jsonl in .* -- fix: give an mt OUTPUT_DIR"):
        evaluate(tmp_path, short)
    with pytest.raises(ConfigError, match=r"--column: corpus rows have no column 'fr' -- fix: use one of: id, doc_id"):
        evaluate(out, short, column="fr")
    with pytest.raises(ConfigError, match="references by id must be a .jsonl or .tsv file, not 'short.txt'"):
        evaluate(out, short, by="id")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "article000:0"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.jsonl: object 1: a reference line needs an 'id' and a 'en', 'ref' or 'text'"):
        evaluate(out, bad, by="id")
    other = tmp_path / "other.tsv"
    other.write_text("nope:1\tHello\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no corpus row has a reference"):
        evaluate(out, other, by="id")
    assert main(["eval", str(out), "--ref", str(short)]) == 3
    assert "mt: error:" in capsys.readouterr().err
