"""Hugging Face transformers engine, and the model/tokenizer loading shared with CTranslate2.

Models are loaded with ``from_pretrained(model_id_or_path, revision=..., local_files_only=...)``
-- the tiny test model (``preset = "tiny"``) goes through the same path, from
the directory :func:`mt.tinymodel.build_tiny_model` wrote.
"""
from __future__ import annotations

import hashlib
import os
import logging
from pathlib import Path
from typing import Any

from ..devices import resolve_device
from ..errors import ConfigError, ModelError
from ..tinymodel import build_tiny_model, is_tiny_model
from .base import Engine, GenParams
from .config import TranslateConfig
from .presets import (SOURCE_LANGS, TARGET_LANG, ModelPlan, download_hint, get_preset, missing_path_hint,
                      plan_for)

log = logging.getLogger(__name__)


# -- shared helpers ---------------------------------------------------------------------------


def resolve_path(plan: ModelPlan) -> str:
    """The id or path handed to ``from_pretrained`` (builds the tiny model on first use)."""
    if plan.family == "tiny" and plan.model == "tiny":
        return str(build_tiny_model())
    return plan.model


def model_error(model_id: str, exc: BaseException, cfg: TranslateConfig) -> ModelError:
    offline = " (offline: translate.local_files_only = true)" if cfg.local_files_only else ""
    return ModelError(f"cannot load translation model '{model_id}'{offline}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
                      where="translate.model", fix=download_hint(model_id))


def local_fingerprint(path: Path) -> str:
    """A revision for a local model directory: hash of config + weight file names and sizes."""
    h = hashlib.sha256()
    for f in sorted(path.iterdir()):
        if f.is_file():
            h.update(f.name.encode())
            h.update(str(f.stat().st_size).encode())
            if f.suffix == ".json" and f.stat().st_size < 1_000_000:
                h.update(f.read_bytes())
    return "local-" + h.hexdigest()[:16]


def _is_dir(model_id: str) -> bool:
    try:
        return Path(model_id).expanduser().is_dir()
    except (OSError, ValueError):
        return False


def hub_model_cached(model_id: str, revision: str | None) -> bool:
    """True when the model's config is in the local Hugging Face cache (no network)."""
    from huggingface_hub import try_to_load_from_cache

    try:
        found = try_to_load_from_cache(model_id, "config.json", revision=revision)
    except (ValueError, OSError):   # not a valid repo id
        return False
    return isinstance(found, str)


def hub_reachable(model_id: str, revision: str | None) -> bool | str:
    """True when the hub answers for ``model_id``; otherwise why not, in a few words (one quick request)."""
    import huggingface_hub
    from huggingface_hub import errors as hub_errors

    if huggingface_hub.constants.HF_HUB_OFFLINE or os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true"):
        return "HF_HUB_OFFLINE is set"
    try:
        huggingface_hub.model_info(model_id, revision=revision, timeout=10)
    except (hub_errors.RepositoryNotFoundError, hub_errors.RevisionNotFoundError) as exc:
        return f"the hub has no such model or revision: {str(exc).splitlines()[0]}"
    except hub_errors.HfHubHTTPError as exc:
        return f"the hub answered {str(exc).splitlines()[0]}"
    except Exception as exc:  # noqa: BLE001 - any transport error (DNS, proxy, TLS, timeout) means unreachable
        return f"the Hugging Face hub cannot be reached: {type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
    return True


def model_status(cfg: TranslateConfig) -> list[dict[str, str]]:
    """Where each model of ``cfg`` would come from, without loading anything (for ``mt run --dry-run``)."""
    preset = get_preset(cfg.preset)
    out = []
    for lang in SOURCE_LANGS:
        model = plan_for(preset, lang, cfg.model, cfg.model_vi).model
        if preset.family == "tiny" and model == "tiny":
            status = "tiny random-weight model, built locally"
        elif _is_dir(model):
            status = "local directory"
        elif model.startswith((".", "/", "~")):
            status = "MISSING: a path that does not exist"
        elif hub_model_cached(model, cfg.revision):
            status = "in the local Hugging Face cache"
        else:
            reach = "translate.local_files_only = true" if cfg.local_files_only else hub_reachable(model, cfg.revision)
            status = "downloadable from the hub" if reach is True else f"MISSING: not cached, {reach}"
        out.append({"source": lang, "model": model, "status": status})
    return out


