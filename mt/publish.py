"""``mt publish OUTPUT_DIR REPO_ID``: upload a corpus directory to a Hugging Face dataset repository.

Only the dataset files go up (:data:`ALLOW`): the card, the Parquet shards, the JSON lines, TMX,
Moses, manifest and accounting files. Never the review database (``review.sqlite``), the review page,
the ``reviewed/`` export (publish that directory on its own) or anything else in the folder.
Local paths (home, cache, output directories: anything absolute) in the manifest, the card, the TMX
header and ``problems.jsonl`` are replaced by their last component (a model directory by its name),
in a staging copy: OUTPUT_DIR itself is not changed. Shards of an earlier upload are deleted in the
same commit (``data/**``), so the repository holds exactly this corpus.

The upload is :meth:`huggingface_hub.HfApi.upload_folder` (the token comes from ``HF_TOKEN`` or
``hf auth login``).
"""
from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError, OutputError

log = logging.getLogger(__name__)

# What a published corpus consists of (patterns as huggingface_hub's allow_patterns, relative to OUTPUT_DIR).
ALLOW = ("README.md", "manifest.json", "data/*/*.parquet", "corpus.jsonl", "captions.jsonl", "corpus.tmx",
         "corpus.th", "corpus.en", "set_aside.jsonl", "problems.jsonl", "export.json", "dropped.jsonl")
SANITIZED = ("README.md", "manifest.json", "problems.jsonl", "export.json")   # + the TMX header
NEVER = ("review.sqlite", "review.sqlite-wal", "review.sqlite-shm", "review.html")
# An absolute local path (POSIX, ~/...), not part of a URL or of a relative path; group "name": its last part.
_PART = r"[^\s\"'<>/`{}()\[\],;]+"
LOCAL_PATH = re.compile(rf"(?<![\w:/.~\-<])~?/(?:{_PART}/)*(?P<name>{_PART})/?")
WINDOWS_PATH = re.compile(r"^[A-Za-z]:[\\/](?:[^\\/]+[\\/])*(?P<name>[^\\/]+)[\\/]?$")


@dataclass
class Plan:
    """What :func:`publish` uploads: files (relative paths) and the local paths it replaced."""

    output_dir: Path
    files: list[str]
    replaced: dict[str, str] = field(default_factory=dict)


def strip_paths(text: str, replaced: dict[str, str] | None = None) -> str:
    """``text`` with every absolute local path replaced by its last component (noted in ``replaced``)."""
    def name(match: re.Match) -> str:
        if replaced is not None:
            replaced[match.group(0)] = match.group("name")
        return match.group("name")

    text = WINDOWS_PATH.sub(name, text)
    return LOCAL_PATH.sub(name, text)


def strip_json(value: Any, replaced: dict[str, str]) -> Any:
    """A JSON value with :func:`strip_paths` applied to every string in it (keys too)."""
    if isinstance(value, str):
        return strip_paths(value, replaced)
    if isinstance(value, list):
        return [strip_json(v, replaced) for v in value]
    if isinstance(value, dict):
        return {strip_paths(k, replaced): strip_json(v, replaced) for k, v in value.items()}
    return value


def plan(output_dir: Path) -> Plan:
    """The files of ``output_dir`` that :func:`publish` uploads; InputError when it is not a corpus."""
    from huggingface_hub.utils import filter_repo_objects

    output_dir = Path(output_dir)
    if not (output_dir / "README.md").is_file() or not list(output_dir.glob("data/*/*.parquet")):
        raise InputError("not a corpus directory (no README.md and data/<config>/*.parquet)", where=str(output_dir),
                         fix="give the OUTPUT_DIR of `mt run` (or a `mt review export` directory)")
    every = sorted(p.relative_to(output_dir).as_posix() for p in output_dir.rglob("*") if p.is_file())
    files = [f for f in filter_repo_objects(every, allow_patterns=list(ALLOW)) if f not in NEVER]
    return Plan(output_dir, files)


def _copy_tmx(source: Path, target: Path, replaced: dict[str, str]) -> None:
    """Copy the TMX with local paths stripped from its header only (segments are copied byte for byte)."""
    with source.open("rb") as src, target.open("wb") as dst:
        head = b""
        while b"</header>" not in head:
            chunk = src.read(65536)
            if not chunk:
                break
            head += chunk
        cut = head.find(b"</header>")
        cut = len(head) if cut < 0 else cut + len(b"</header>")
        dst.write(strip_paths(head[:cut].decode("utf-8"), replaced).encode("utf-8"))
        dst.write(head[cut:])
        shutil.copyfileobj(src, dst)


def _stage_file(name: str, source: Path, target: Path, replaced: dict[str, str]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if name.endswith(".json"):
        data = strip_json(json.loads(source.read_text(encoding="utf-8")), replaced)
        target.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    elif name.endswith(".jsonl"):
        lines = source.read_text(encoding="utf-8").splitlines()
        target.write_text("".join(json.dumps(strip_json(json.loads(x), replaced), ensure_ascii=False) + "\n"
                                  for x in lines if x.strip()), encoding="utf-8")
    else:
        target.write_text(strip_paths(source.read_text(encoding="utf-8"), replaced), encoding="utf-8")


def stage(p: Plan, staging: Path) -> None:
    """Put the files of ``p`` into ``staging``: sanitized copies of the text files that can name local
    paths, hard links (or copies) of the rest."""
    for name in p.files:
        source, target = p.output_dir / name, staging / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if name in SANITIZED:
            _stage_file(name, source, target, p.replaced)
        elif name == "corpus.tmx":
            _copy_tmx(source, target, p.replaced)
        else:
            try:
                os.link(source, target)
            except OSError:
                shutil.copy2(source, target)


def publish(output_dir: Path, repo_id: str, *, private: bool = False, message: str | None = None,
            dry_run: bool = False) -> Plan:
    """Upload the corpus in ``output_dir`` to the dataset repository ``repo_id`` (created if needed)."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError, HFValidationError, OfflineModeIsEnabled

    p = plan(output_dir)
    with tempfile.TemporaryDirectory(prefix=f".{p.output_dir.name}.publish-", dir=p.output_dir.parent) as tmp:
        stage(p, Path(tmp))
        for old, new in sorted(p.replaced.items()):
            log.info("local path %s published as %s", old, new)
        if dry_run:
            return p
        api = HfApi()
        try:
            api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
            api.upload_folder(repo_id=repo_id, repo_type="dataset", folder_path=tmp, allow_patterns=list(ALLOW),
                              delete_patterns=["data/**"],
                              commit_message=message or f"mt publish: {p.output_dir.name} ({len(p.files)} files)")
        except (HfHubHTTPError, HFValidationError, OfflineModeIsEnabled, OSError) as exc:
            raise OutputError(f"upload to the dataset repository {repo_id} failed: {exc}", where=repo_id,
                              fix="check the repository id (OWNER/NAME), the network, and your token "
                                  "(HF_TOKEN or `hf auth login`); HF_HUB_OFFLINE must not be set") from exc
    log.info("published %d files of %s to https://huggingface.co/datasets/%s", len(p.files), p.output_dir, repo_id)
    return p
