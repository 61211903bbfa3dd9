"""Where the project's shared data folder is (FLORES-200 dev, UD Thai-TUD, the seeds' gold labels).

Never a machine path: ``$MT_SHARED_DATA`` when set, else ``shared/data`` beside the repository root
(``../shared/data`` seen from a checkout, as on CI). Used by training code, benchmarks and tests.
"""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """The shared data folder (it may not exist: callers skip or fail with their own message)."""
    env = os.environ.get("MT_SHARED_DATA")
    if env:
        return Path(env)
    return REPO_ROOT.parent / "shared" / "data"
