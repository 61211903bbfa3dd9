"""CTranslate2 engine (extra ``mt[ct2]``).

The configured Hugging Face model is converted once with
``ctranslate2.converters.TransformersConverter`` into
``$MT_CACHE_DIR/ct2/<model>-<revision>-<quantization>`` (or ``translate.ct2_dir``),
built in a temporary directory and renamed into place. Tokenisation uses the
model's own Hugging Face tokenizer (as the transformers engine does), so both
engines see the same token sequences; on a float32 conversion they give the
same greedy outputs.

``translate.target_vocab = "script"`` writes the allowed output pieces (:mod:`mt.translate.vocab`) as the
converted model's vocabulary map (its own cache directory, ``...-vmap<hash>``) and decodes with
``use_vmap``: the output layer is computed for those pieces only.

Defaults: compute type int8 on CPU, float16 on CUDA; on CPU ``inter_threads`` =
CPU cores and ``intra_threads`` = 1 (several single-threaded translators run
length-bucketed batches in parallel, which is the fastest layout on small CPUs), and
batches of ``CT2_CPU_BATCH_TOKENS`` padded source tokens unless ``translate.batch_tokens``
is set. The front end cuts the batches (longest first) and streams them through
:meth:`CT2Engine.generate_stream`, which keeps ``2 * inter_threads`` batches submitted
to the translator pool, so no translator idles while Python checks and stores results.
"""
from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import ctranslate2  # noqa: F401  (a missing extra surfaces as MissingExtraError through the registry)

from ..errors import ConfigError, ModelError
from ..tinymodel import cache_root
from .base import Engine, GenParams
from .config import TranslateConfig
from .hf import HFModels, _is_dir, model_error, resolve_device

log = logging.getLogger(__name__)

#: padded source tokens per batch on CPU when translate.batch_tokens is unset: one single-threaded
#: translator per core is most efficient with moderate batches (benchmarks/translate.md)
CT2_CPU_BATCH_TOKENS = 2048

CPU_TYPES = ("int8", "int8_float32", "float32", "int16", "bfloat16", "int8_bfloat16")
CUDA_TYPES = ("float16", "int8_float16", "int8", "int8_float32", "float32", "bfloat16", "int8_bfloat16")


def default_threads(device: str, inter: int | None, intra: int | None) -> tuple[int, int]:
    cores = os.cpu_count() or 1
    if device == "cpu":
        return (inter or cores, intra if intra is not None else 1)
    return (inter or 1, intra if intra is not None else 1)


def resolve_compute_type(compute_type: str, device: str) -> str:
    if compute_type == "auto":
        return "int8" if device == "cpu" else "float16"
    allowed = CPU_TYPES if device == "cpu" else CUDA_TYPES
    if compute_type not in allowed:
        raise ConfigError(f"compute_type '{compute_type}' is not supported by ctranslate2 on {device}",
                          where="translate.compute_type", fix=f"use one of: auto, {', '.join(allowed)}")
    return compute_type


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name.strip("/"))[-80:]