class HFModels:
    """Tokenizers (per model and source language) and model revisions for a config.

    Both engines use the model's own Hugging Face tokenizer, so they see the same
    token sequences.
    """

    def __init__(self, cfg: TranslateConfig):
        self.cfg = cfg
        self.preset = get_preset(cfg.preset)
        self.plans = {lang: plan_for(self.preset, lang, cfg.model, cfg.model_vi) for lang in SOURCE_LANGS}
        self.paths = {lang: resolve_path(p) for lang, p in self.plans.items()}
        self._offline: set[str] = set()     # hub ids loaded from the cache only (hub unreachable)
        for lang, path in self.paths.items():
            if not _is_dir(path) and path.startswith((".", "/", "~")):
                # a path that does not exist (a hub id never starts like this)
                raise ModelError(f"translation model '{path}' is a path that does not exist",
                                 where="translate.model", fix=missing_path_hint(path))
            if not _is_dir(path) and not is_tiny_model(path):
                self._check_hub(path)
        self._tokenizers: dict[tuple[str, str | None], Any] = {}
        self._revisions: dict[str, str | None] = {}
        self.is_real = self.preset.is_real and not any(is_tiny_model(p) for p in self.paths.values())

    def _check_hub(self, model_id: str) -> None:
        """Fail at once when a hub model is neither cached nor downloadable (instead of transformers' retries);
        a cached model whose hub cannot be reached is loaded from the cache only."""
        if hub_model_cached(model_id, self.cfg.revision):
            if self.cfg.local_files_only or hub_reachable(model_id, self.cfg.revision) is not True:
                self._offline.add(model_id)
            return
        reason = ("translate.local_files_only = true" if self.cfg.local_files_only
                  else hub_reachable(model_id, self.cfg.revision))
        if reason is True:
            return
        raise ModelError(f"translation model '{model_id}' is not in the local Hugging Face cache and cannot be "
                         f"downloaded ({reason})", where="translate.model", fix=download_hint(model_id))

    def load_kwargs(self, path: str) -> dict[str, Any]:
        kw: dict[str, Any] = {"local_files_only": self.cfg.local_files_only or path in self._offline}
        if self.cfg.revision and not _is_dir(path):
            kw["revision"] = self.cfg.revision
        return kw

    def tokenizer(self, src_lang: str) -> Any:
        from transformers import AutoTokenizer

        plan = self.plans[src_lang]
        path = self.paths[src_lang]
        key = (path, plan.tokenizer_src_lang)
        if key not in self._tokenizers:
            kw = self.load_kwargs(path)
            if plan.tokenizer_src_lang:
                kw["src_lang"] = plan.tokenizer_src_lang
            try:
                tok = AutoTokenizer.from_pretrained(path, **kw)
            except (OSError, ValueError) as exc:
                raise model_error(path, exc, self.cfg) from exc
            self._tokenizers[key] = tok
        return self._tokenizers[key]

    def revision(self, path: str) -> str | None:
        """Resolved commit hash (hub) or content fingerprint (local directory)."""
        if path not in self._revisions:
            if _is_dir(path):
                self._revisions[path] = local_fingerprint(Path(path).expanduser())
            else:
                from transformers import AutoConfig

                try:
                    conf = AutoConfig.from_pretrained(path, **self.load_kwargs(path))
                except (OSError, ValueError) as exc:
                    raise model_error(path, exc, self.cfg) from exc
                self._revisions[path] = getattr(conf, "_commit_hash", None) or self.cfg.revision
        return self._revisions[path]

    def forced_bos_id(self, src_lang: str) -> int | None:
        plan = self.plans[src_lang]
        if not plan.forced_bos_token:
            return None
        tok = self.tokenizer(src_lang)
        tid = tok.convert_tokens_to_ids(plan.forced_bos_token)
        if tid is None or tid == tok.unk_token_id:
            raise ModelError(f"target language token '{plan.forced_bos_token}' is not in the vocabulary of "
                             f"'{self.paths[src_lang]}'", where="translate.preset",
                             fix="use a preset that matches the model family (nllb / m2m100 / opus-mt / madlad)")
        return tid

    def encode_lengths(self, texts: list[str], src_lang: str) -> list[int]:
        tok = self.tokenizer(src_lang)
        prefix = self.plans[src_lang].prefix
        if not texts:
            return []
        enc = tok([prefix + t for t in texts], add_special_tokens=True, verbose=False)   # counting: no length warning
        return [len(ids) for ids in enc["input_ids"]]

    def model_limit(self, src_lang: str, positions: int | None) -> int:
        tok = self.tokenizer(src_lang)
        limit = self.cfg.max_input_tokens
        tml = getattr(tok, "model_max_length", None)
        if isinstance(tml, int) and 0 < tml < 100_000:
            limit = min(limit, tml)
        if positions:
            limit = min(limit, positions)
        return limit

    def models(self) -> dict[str, dict[str, Any]]:
        return {lang: {"model": self.plans[lang].model if self.plans[lang].model != "tiny" else self.paths[lang],
                       "revision": self.revision(self.paths[lang])}
                for lang in SOURCE_LANGS}


# -- the engine -------------------------------------------------------------------------------

