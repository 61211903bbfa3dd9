"""The shape of the code stays what docs/DEVELOPING.md says: one-way imports, names that resolve, short units."""
from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_FUNCTION_LINES = 80


def test_import_contracts_are_kept():
    """cli -> pipeline -> executors -> run -> steps -> subsystems, and the subsystems independent."""
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    if not Path(exe).exists():
        pytest.fail("lint-imports is not installed: pip install -e '.[test]'")
    done = subprocess.run([exe, "--config", str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def _functions(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def test_no_function_in_the_library_is_over_80_lines():
    long = []
    for path in sorted((ROOT / "mt").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in _functions(tree):
            n = fn.end_lineno - fn.lineno + 1
            if n > MAX_FUNCTION_LINES:
                long.append(f"{path.relative_to(ROOT)}:{fn.lineno} {fn.name} ({n} lines)")
    assert long == []


def _registries():
    from mt.executors import EXECUTORS
    from mt.segment import SEGMENTERS
    from mt.translate.engines import ENGINES
    from mt.write.formats import FORMATS

    return {"executor": EXECUTORS, "segmenter": SEGMENTERS, "translate engine": ENGINES, "format": FORMATS}


@pytest.mark.parametrize("kind", ["executor", "segmenter", "translate engine", "format"])
def test_every_registered_name_resolves_and_imports(kind):
    from mt.errors import MissingExtraError

    registry = _registries()[kind]
    assert registry.names()
    for name in registry.names():
        try:
            target = registry.get(name)
        except MissingExtraError as exc:       # an optional extra not installed: the message says what to install
            assert "pip install" in str(exc)
            continue
        assert callable(target), name


def test_config_names_come_from_the_registries():
    """Unknown engine names are refused with the registry's list (one source of names)."""
    from mt.config import load_config
    from mt.errors import ConfigError
    from mt.pipeline import build_steps

    with pytest.raises(ConfigError, match=r"unknown segmenter 'nope' -- fix: use one of: .*whitespace"):
        build_steps(load_config(None, {"segment.engine": "nope"}))
    with pytest.raises(ConfigError, match=r"unknown translate engine 'nope'.*ctranslate2, tm, transformers"):
        build_steps(load_config(None, {"translate.engine": "nope", "segment.engine": "whitespace"}))


def test_executors_know_no_step_by_name():
    """Neither executor names a step class or a step name, nor indexes the step list."""
    import re

    step_names = ("ReadStep", "ParseStep", "SegmentStep", "TranslateStep", "AlignStep", "WriteStep", "Stage")
    for path in (ROOT / "mt" / "executors").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not [n for n in step_names if n in text], path.name
        assert not re.search(r"steps\[\d+\]|stages\[\d+\]", text), path.name
