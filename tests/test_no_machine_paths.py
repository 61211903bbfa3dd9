"""No tracked file names an absolute path of this machine: CI clones elsewhere with ``../shared`` beside it."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from mt.shared_data import REPO_ROOT, shared_data_dir

# absolute paths that only exist on a developer's machine (a home, a work folder, a root home)
MACHINE_PATH = re.compile(r"(?<![\w.:/-])/(?:work|home/\w+|root|Users/\w+|tmp/bash_jobs)/[\w.-]+")


def _tracked_files() -> list[Path]:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [REPO_ROOT / name for name in out.decode().split("\0") if name]


def test_no_tracked_file_names_a_machine_path():
    offenders = []
    for path in _tracked_files():
        if path.suffix in {".crfsuite", ".bin", ".parquet", ".pt", ".npz", ".safetensors"} or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for n, line in enumerate(text.splitlines(), 1):
            if MACHINE_PATH.search(line):
                offenders.append(f"{path.relative_to(REPO_ROOT)}:{n}: {line.strip()[:100]}")
    assert not offenders, "absolute machine paths in tracked files:\n" + "\n".join(offenders)


def test_the_pattern_catches_what_it_should():
    root = "/"  # built here so that this file does not name a machine path itself
    assert MACHINE_PATH.search(f'GOLD = Path("{root}work/shared/data/x.jsonl")')
    assert MACHINE_PATH.search(f"see {root}home/alice/corpus")
    assert not MACHINE_PATH.search("https://example.org/work/shared/x")
    assert not MACHINE_PATH.search("../shared/data/flores200")


def test_shared_data_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MT_SHARED_DATA", str(tmp_path))
    assert shared_data_dir() == tmp_path
    monkeypatch.delenv("MT_SHARED_DATA")
    assert shared_data_dir() == REPO_ROOT.parent / "shared" / "data"
