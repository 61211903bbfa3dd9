"""Reliability catalogue: mt never deletes what it did not write, and one bad input never stops the batch.

Every case is run the way a user runs mt (``mt.cli.main`` or a real ``mt`` process), and checked for the exit
code, a message that names the file or directory, the batch going on, an independent count of physical lines
equal to corpus + set-aside, and unique row ids.
"""
from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from mt.cli import main

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SMOKE = ROOT / "configs" / "smoke.toml"
SEED = SEEDS / "002_02c73740b218f54e.txt"


def run_cli(*args: str, cache: Path) -> int:
    """``mt run`` in this process with the tiny model (seconds) and a private translation cache."""
    cfg = cache.parent / "smoke-test.toml"
    if not cfg.exists():
        cfg.write_text(SMOKE.read_text(encoding="utf-8").replace(
            'cache = "outputs/.cache/smoke-translations.sqlite"', f'cache = "{cache.as_posix()}"'), encoding="utf-8")
    return main(["run", "-c", str(cfg), "-q", *args])


def jsonl(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def tree(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


# -- the catalogue: every kind of bad input in one batch with the seeds ---------------------------------------
def minified_html() -> tuple[str, int]:
    """A seed page as one-line HTML (every block on source line 1); returns (html, number of text blocks)."""
    lines = [ln for ln in SEED.read_text(encoding="utf-8").splitlines() if ln.strip()]
    body = "".join(f"<p>{ln.replace('&', '&amp;').replace('<', '&lt;')}</p>" for ln in lines)
    return f"<!doctype html><html><head><title>t</title></head><body>{body}</body></html>", len(lines)


def build_catalogue(pages: Path) -> dict[str, str]:
    """Write the bad inputs beside copies of the seeds; returns file name -> what is wrong with it."""
    pages.mkdir()
    for seed in SEEDS.glob("*.txt"):
        shutil.copy(seed, pages / seed.name)
    text = SEED.read_text(encoding="utf-8")
    cases = {
        "unreadable.txt": "permission denied",
        "deep.html": "1,000-deep nested HTML",
        "a b.txt": "id collides with a__b.txt", "a__b.txt": "id collides with a b.txt",
        "x.txt": "id collides with x.md", "x.md": "id collides with x.txt",
        "minified.html": "blocks share one source line",
        "utf16.txt": "UTF-16 with BOM", "blank.txt": "blank lines only", "nul.txt": "one NUL byte",
        "latin1.txt": "one line not UTF-8", "binary.txt": "binary file",
        "loop.txt": "symlink loop", "dangling.txt": "dangling symlink", "fifo.txt": "FIFO",
        "folder.txt": "a directory named like a page",
    }
    (pages / "unreadable.txt").write_text(text, encoding="utf-8")
    (pages / "deep.html").write_text("<html><body>" + "<div>" * 1000 + "<p>ข่าวในหน้าที่ซ้อนกันลึกมาก</p>"
                                     + "</div>" * 1000 + "</body></html>\n", encoding="utf-8")
    for name in ("a b.txt", "a__b.txt", "x.txt", "x.md"):
        (pages / name).write_text(text, encoding="utf-8")
    (pages / "minified.html").write_text(minified_html()[0], encoding="utf-8")
    (pages / "utf16.txt").write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    (pages / "blank.txt").write_text("\n  \n\n", encoding="utf-8")
    lines = text.splitlines()
    lines[5] = lines[5][:4] + "\x00" + lines[5][4:]
    (pages / "nul.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (pages / "latin1.txt").write_bytes("ข่าวดี\n".encode() + "ข่าว".encode("tis-620") + b"\n")
    (pages / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (pages / "loop.txt").symlink_to("loop.txt")
    (pages / "dangling.txt").symlink_to("missing.txt")
    os.mkfifo(pages / "fifo.txt")
    (pages / "folder.txt").mkdir()
    return cases


def physical_lines(path: Path) -> int:
    data = path.read_bytes()
    if data.startswith(b"\xff\xfe"):
        data = data.decode("utf-16").encode()
    parts = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    return len(parts) - (parts[-1] == b"")


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("catalogue")
    pages = tmp / "pages"
    cases = build_catalogue(pages)
    locked = pages / "unreadable.txt"
    locked.chmod(0)
    real = Path.read_bytes
    if os.access(locked, os.R_OK):  # root reads anything: give the kernel's answer to other users instead
        def read_bytes(self):
            if self.name == "unreadable.txt":
                raise PermissionError(errno.EACCES, "Permission denied", str(self))
            return real(self)
        Path.read_bytes = read_bytes
    try:
        code = run_cli(str(pages), "-o", str(tmp / "out"), cache=tmp / "cache.sqlite")
    finally:
        Path.read_bytes = real
        locked.chmod(0o644)
    return {"code": code, "out": tmp / "out", "pages": pages, "cases": cases}


def test_catalogue_batch_goes_on_and_exits_3(catalogue):
    assert catalogue["code"] == 3
    out = catalogue["out"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["docs"] == len(list(catalogue["pages"].iterdir()))
    rows = jsonl(out / "corpus.jsonl")
    for seed in SEEDS.glob("*.txt"):   # the good pages are all there
        assert any(r["file"] == seed.name and r["en"] for r in rows), seed.name


@pytest.mark.parametrize("name,error", [
    ("unreadable.txt", "cannot read file: Permission denied"),
    ("blank.txt", "empty file (no text)"),
    ("nul.txt", "NUL byte in the line"),
    ("latin1.txt", "not UTF-8"),
    ("binary.txt", "binary file"),
    ("loop.txt", "skipped: symbolic link loop"),
    ("dangling.txt", "skipped: dangling symbolic link"),
    ("fifo.txt", "skipped: not a regular file"),
    ("folder.txt", "skipped: a directory"),
])
def test_each_bad_input_is_a_problem_record_naming_its_file(catalogue, name, error):
    problems = [p for p in jsonl(catalogue["out"] / "problems.jsonl") if p["file"] == name]
    assert problems and error in problems[0]["error"] and problems[0]["fix"]


def test_decodable_pages_are_translated(catalogue):
    rows = jsonl(catalogue["out"] / "corpus.jsonl")
    by_file = Counter(r["file"] for r in rows)
    seed_rows = by_file[SEED.name]
    for name in ("utf16.txt", "a b.txt", "a__b.txt", "x.txt", "x.md"):
        assert by_file[name] == seed_rows, name
    assert by_file["nul.txt"] >= seed_rows - 2      # only the line with the NUL byte is set aside
    assert by_file["deep.html"] == 1 and by_file["minified.html"] > 5


def test_row_ids_are_unique(catalogue):
    for name in ("corpus.jsonl", "captions.jsonl"):
        ids = [r["id"] for r in jsonl(catalogue["out"] / name)]
        assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1][:5]


def _line_keys(out: Path) -> dict[str, Counter]:
    """file -> (line or line.block) -> how many outputs hold it: corpus rows, captions rows, set-aside rows."""
    per_file: dict[str, Counter] = {}
    sources = (("corpus.jsonl", lambda r: r["id"].split(":")[-2]), ("captions.jsonl", lambda r: r["id"].split(":vi")[-1]))
    for name, key_of in sources:
        for file, key in {(r["file"], key_of(r)) for r in jsonl(out / name)}:   # a line's units count once
            per_file.setdefault(file, Counter())[key] += 1
    for r in jsonl(out / "set_aside.jsonl"):
        key = f"{r['line']}.{r['block']}" if r.get("block") else str(r["line"])
        per_file.setdefault(r["file"], Counter())[key] += 1
    return per_file


def test_every_physical_line_is_in_the_corpus_or_set_aside_exactly_once(catalogue):
    per_file = _line_keys(catalogue["out"])
    manifest = json.loads((catalogue["out"] / "manifest.json").read_text())
    c = manifest["counts"]
    assert c["lines_in"] == c["lines_in_corpus"] + c["lines_set_aside"]
    for path in sorted(catalogue["pages"].iterdir()):
        if path.suffix == ".html" or not path.is_file() or path.is_symlink():
            continue
        keys = per_file.get(path.name, Counter())
        n = 0 if path.name == "unreadable.txt" else physical_lines(path)
        assert sorted(keys, key=int) == [str(i) for i in range(1, n + 1)], path.name
        assert set(keys.values()) <= {1}, path.name      # never in two places


def test_minified_html_is_accounted_per_block(catalogue):
    keys = _line_keys(catalogue["out"])["minified.html"]
    assert {k.split(".")[0] for k in keys} == {"1"}
    assert len(keys) == minified_html()[1] and set(keys.values()) == {1}   # every block once


# -- data-loss cases: -o pointing at something mt did not write --------------------------------------------
@pytest.fixture
def cache(tmp_path_factory):
    """A private translation cache (and the test config beside it), outside the folders the tests look at."""
    return tmp_path_factory.mktemp("state") / "cache.sqlite"


def test_user_folder_is_refused_and_untouched(tmp_path, cache, capsys):
    user = tmp_path / "mine"
    user.mkdir()
    (user / "thesis.tex").write_text("my work")
    (user / "sub").mkdir()
    (user / "sub" / "data.csv").write_text("1,2")
    before = tree(user)
    assert run_cli(str(SEED), "-o", str(user), cache=cache) == 5
    err = capsys.readouterr().err
    assert str(user) in err and "did not write" in err and "fix:" in err
    assert tree(user) == before and sorted(p.name for p in user.iterdir()) == ["sub", "thesis.tex"]


def test_git_checkout_is_refused_and_untouched(tmp_path, cache, capsys):
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "main.py").write_text("print('hi')\n")
    before = tree(repo)
    assert run_cli(str(SEED), "-o", str(repo), cache=cache) == 5
    assert tree(repo) == before and (repo / ".git").is_dir()


def test_input_folder_as_output_is_refused(tmp_path, cache, capsys):
    pages = tmp_path / "pages"
    pages.mkdir()
    shutil.copy(SEED, pages / "a.txt")
    assert run_cli(str(pages), "-o", str(pages), cache=cache) == 2
    assert "is the input path" in capsys.readouterr().err
    assert run_cli(str(pages), "-o", str(pages / "out"), cache=cache) == 2
    assert "lies inside the input path" in capsys.readouterr().err
    assert sorted(p.name for p in pages.iterdir()) == ["a.txt"]


def test_existing_file_as_output_is_refused(tmp_path, cache, capsys):
    target = tmp_path / "notes.txt"
    target.write_text("keep me")
    assert run_cli(str(SEED), "-o", str(target), cache=cache) == 5
    assert "existing file" in capsys.readouterr().err
    assert target.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]   # no hidden .old-* copy


@pytest.mark.slow
def test_rerun_keeps_files_mt_did_not_write(tmp_path, cache):
    out = tmp_path / "out"
    assert run_cli(str(SEED), "-o", str(out), cache=cache) == 0
    from mt.review import export
    from mt.review.store import DB_FILE, DecisionStore

    row = jsonl(out / "corpus.jsonl")[0]
    DecisionStore(out / DB_FILE).decide(row["id"], "accepted", expected_version=0)
    export(out)
    (out / "my-notes.md").write_text("reviewer notes")
    keep = {name: (out / name).read_bytes() for name in ("my-notes.md", DB_FILE)}
    reviewed = tree(out / "reviewed")
    assert run_cli(str(SEED), "-o", str(out), "--force", cache=cache) == 0
    assert {name: (out / name).read_bytes() for name in keep} == keep
    assert tree(out / "reviewed") == reviewed
    assert DecisionStore(out / DB_FILE).get(row["id"]).status == "accepted"


def test_unwritable_parent_fails_before_any_model_loads(tmp_path, cache, capsys, monkeypatch):
    import mt.translate
    import mt.write.outdir as outdir

    def no_model(*a, **k):
        raise AssertionError("a model was loaded before the output directory was checked")

    monkeypatch.setattr(mt.translate, "load_translator", no_model)
    monkeypatch.setattr(outdir.os, "access", lambda path, mode: False)   # as if not root on a read-only dir
    assert run_cli(str(SEED), "-o", str(tmp_path / "ro" / "out"), cache=cache) == 5
    assert "permission denied" in capsys.readouterr().err


# -- crashes, locks, full disks, signals ---------------------------------------------------------------------
@pytest.mark.slow
def test_crash_between_renames_is_finished_by_the_next_run(tmp_path, cache, monkeypatch):
    import mt.write.outdir as outdir

    out = tmp_path / "out"
    assert run_cli(str(SEED), "-o", str(out), cache=cache) == 0
    reference = tree(out)
    real, calls = os.replace, []

    def dies_midway(src, dst):
        if (out / outdir.JOURNAL).exists():   # the renames of the commit (parts and the journal come before)
            calls.append(src)
        if len(calls) == 4:
            raise KeyboardInterrupt   # the process is killed between two renames of the commit
        return real(src, dst)

    monkeypatch.setattr(outdir.os, "replace", dies_midway)
    assert run_cli(str(SEED), "-o", str(out), "--force", cache=cache) == 130
    monkeypatch.setattr(outdir.os, "replace", real)
    assert (out / outdir.JOURNAL).exists()          # the half-done commit is written down ...
    assert run_cli(str(SEED), "-o", str(out), cache=cache) == 0   # ... and finished at the next start
    after = tree(out)
    assert not [name for name in after if name.startswith(".mt-")]
    assert after["corpus.jsonl"] == reference["corpus.jsonl"]
    assert set(after) == set(reference)


def test_legacy_half_swap_is_restored(tmp_path, cache):
    out = tmp_path / "out"
    assert run_cli(str(SEED), "-o", str(out), cache=cache) == 0
    os.replace(out, tmp_path / ".out.old-1234abcd")   # what a crash of the old two-rename swap left
    assert run_cli(str(SEED), "-o", str(out), cache=cache) == 0   # up to date: the old corpus is back
    assert (out / "manifest.json").exists() and not list(tmp_path.glob(".out.old-*"))


def test_second_run_on_a_locked_output_exits_5_naming_the_holder(tmp_path, cache, capsys):
    from mt.write.outdir import OutputDir

    out = tmp_path / "out"
    with OutputDir(out):
        assert run_cli(str(SEED), "-o", str(out), cache=cache) == 5
    err = capsys.readouterr().err
    assert f"pid {os.getpid()}" in err and str(out) in err
    with OutputDir(out):     # free again once the holder is done; and the holder left nothing behind
        pass
    assert not out.exists()


@pytest.mark.slow
def test_disk_full_exits_5_and_removes_partial_files(tmp_path, cache, capsys, monkeypatch):
    from mt.write import formats

    out = tmp_path / "out"
    assert run_cli(str(SEED), "-o", str(out), cache=cache) == 0
    before = tree(out)
    cls = formats.FORMATS.get("jsonl")

    def full(self, *a, **k):
        raise OSError(errno.ENOSPC, "No space left on device", str(out / "x" / "corpus.jsonl"))

    monkeypatch.setattr(cls, "write", full)
    assert run_cli(str(SEED), "-o", str(out), "--force", cache=cache) == 5
    err = capsys.readouterr().err
    assert "no space left on device" in err and "MB free" in err and "free at least" in err
    assert tree(out) == before and not list(out.glob(".mt-staging-*"))


def _mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True).returncode == 0


@pytest.mark.slow
def test_disk_full_on_a_real_small_filesystem(tmp_path, cache, capsys):
    small = tmp_path / "small"
    if not _mount_tmpfs(small, "96k"):
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        assert run_cli(str(SEEDS), "-o", str(small / "out"), cache=cache) == 5
        assert "no space left on device" in capsys.readouterr().err
        assert not list(small.rglob("*.jsonl")) and not list(small.glob("out/.mt-staging-*"))
    finally:
        subprocess.run(["umount", str(small)], check=False)


def _start_run(out: Path, cache: Path, *extra: str) -> subprocess.Popen:
    cfg = cache.parent / "smoke-test.toml"
    cfg.write_text(SMOKE.read_text(encoding="utf-8").replace(
        'cache = "outputs/.cache/smoke-translations.sqlite"', f'cache = "{cache.as_posix()}"'), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHAINLP_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen([sys.executable, "-m", "mt.cli", "run", "-c", str(cfg), "-q", str(SEEDS), "-o",
                             str(out), *extra], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_for_staging(out: Path, proc: subprocess.Popen) -> None:
    """Until the run is writing a shard's part (its staging)."""
    deadline = time.monotonic() + 120
    while not list(out.glob(".mt-work-*/parts/.tmp-*/set_aside.jsonl")):
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read().decode()
        time.sleep(0.05)
    time.sleep(0.3)


@pytest.mark.slow
@pytest.mark.parametrize("sig,code", [(signal.SIGKILL, -9), (signal.SIGTERM, 143)])
def test_killed_run_leaves_no_staging_after_the_next_run(tmp_path, cache, sig, code):
    out = tmp_path / "out"
    assert run_cli(str(SEEDS), "-o", str(out), cache=cache) == 0
    reference = (out / "corpus.jsonl").read_bytes()
    proc = _start_run(out, cache, "--force")
    _wait_for_staging(out, proc)
    proc.send_signal(sig)
    assert proc.wait(timeout=60) == code
    if sig == signal.SIGTERM:   # cleaned up like Ctrl-C: no part being written, no work without a finished shard
        assert not list(out.glob(".mt-staging-*")) and not list(out.glob(".mt-work-*/parts/.tmp-*"))
        assert all(list(w.glob("done/*.json")) for w in out.glob(".mt-work-*"))    # kept only to resume from
    assert (out / "corpus.jsonl").read_bytes() == reference       # the previous corpus is intact
    assert run_cli(str(SEEDS), "-o", str(out), "--force", cache=cache) == 0
    assert not [p.name for p in out.iterdir() if p.name.startswith((".mt-staging", ".mt-old", ".mt-work"))]
    assert (out / "corpus.jsonl").read_bytes() == reference


# -- review decisions while a re-run replaces the corpus -------------------------------------------------------
@pytest.mark.slow
def test_review_edits_during_a_rerun_are_never_lost(tmp_path, cache):
    pytest.importorskip("uvicorn")
    import httpx

    out = tmp_path / "out"
    assert run_cli(str(SEEDS), "-o", str(out), cache=cache) == 0
    rows = [r["id"] for r in jsonl(out / "corpus.jsonl")]
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([sys.executable, "-m", "mt.cli", "review", "serve", str(out), "--port", str(port), "-q"],
                              env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    acknowledged: dict[str, str] = {}
    stop = threading.Event()
    try:
        base = f"http://127.0.0.1:{port}"
        client = _review_client(httpx, base, server)

        def edit_forever():
            for i, row in enumerate(rows * 5):
                if stop.is_set() and i > 40:
                    return
                text = f"edit {i} of {row}"
                r = client.post(f"/rows/{row}", json={"action": "edit", "text": text,
                                                      "version": _version(client, row)})
                if r.status_code == 200:
                    acknowledged[row] = text

        worker = threading.Thread(target=edit_forever)
        worker.start()
        assert run_cli(str(SEEDS), "-o", str(out), "--force", cache=cache) == 0
        stop.set()
        worker.join(timeout=120)
    finally:
        server.terminate()
        server.wait(timeout=30)
    from mt.review.store import DB_FILE, DecisionStore

    stored = DecisionStore(out / DB_FILE, create=False).all()
    assert len(acknowledged) > 20
    lost = [row for row, text in acknowledged.items() if stored.get(row) is None or stored[row].edited != text]
    assert lost == []


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _review_client(httpx, base: str, server: subprocess.Popen):
    import re

    deadline = time.monotonic() + 60
    while True:
        try:
            page = httpx.get(base + "/", timeout=5)
            break
        except httpx.HTTPError:
            assert server.poll() is None and time.monotonic() < deadline, server.stderr.read().decode()
            time.sleep(0.2)
    token = re.search(r'<meta name="mt-csrf" content="([^"]+)">', page.text).group(1)
    return httpx.Client(base_url=base, headers={"X-CSRF-Token": token, "Origin": base}, timeout=30)


def _version(client, row: str) -> int:
    decision = client.get(f"/rows/{row}").json().get("decision")
    return decision["version"] if decision else 0
