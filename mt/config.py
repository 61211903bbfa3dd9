"""Typed run configuration, loaded from TOML; unknown keys are rejected.

A config file has one table per section::

    [input]      paths, patterns
    [output]     dir, formats
    [segment]    engine, MT-unit policy
    [translate]  preset / model, engine, decoding, cache
    [align]      embedder, signals, thresholds
    [executor]   local | ray
    [review]     static report
"""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError, field_validator

from ._config_base import Section, at_least
from .align.config import AlignConfig
from .errors import ConfigError
from .segment.config import SegmentConfig
from .translate.config import TranslateConfig


class InputConfig(Section):
    """[input]: page files in folders, or records of JSONL(.gz) / Parquet / WARC(.gz) files or a Hugging Face
    dataset (``mt.sources``); paths may be fsspec URLs (``s3://``, ``gs://``, ``memory://``)."""

    paths: list[str] = ["seeds"]
    patterns: list[str] = ["*.txt", "*.md", "*.html", "*.htm"]   # page files taken from folders
    format: str = "auto"            # auto (by path ending) | files | jsonl | parquet | warc | hf
    id_field: str = "id"            # record fields (JSONL, Parquet, Hugging Face datasets)
    url_field: str = "url"
    html_field: str = "html"        # the first of html, markdown, text a record has is its page
    markdown_field: str = "markdown"
    text_field: str = "text"
    date_field: str = "date"
    hf_split: str = "train"         # split of a Hugging Face dataset

    @field_validator("format")
    @classmethod
    def _known_format(cls, v: str) -> str:
        valid = ("auto", "files", "jsonl", "parquet", "warc", "hf")   # mt.sources.SOURCE_FORMATS
        if v not in valid:
            raise ValueError(f"unknown input format '{v}'; valid: {', '.join(valid)}")
        return v


def _registered(registry: Any, value: str) -> str:
    """A name of ``registry`` (the one source of valid names), else a ValueError listing them."""
    if value not in registry:
        raise ValueError(f"unknown {registry.kind} '{value}'; valid: {', '.join(registry.names())}")
    return value


class OutputConfig(Section):
    dir: str = "outputs/seeds"
    formats: list[str] = ["parquet", "jsonl", "tmx", "moses"]   # names of mt.write.formats.FORMATS
    parquet_rows_per_shard: int = 50_000
    force: bool = False             # re-run even when OUTPUT_DIR already holds the corpus of these inputs and config
    license: str | None = None      # dataset card license (SPDX id, e.g. "cc-by-4.0"); None: "other", check the source
    min_scores: dict[str, float] = {}   # drop sentence rows under these scores, e.g. {align = 0.6} (filtered.jsonl)
    drop_flags: list[str] = []          # drop sentence rows with these pipeline flags, e.g. ["degenerate"]

    @field_validator("min_scores")
    @classmethod
    def _known_scores(cls, v: dict[str, float]) -> dict[str, float]:
        from .write.filters import check_min_scores

        return check_min_scores(v)

    @field_validator("formats")
    @classmethod
    def _known_formats(cls, v: list[str]) -> list[str]:
        from .write.formats import FORMATS

        return [_registered(FORMATS, name) for name in v]


class ExecutorConfig(Section):
    """[executor]: where the stages run. The ``ray_*`` keys only matter with ``kind = "ray"`` (docs/ray.md)."""

    kind: str = "local"             # a name of mt.executors.EXECUTORS (local, ray); checked when the run starts
    ray_address: str | None = None  # None: start a local Ray on this machine; "auto" or "HOST:PORT": connect
    docs_per_batch: int = 16        # documents per translate batch and per align embedding chunk
    shard_docs: int = 1000          # documents per shard (page files, streamed records, Parquet rows): a unit of
                                    # work, written and marked done on its own (resume); a JSONL/WARC file is one
    ray_actors: int | None = None               # translate actors; None: one per GPU, or fill the free CPUs
    ray_num_gpus_per_actor: float | None = None  # None: 1 when the Ray cluster has GPUs (and translate.device is not cpu)
    ray_num_cpus_per_actor: float = 1.0         # CPUs reserved per translate actor
    ray_prep_actors: int | None = None          # read+parse+segment actors; None: max(1, CPUs // 4)
    ray_align_actors: int | None = None         # align actors (each loads the embedder); None: max(1, CPUs // 4)
    ray_in_flight: int | None = None            # shards in flight at once; None: 2 per actor of the largest pool
    ray_num_cpus_light: float = 0.5             # CPUs reserved per read+parse+segment or align(+write) actor
    ray_max_retries: int = 3        # a dead actor is restarted and its shard re-run up to this many times
    progress_seconds: float = 30.0  # when stderr is not a terminal: a progress log line this often (0: none)

    @field_validator("docs_per_batch", "shard_docs", "ray_actors", "ray_prep_actors", "ray_align_actors",
                     "ray_in_flight")
    @classmethod
    def _positive(cls, v: int | None) -> int | None:
        return at_least(1, v)

    @field_validator("ray_num_gpus_per_actor", "ray_num_cpus_per_actor", "ray_num_cpus_light", "ray_max_retries",
                     "progress_seconds")
    @classmethod
    def _not_negative(cls, v: float | None) -> float | None:
        return at_least(0, v)


class ReviewConfig(Section):
    build: bool = True              # write review.html at the end of a run


class RunConfig(Section):
    input: InputConfig = InputConfig()
    output: OutputConfig = OutputConfig()
    segment: SegmentConfig = SegmentConfig()
    translate: TranslateConfig = TranslateConfig()
    align: AlignConfig = AlignConfig()
    executor: ExecutorConfig = ExecutorConfig()
    review: ReviewConfig = ReviewConfig()
    quiet: bool = False


def _where(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc)


def config_from_dict(data: dict[str, Any], source: str = "<config>") -> RunConfig:
    """Validate ``data``; every error is reported at once (one ConfigError listing them all)."""
    try:
        return RunConfig.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(err) for err in exc.errors()]
    if len(problems) == 1:
        what, fix = problems[0]
        raise ConfigError(what, where=source, fix=fix) from None
    raise ConfigError(f"{len(problems)} errors: " + "; ".join(f"({i}) {what}" for i, (what, _) in enumerate(problems, 1)),
                      where=source, fix="; ".join(dict.fromkeys(fix for _, fix in problems))) from None


def _problem(err: dict[str, Any]) -> tuple[str, str]:
    """(what, fix) of one pydantic error."""
    key = _where(err["loc"])
    if err["type"] == "extra_forbidden":
        model: Any = RunConfig
        for part in err["loc"][:-1]:
            model = model.model_fields[part].annotation
        return f"unknown key '{key}'", f"valid keys in [{_where(err['loc'][:-1]) or 'top level'}]: " + ", ".join(model.model_fields)
    msg = err["msg"].removeprefix("Value error, ")
    return f"invalid value for '{key}': {msg}", "correct the value in the config file or on the command line"


def load_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> RunConfig:
    """Load a TOML config (or the defaults) and apply dotted-key overrides (``{"translate.model": "x"}``)."""
    data: dict[str, Any] = {}
    source = "<defaults>"
    if path is not None:
        source = str(path)
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise ConfigError("config file not found", where=source, fix="pass an existing TOML file, e.g. configs/smoke.toml") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"not valid TOML: {exc}", where=source, fix="correct the TOML syntax") from None
    for dotted, value in (overrides or {}).items():
        if value is None:
            continue
        node = data
        *parents, leaf = dotted.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return config_from_dict(data, source)
