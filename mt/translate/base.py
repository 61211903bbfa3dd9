"""Shared types of the translation subsystem: results, decoding parameters, the engine interface."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol, runtime_checkable


@dataclass
class Translation:
    """One translated source text."""

    text: str | None                                   # None: not translated (a translation-memory miss)
    flags: list[str] = field(default_factory=list)     # "split", "retried", "degenerate:repeat", "tm_miss", ...
    scores: dict[str, float | None] = field(default_factory=dict)   # "guard": 1.0 = clean, lower = worse

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@runtime_checkable
class TranslatorLike(Protocol):
    """What the translate step needs of a translator (:class:`mt.translate.translator.Translator`, or one a
    caller passes in: a test double, a notebook's already-loaded engine)."""

    is_real: bool

    def translate(self, texts: list[str], src_lang: str) -> list[Translation]: ...

    def signature(self) -> dict[str, Any]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class GenParams:
    """Decoding parameters an engine receives for one batch."""

    beam_size: int = 4
    max_new_tokens: int = 256
    repetition_penalty: float = 1.0
    no_repeat_ngram_size: int = 0
    #: per-text output caps in generated tokens (one per text of the batch, each <= max_new_tokens);
    #: an output is cut at its own cap, so a greedy output does not depend on its batch-mates' lengths
    caps: tuple[int, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def cap(self, i: int) -> int:
        """The output cap of the ``i``-th text of the batch."""
        return self.caps[i] if self.caps is not None else self.max_new_tokens

    def subset(self, indices: list[int]) -> GenParams:
        """The parameters for a batch made of some texts of this one (keeps their caps)."""
        return replace(self, caps=None if self.caps is None else tuple(self.caps[i] for i in indices))


class Engine:
    """What a translation engine implements. The :class:`~mt.translate.translator.Translator`
    front end does normalisation, caching, de-duplication, splitting, length batching and the
    degeneration guard; an engine only turns a batch of source texts into target texts.
    """

    name = "engine"
    device = "cpu"
    compute_type = "float32"
    is_real = True
    #: the engine runs the model of ``translate.preset`` / ``model`` (a translation memory without fallback does not)
    uses_model = True
    #: how many batches the engine wants per ``generate_many`` call (parallel translators)
    parallel_batches = 1
    #: padded source tokens per batch when ``translate.batch_tokens`` is not set
    batch_tokens = 4096
    #: target tokens generated so far (without start / language / end tokens): throughput figures
    generated_tokens = 0

    def lookup(self, texts: list[str], src_lang: str) -> dict[str, Translation]:
        """Results known without generating (a translation memory's), by source text; the
        translator generates only the others. Default: none."""
        return {}

    def token_lengths(self, texts: list[str], src_lang: str) -> list[int]:
        raise NotImplementedError

    def max_input_tokens(self, src_lang: str) -> int:
        raise NotImplementedError

    def generate(self, texts: list[str], src_lang: str, params: GenParams) -> list[str]:
        raise NotImplementedError

    def generate_many(self, jobs: list[tuple[list[str], GenParams]], src_lang: str) -> list[list[str]]:
        """Several batches, each with its own parameters (engines with parallel translators overlap them)."""
        return [self.generate(texts, src_lang, params) for texts, params in jobs]

    def generate_stream(self, jobs: Iterable[tuple[list[str], GenParams]], src_lang: str) -> Iterator[list[str]]:
        """The outputs of every job, in order, one list per job, as soon as each is ready.

        Default: ``parallel_batches`` jobs per :meth:`generate_many` call. Engines with a pool of
        parallel translators override this to keep several batches in flight while the caller
        post-processes the finished ones (no idle translator between calls).
        """
        group: list[tuple[list[str], GenParams]] = []
        for job in jobs:
            group.append(job)
            if len(group) >= max(1, self.parallel_batches):
                yield from self.generate_many(group, src_lang)
                group = []
        if group:
            yield from self.generate_many(group, src_lang)

    def models(self) -> dict[str, dict[str, Any]]:
        """Per source language: {"model": id or path, "revision": resolved commit or fingerprint}."""
        raise NotImplementedError

    def close(self) -> None:
        pass