class CT2Engine(Engine):
    name = "ctranslate2"

    def __init__(self, cfg: TranslateConfig):
        self.cfg = cfg
        self.hf = HFModels(cfg)
        self.is_real = self.hf.is_real
        device = resolve_device(cfg.device)
        self.device = device
        ct2_device, index = ("cpu", 0) if device == "cpu" else ("cuda", int(device.split(":")[1]) if ":" in device else 0)
        self.compute_type = resolve_compute_type(cfg.compute_type, ct2_device)
        self.inter_threads, self.intra_threads = default_threads(ct2_device, cfg.inter_threads, cfg.intra_threads)
        self.parallel_batches = self.inter_threads
        if ct2_device == "cpu":
            self.batch_tokens = CT2_CPU_BATCH_TOKENS
        self._translators: dict[str, Any] = {}
        self._dirs: dict[str, Path] = {}
        self.use_vmap = cfg.target_vocab == "script"
        for lang, path in self.hf.paths.items():
            if path in self._translators:
                continue
            self.hf.tokenizer(lang)
            out = self._converted(path, lang)
            try:
                self._translators[path] = ctranslate2.Translator(
                    str(out), device=ct2_device, device_index=index, compute_type=self.compute_type,
                    inter_threads=self.inter_threads, intra_threads=self.intra_threads)
            except (RuntimeError, ValueError, OSError) as exc:
                raise ModelError(f"cannot load the CTranslate2 model {out}: {exc}", where="translate.engine",
                                 fix=f"delete {out} to convert again, or use engine = \"transformers\"") from exc
            self._dirs[path] = out

    # -- conversion -------------------------------------------------------------------------
    def _quantization(self) -> str:
        # convert to the compute type; CTranslate2 converts again on load when they differ
        return self.compute_type

    def _converted(self, path: str, lang: str) -> Path:
        revision = self.hf.revision(path) or "unknown"
        quant = self._quantization()
        base = Path(self.cfg.ct2_dir).expanduser() if self.cfg.ct2_dir else cache_root() / "ct2"
        vmap = None
        suffix = ""
        if self.use_vmap:   # translate.target_vocab = "script": the vocabulary map goes in the model directory
            from .presets import TARGET_LANG
            from .vocab import allowed_tokens, fingerprint, vmap_text

            tokens = allowed_tokens(self.hf.tokenizer(lang), TARGET_LANG)
            vmap = vmap_text(tokens)
            suffix = f"-vmap{fingerprint(tokens)}"
        out = base / f"{_safe(path)}-{_safe(revision)[:16]}-{quant}{suffix}"
        if (out / "model.bin").is_file():
            return out
        from ctranslate2.converters import TransformersConverter

        source = path
        if not _is_dir(path):
            source = self._local_snapshot(path)
        base.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-ct2-", dir=base))
        log.info("converting %s to CTranslate2 (%s) in %s", path, quant, out)
        try:
            vmap_file = None
            if vmap is not None:
                vmap_file = tmp / "vmap.txt"
                vmap_file.write_text(vmap, encoding="utf-8")
            conv = TransformersConverter(source, revision=None if _is_dir(source) else self.cfg.revision)
            conv.convert(str(tmp / "model"), quantization=quant, force=True,
                         vmap=str(vmap_file) if vmap_file else None)
            try:
                os.rename(tmp / "model", out)
            except OSError:
                if not (out / "model.bin").is_file():   # not a concurrent conversion that finished first
                    raise
        except (OSError, ValueError, RuntimeError, NotImplementedError, KeyError) as exc:
            raise ModelError(f"cannot convert '{path}' to CTranslate2: {exc}", where="translate.model",
                             fix="check that the model is a supported seq2seq model (Marian, NLLB, M2M100, T5), "
                                 "or use engine = \"transformers\"") from exc
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return out

    def _local_snapshot(self, model_id: str) -> str:
        """The local snapshot directory of a hub model (downloads it unless local_files_only)."""
        from huggingface_hub import snapshot_download

        try:
            return snapshot_download(model_id, revision=self.cfg.revision, local_files_only=self.cfg.local_files_only)
        except Exception as exc:  # huggingface_hub raises several unrelated error classes here
            raise model_error(model_id, exc, self.cfg) from exc

    # -- Engine API ---------------------------------------------------------------------------
    def token_lengths(self, texts: list[str], src_lang: str) -> list[int]:
        return self.hf.encode_lengths(texts, src_lang)

    def max_input_tokens(self, src_lang: str) -> int:
        import json

        path = self.hf.paths[src_lang]
        positions = None
        try:
            conf = json.loads((self._dirs[path] / "config.json").read_text())
            positions = conf.get("max_position_embeddings")
        except (OSError, ValueError):
            pass
        if positions is None and _is_dir(path):
            try:
                positions = json.loads((Path(path) / "config.json").read_text()).get("max_position_embeddings")
            except (OSError, ValueError):
                pass
        return self.hf.model_limit(src_lang, positions)

    def generate(self, texts: list[str], src_lang: str, params: GenParams) -> list[str]:
        return self.generate_many([(texts, params)], src_lang)[0]

    def generate_many(self, jobs: list[tuple[list[str], GenParams]], src_lang: str) -> list[list[str]]:
        """Every batch at once (the translator pool runs ``inter_threads`` of them in parallel)."""
        return list(self.generate_stream(jobs, src_lang, window=max(1, len(jobs))))

    def generate_stream(self, jobs: Iterable[tuple[list[str], GenParams]], src_lang: str,
                        window: int | None = None) -> Iterator[list[str]]:
        """Keep ``window`` batches (default ``2 * inter_threads``) submitted to the translator pool and
        yield each batch's outputs in order as soon as it is done: while the caller checks and stores
        one batch, the translators already run the next ones, and no translator waits for a slower
        sibling between calls."""
        path = self.hf.paths[src_lang]
        translator = self._translators[path]
        tok = self.hf.tokenizer(src_lang)
        plan = self.hf.plans[src_lang]
        window = max(1, window or 2 * self.inter_threads)
        pending: deque[tuple[list[Any], GenParams]] = deque()
        for texts, params in jobs:
            pending.append((self._submit(translator, tok, plan, texts, params, src_lang), params))
            if len(pending) >= window:
                yield self._collect(*pending.popleft(), tok, plan, src_lang)
        while pending:
            yield self._collect(*pending.popleft(), tok, plan, src_lang)

    def _submit(self, translator: Any, tok: Any, plan: Any, texts: list[str], params: GenParams,
                src_lang: str) -> list[Any]:
        if not texts:
            return []
        enc = tok([plan.prefix + t for t in texts], add_special_tokens=True)
        source = [tok.convert_ids_to_tokens(ids) for ids in enc["input_ids"]]
        prefix = [[plan.forced_bos_token] for _ in texts] if plan.forced_bos_token else None
        try:
            return translator.translate_batch(
                source,
                target_prefix=prefix,
                max_batch_size=0,               # the front end already made a length-bucketed batch
                asynchronous=True,
                beam_size=params.beam_size,
                repetition_penalty=params.repetition_penalty,
                no_repeat_ngram_size=params.no_repeat_ngram_size,
                max_decoding_length=params.max_new_tokens,
                min_decoding_length=0,
                max_input_length=0,
                use_vmap=self.use_vmap,
            )
        except RuntimeError as exc:
            raise self._failed(exc, src_lang) from exc

    def _collect(self, batch: list[Any], params: GenParams, tok: Any, plan: Any, src_lang: str) -> list[str]:
        outs: list[str] = []
        for i, async_result in enumerate(batch):
            try:
                res = async_result.result()
            except RuntimeError as exc:
                raise self._failed(exc, src_lang) from exc
            tokens = list(res.hypotheses[0])[: params.cap(i)]   # the text's own cap (forced BOS included, as in hf)
            if plan.forced_bos_token and tokens and tokens[0] == plan.forced_bos_token:
                tokens = tokens[1:]
            self.generated_tokens += len(tokens)
            ids = tok.convert_tokens_to_ids(tokens)
            outs.append(tok.decode(ids, skip_special_tokens=True).strip())
        return outs

    def _failed(self, exc: BaseException, src_lang: str) -> ModelError:
        return ModelError(f"CTranslate2 generation failed on {self.device}: {exc}", where=f"translate ({src_lang})",
                          fix="lower translate.batch_tokens or use device = \"cpu\"")

    def models(self) -> dict[str, dict[str, Any]]:
        return self.hf.models()

    def close(self) -> None:
        self._translators.clear()