class TransformersEngine(Engine):
    """``AutoModelForSeq2SeqLM.generate`` on CPU (float32) or CUDA (float16)."""

    name = "transformers"

    def __init__(self, cfg: TranslateConfig):
        import torch
        from transformers import AutoModelForSeq2SeqLM

        self.cfg = cfg
        self.hf = HFModels(cfg)
        self.is_real = self.hf.is_real
        self.device = resolve_device(cfg.device)
        ct = cfg.compute_type
        if ct == "auto":
            ct = "float16" if self.device.startswith("cuda") else "float32"
        dtypes = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
        if ct not in dtypes:
            raise ConfigError(f"compute_type '{ct}' is not supported by the transformers engine",
                              where="translate.compute_type",
                              fix=f"use one of: auto, {', '.join(dtypes)} (int8 needs engine = \"ctranslate2\")")
        self.compute_type = ct
        # torch intra-op threads (process-wide). The tiny test model runs on one thread: a small model
        # gains nothing from more, and on a busy machine two spinning threads make it ~50x slower.
        threads = cfg.intra_threads or (1 if not self.is_real and self.device == "cpu" else None)
        if threads and self.device == "cpu":
            torch.set_num_threads(threads)
        self.threads = torch.get_num_threads()
        self._models: dict[str, Any] = {}
        for lang, path in self.hf.paths.items():
            if path in self._models:
                continue
            try:
                model = AutoModelForSeq2SeqLM.from_pretrained(path, dtype=dtypes[ct], **self.hf.load_kwargs(path))
            except (OSError, ValueError) as exc:
                raise model_error(path, exc, cfg) from exc
            model.to(self.device)
            model.eval()
            self._models[path] = model
            self.hf.tokenizer(lang)   # fail early on tokenizer problems too
        self._torch = torch
        # translate.target_vocab = "script": per model, an additive mask (0 allowed, -inf not) over its logits
        self._masks: dict[str, Any] = {}
        if cfg.target_vocab == "script":
            from .vocab import allowed_ids

            for lang, path in self.hf.paths.items():
                if path not in self._masks:
                    size = self._models[path].get_output_embeddings().weight.shape[0]
                    mask = torch.full((size,), float("-inf"), device=self.device)
                    mask[[i for i in allowed_ids(self.hf.tokenizer(lang), TARGET_LANG) if i < size]] = 0.0
                    self._masks[path] = mask

    def _positions(self, path: str) -> int | None:
        conf = self._models[path].config
        return getattr(conf, "max_position_embeddings", None) or getattr(conf, "n_positions", None)

    def token_lengths(self, texts: list[str], src_lang: str) -> list[int]:
        return self.hf.encode_lengths(texts, src_lang)

    def max_input_tokens(self, src_lang: str) -> int:
        return self.hf.model_limit(src_lang, self._positions(self.hf.paths[src_lang]))

    def generate(self, texts: list[str], src_lang: str, params: GenParams) -> list[str]:
        if not texts:
            return []
        path = self.hf.paths[src_lang]
        model = self._models[path]
        tok = self.hf.tokenizer(src_lang)
        prefix = self.hf.plans[src_lang].prefix
        enc = tok([prefix + t for t in texts], return_tensors="pt", padding=True,
                  truncation=True, max_length=self.max_input_tokens(src_lang))
        enc = {k: v.to(self.device) for k, v in enc.items()}
        kw: dict[str, Any] = {
            "num_beams": params.beam_size,
            "max_new_tokens": params.max_new_tokens,
            "do_sample": False,
            "num_return_sequences": 1,
        }
        if params.repetition_penalty != 1.0:
            kw["repetition_penalty"] = params.repetition_penalty
        if params.no_repeat_ngram_size:
            kw["no_repeat_ngram_size"] = params.no_repeat_ngram_size
        bos = self.hf.forced_bos_id(src_lang)
        if bos is not None:
            kw["forced_bos_token_id"] = bos
        if path in self._masks:
            from transformers import LogitsProcessorList

            kw["logits_processor"] = LogitsProcessorList([_AllowedTokens(self._masks[path])])
        try:
            with self._torch.inference_mode():
                out = model.generate(**enc, **kw)
        except RuntimeError as exc:   # out of memory, device errors
            raise ModelError(f"generation failed on {self.device}: {exc}", where=f"translate ({src_lang})",
                             fix="lower translate.batch_tokens or use device = \"cpu\"") from exc
        # each row cut at its text's own cap (position 0 is the decoder start token; a forced language
        # token counts as generated, as in max_new_tokens)
        rows = [row[: 1 + params.cap(i)] for i, row in enumerate(out.tolist())]
        # generated tokens (without start, forced language token, EOS and padding), for throughput figures
        special = {model.generation_config.decoder_start_token_id, model.config.pad_token_id, tok.eos_token_id}
        n_tok = sum(1 for row in rows for t in row if t not in special) - (len(texts) if bos is not None else 0)
        self.generated_tokens += max(0, n_tok)
        return [s.strip() for s in tok.batch_decode(rows, skip_special_tokens=True)]

    def models(self) -> dict[str, dict[str, Any]]:
        return self.hf.models()

    def close(self) -> None:
        self._models.clear()
        self._masks.clear()


class _AllowedTokens:
    """A logits processor that adds a 0 / -inf mask: pieces outside the allowed vocabulary are never chosen."""

    def __init__(self, mask: Any):
        self.mask = mask

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        return scores + self.mask[: scores.shape[-1]].to(scores.dtype)
