"""Output vocabulary restriction: the target tokens a translation into English may use.

Translation models share one output vocabulary across languages (opus-mt-th-en: a joint Thai+English
vocabulary; NLLB-200: 256k pieces in 200 languages). For a Thai->English run most of those pieces are
in scripts English never uses, yet every decoding step scores all of them: the output projection is
the largest matrix of the decoder (opus-mt sizes: ~30M multiply-adds per token against ~22M for the
six decoder layers). ``translate.target_vocab = "script"`` keeps the pieces whose letters are all in
the target language's script (Latin for English), plus pieces without letters (digits, punctuation,
symbols, the word-start marker) and the tokenizer's special tokens (end of sentence, language codes).

* The CTranslate2 engine turns the list into a vocabulary map (``vmap.txt``, CTranslate2's
  dynamic vocabulary reduction): the output layer is computed for those pieces only, which makes
  decoding faster.
* The transformers engine masks the other pieces' scores (same greedy outputs, no speed-up: the
  full projection is still computed). With beam search the two engines can rank hypotheses a little
  differently: CTranslate2 normalises probabilities over the kept pieces, the mask does not.

Outputs change only where the model would have written a letter of another script -- for an
English target that is an error the degeneration guard flags as ``degenerate:script``. Byte-fallback
pieces (``<0xE0>``, in T5/MADLAD vocabularies) have no letters of another script and stay allowed, so such a
model can still spell other scripts byte by byte; the guard still checks the output.
"""
from __future__ import annotations

import hashlib
import unicodedata
from typing import Any

from ..errors import ConfigError

#: Unicode script (first word of a letter's character name) of each target language
TARGET_SCRIPTS = {"en": "LATIN"}
WORD_START = "\u2581"      # SentencePiece's word-start marker


def _letter_ok(ch: str, script: str) -> bool:
    cat = unicodedata.category(ch)
    if cat[0] not in "LM":                   # digits, punctuation, symbols, spaces: any target may use them
        return True
    if cat[0] == "M" and "\u0300" <= ch <= "\u036f":   # combining diacritics (Latin accents in NFD)
        return True
    return unicodedata.name(ch, "").startswith(script + " ")


def token_in_script(token: str, script: str) -> bool:
    """True if every letter and mark of ``token`` belongs to ``script`` (a piece without letters is kept)."""
    return all(_letter_ok(ch, script) for ch in token.replace(WORD_START, ""))


def allowed_tokens(tokenizer: Any, target_lang: str) -> list[str]:
    """The tokenizer's pieces a ``target_lang`` output may use, in vocabulary id order."""
    script = TARGET_SCRIPTS.get(target_lang)
    if script is None:
        raise ConfigError(f"no script known for target language '{target_lang}'", where="translate.target_vocab",
                          fix=f"use target_vocab = \"full\" (scripts known for: {', '.join(sorted(TARGET_SCRIPTS))})")
    vocab: dict[str, int] = tokenizer.get_vocab()
    special = set(getattr(tokenizer, "all_special_tokens", []) or [])
    return [tok for tok, _ in sorted(vocab.items(), key=lambda kv: kv[1])
            if tok in special or token_in_script(tok, script)]


def allowed_ids(tokenizer: Any, target_lang: str) -> list[int]:
    vocab = tokenizer.get_vocab()
    return [vocab[t] for t in allowed_tokens(tokenizer, target_lang)]


def vmap_text(tokens: list[str]) -> str:
    """A CTranslate2 vocabulary map whose fixed candidates (the empty source n-gram) are ``tokens``."""
    bad = [t for t in tokens if any(c in t for c in " \t\n")]
    if bad:
        raise ConfigError(f"vocabulary pieces with whitespace cannot go in a CTranslate2 vocabulary map: {bad[:3]}",
                          where="translate.target_vocab", fix="use target_vocab = \"full\" for this model")
    return "\t" + " ".join(tokens) + "\n"


def fingerprint(tokens: list[str]) -> str:
    return hashlib.sha256("\n".join(tokens).encode("utf-8")).hexdigest()[:12]
