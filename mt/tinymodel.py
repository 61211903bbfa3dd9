"""A tiny random-weight Marian translation model, built locally for tests and smoke runs.

No model weights can be downloaded on every machine, so tests and the ``tiny``
translate preset use a very small ``MarianMTModel`` whose SentencePiece
vocabulary is trained on text shipped with the package
(``mt/resources/tiny_corpus.txt``) and whose weights are random (fixed seed).

The model is saved with ``save_pretrained`` (model + ``MarianTokenizer`` files)
and loaded through exactly the same ``from_pretrained(path)`` code as real hub
models. Its outputs are *not* translations: translators built on it report
``is_real = False``; the directory carries a marker file :data:`TINY_MARKER`.

The build is deterministic, done once and cached in
``$MT_CACHE_DIR/models/tiny-marian-<hash>`` (default ``~/.cache/mt``); it is
written to a temporary directory first and renamed into place, so concurrent
builders never see a half-written model.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import ModelError

log = logging.getLogger(__name__)

TINY_MARKER = "mt_tiny_model.json"
BUILDER_VERSION = 2

# Architecture of the tiny model. Changing anything here changes the cache hash.
TINY_PARAMS: dict[str, Any] = {
    "builder_version": BUILDER_VERSION,
    "vocab_size": 4000,          # SentencePiece pieces (BPE); <pad> is added on top
    "spm_model_type": "bpe",
    "d_model": 64,
    "encoder_layers": 2,
    "decoder_layers": 2,
    "attention_heads": 4,
    "ffn_dim": 128,
    "max_position_embeddings": 256,
    "init_std": 0.3,             # large init: otherwise every input decodes to the same output
}


def cache_root() -> Path:
    """Root of mt's local caches: ``$MT_CACHE_DIR`` or ``~/.cache/mt``."""
    env = os.environ.get("MT_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "mt"


def default_corpus() -> Path:
    return Path(str(resources.files("mt") / "resources" / "tiny_corpus.txt"))


def _params_hash(corpus_text: bytes, seed: int) -> str:
    h = hashlib.sha256()
    h.update(json.dumps(TINY_PARAMS, sort_keys=True).encode())
    h.update(str(seed).encode())
    h.update(hashlib.sha256(corpus_text).digest())
    return h.hexdigest()[:12]


def tiny_model_path(corpus: Path | None = None, seed: int = 0, out_dir: Path | None = None) -> Path:
    """Where :func:`build_tiny_model` puts (or has put) the model for these parameters."""
    corpus = Path(corpus) if corpus else default_corpus()
    digest = _params_hash(corpus.read_bytes(), seed)
    base = Path(out_dir) if out_dir else cache_root() / "models"
    return base / f"tiny-marian-{digest}"


def is_tiny_model(path: str | Path) -> bool:
    """True when ``path`` is a directory written by :func:`build_tiny_model`."""
    try:
        return (Path(path) / TINY_MARKER).is_file()
    except (OSError, ValueError):
        return False


def build_tiny_model(out_dir: Path | None = None, corpus: Path | None = None, seed: int = 0) -> Path:
    """Build (once) the tiny Marian model and return its directory.

    ``out_dir`` is the parent directory (default ``$MT_CACHE_DIR/models``); the
    model goes to ``out_dir/tiny-marian-<hash of builder params, corpus, seed>``.
    An existing complete build is reused.
    """
    corpus = Path(corpus) if corpus else default_corpus()
    if not corpus.is_file():
        raise ModelError("tiny-model corpus not found", where=str(corpus),
                         fix="pass an existing UTF-8 text file as corpus, or reinstall mt")
    target = tiny_model_path(corpus, seed, out_dir)
    if (target / TINY_MARKER).is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-tiny-", dir=target.parent))
    try:
        _build(tmp, corpus, seed)
        try:
            os.rename(tmp, target)
        except OSError:
            # another process finished first: keep its build
            if not (target / TINY_MARKER).is_file():
                raise
    except OSError as exc:
        raise ModelError(f"cannot write the tiny model: {exc}", where=str(target),
                         fix="set MT_CACHE_DIR to a writable directory") from exc
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    log.info("built tiny Marian model in %s", target)
    return target


def _build(out: Path, corpus: Path, seed: int) -> None:
    import sentencepiece as spm
    import torch
    from transformers import GenerationConfig, MarianConfig, MarianMTModel, MarianTokenizer

    p = TINY_PARAMS
    spm_prefix = out / "spm"
    lines = [ln.strip() for ln in corpus.read_text(encoding="utf-8").splitlines() if ln.strip()]
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_prefix=str(spm_prefix),
        vocab_size=p["vocab_size"],
        model_type=p["spm_model_type"],
        character_coverage=1.0,
        hard_vocab_limit=False,
        unk_id=1, eos_id=0, bos_id=-1, pad_id=-1,   # Marian layout: </s>=0, <unk>=1
        num_threads=1,
        seed_sentencepiece_size=100_000,
        shuffle_input_sentence=False,
        minloglevel=2,
    )
    sp = spm.SentencePieceProcessor(model_file=str(spm_prefix) + ".model")
    vocab = {sp.id_to_piece(i): i for i in range(sp.get_piece_size())}
    pad_id = len(vocab)
    vocab["<pad>"] = pad_id
    shutil.copyfile(str(spm_prefix) + ".model", out / "source.spm")
    shutil.copyfile(str(spm_prefix) + ".model", out / "target.spm")
    for suffix in (".model", ".vocab"):
        Path(str(spm_prefix) + suffix).unlink(missing_ok=True)
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")

    tok = MarianTokenizer(source_spm=str(out / "source.spm"), target_spm=str(out / "target.spm"),
                          vocab=str(out / "vocab.json"), model_max_length=p["max_position_embeddings"])
    config = MarianConfig(
        vocab_size=len(vocab),
        decoder_vocab_size=len(vocab),
        d_model=p["d_model"],
        encoder_layers=p["encoder_layers"],
        decoder_layers=p["decoder_layers"],
        encoder_attention_heads=p["attention_heads"],
        decoder_attention_heads=p["attention_heads"],
        encoder_ffn_dim=p["ffn_dim"],
        decoder_ffn_dim=p["ffn_dim"],
        max_position_embeddings=p["max_position_embeddings"],
        init_std=p["init_std"],
        pad_token_id=pad_id,
        eos_token_id=0,
        decoder_start_token_id=pad_id,
        forced_eos_token_id=None,
        scale_embedding=True,
        share_encoder_decoder_embeddings=True,
        activation_function="swish",
        dropout=0.0,
        attention_dropout=0.0,
        activation_dropout=0.0,
    )
    torch.manual_seed(seed)
    model = MarianMTModel(config)
    with torch.no_grad():
        # Marian starts decoding from the <pad> embedding, which must be zero
        # (CTranslate2 uses an explicit zero start embedding).
        model.get_input_embeddings().weight[pad_id].zero_()
    model.generation_config = GenerationConfig(
        decoder_start_token_id=pad_id, eos_token_id=0, pad_token_id=pad_id,
        bad_words_ids=[[pad_id]], num_beams=1,
    )
    model.eval()
    model.save_pretrained(out)
    tok.save_pretrained(out)
    (out / TINY_MARKER).write_text(json.dumps(
        {"what": "random-weight Marian for tests; outputs are NOT translations",
         "params": p, "seed": seed, "corpus_sha256": hashlib.sha256(corpus.read_bytes()).hexdigest()},
        indent=1), encoding="utf-8")
