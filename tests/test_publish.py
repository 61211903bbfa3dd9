"""``mt publish``: only the dataset files go up, without local paths; the Hub API is faked at
``huggingface_hub.HfApi`` (no network)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_write import make_doc

from mt.cli import main
from mt.errors import InputError, OutputError
from mt.publish import strip_paths
from mt.write import CorpusWriter


class FakeHub:
    """Stands in for huggingface_hub.HfApi: records the calls and what upload_folder would send."""

    calls: list[tuple[str, dict]] = []
    uploaded: dict[str, bytes] = {}
    fail: Exception | None = None

    def create_repo(self, repo_id, **kw):
        FakeHub.calls.append(("create_repo", {"repo_id": repo_id, **kw}))
        if FakeHub.fail is not None:
            raise FakeHub.fail

    def upload_folder(self, *, repo_id, folder_path, allow_patterns=None, **kw):
        from huggingface_hub.utils import filter_repo_objects

        FakeHub.calls.append(("upload_folder", {"repo_id": repo_id, "allow_patterns": allow_patterns, **kw}))
        root = Path(folder_path)
        names = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
        FakeHub.uploaded = {n: (root / n).read_bytes() for n in filter_repo_objects(names, allow_patterns=allow_patterns)}


@pytest.fixture
def hub(monkeypatch):
    import huggingface_hub

    FakeHub.calls, FakeHub.uploaded, FakeHub.fail = [], {}, None
    monkeypatch.setattr(huggingface_hub, "HfApi", FakeHub)
    return FakeHub


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A corpus written by the pipeline's writer, with a model in a local cache and an absolute output
    dir in its manifest, plus the review files that must never be published."""
    model = tmp_path / "cache" / "mt" / "models" / "tiny-marian-0123"
    out = tmp_path / "outputs" / "smoke"
    writer = CorpusWriter(out, ["parquet", "jsonl", "tmx", "moses"],
                          {"version": "0.1.0", "model": str(model), "is_real": False})
    writer.write(make_doc("a"))
    writer.finish({"config": {"output": {"dir": str(out)}, "input": {"paths": [str(tmp_path / "seeds")]}}})
    (out / "review.sqlite").write_bytes(b"decisions")
    (out / "review.html").write_text("<html></html>", encoding="utf-8")
    (out / "reviewed").mkdir()
    (out / "reviewed" / "README.md").write_text("an export", encoding="utf-8")
    return out


def test_publish_uploads_only_dataset_files_without_local_paths(hub, corpus: Path, tmp_path: Path):
    assert main(["publish", str(corpus), "someone/thai-news", "--private"]) == 0
    assert [c[0] for c in hub.calls] == ["create_repo", "upload_folder"]
    assert hub.calls[0][1] == {"repo_id": "someone/thai-news", "repo_type": "dataset", "private": True,
                               "exist_ok": True}
    assert hub.calls[1][1]["repo_type"] == "dataset" and hub.calls[1][1]["delete_patterns"] == ["data/**"]
    names = set(hub.uploaded)
    assert {"README.md", "manifest.json", "corpus.jsonl", "captions.jsonl", "corpus.tmx", "corpus.th",
            "corpus.en", "set_aside.jsonl", "problems.jsonl"} <= names
    assert {n.split("/")[1] for n in names if n.startswith("data/")} == {"sentences", "captions"}
    assert not {"review.sqlite", "review.html", "reviewed/README.md"} & names
    for name, data in hub.uploaded.items():
        assert str(tmp_path).encode() not in data, name                # no local path anywhere
    manifest = json.loads(hub.uploaded["manifest.json"])
    assert manifest["signature"]["model"] == "tiny-marian-0123"
    assert manifest["config"]["output"]["dir"] == "smoke" and manifest["config"]["input"]["paths"] == ["seeds"]
    assert b'<prop type="x-model">tiny-marian-0123</prop>' in hub.uploaded["corpus.tmx"]
    tmx = (corpus / "corpus.tmx").read_bytes()                         # segments byte for byte
    assert hub.uploaded["corpus.tmx"].split(b"</header>")[1] == tmx.split(b"</header>")[1]
    assert str(tmp_path) in (corpus / "manifest.json").read_text(encoding="utf-8")   # OUTPUT_DIR is unchanged
    for shard in (n for n in names if n.endswith(".parquet")):
        assert hub.uploaded[shard] == (corpus / shard).read_bytes()


def test_published_card_still_loads(hub, corpus: Path, tmp_path: Path):
    from datasets import load_dataset

    main(["publish", str(corpus), "someone/thai-news"])
    copy = tmp_path / "hub-copy"
    for name, data in hub.uploaded.items():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        (copy / name).write_bytes(data)
    assert load_dataset(str(copy), split="train", cache_dir=str(tmp_path / "hf")).num_rows == 3
    assert load_dataset(str(copy), "captions", split="train", cache_dir=str(tmp_path / "hf")).num_rows == 1


def test_dry_run_lists_and_uploads_nothing(hub, corpus: Path, capsys):
    assert main(["publish", str(corpus), "someone/thai-news", "--dry-run"]) == 0
    assert hub.calls == []
    listed = capsys.readouterr().out.splitlines()
    assert "manifest.json" in listed and "review.sqlite" not in listed and "review.html" not in listed


def test_errors(hub, corpus: Path, tmp_path: Path, capsys):
    from huggingface_hub.errors import OfflineModeIsEnabled

    from mt.publish import publish

    with pytest.raises(InputError, match="not a corpus directory"):
        publish(tmp_path, "someone/x")
    hub.fail = OfflineModeIsEnabled("offline mode is enabled")
    with pytest.raises(OutputError, match="upload to the dataset repository someone/x failed.*HF_HUB_OFFLINE"):
        publish(corpus, "someone/x")
    assert main(["publish", str(corpus), "someone/x"]) == 5
    assert "upload to the dataset repository" in capsys.readouterr().err
    assert not [p for p in corpus.parent.iterdir() if ".publish-" in p.name]      # staging removed


def test_strip_paths_leaves_urls_relative_paths_and_markup():
    root = "/"      # built here so that this file names no machine path
    kept = ["https://example.org/a/b", "and/or", "data/sentences/x.parquet", "</prop>", "facebook/nllb-200"]
    for text in kept:
        assert strip_paths(text) == text
    assert strip_paths(f"model {root}opt/cache/models/nllb-600M, ok") == "model nllb-600M, ok"
    assert strip_paths(f"{{English by {root}srv/m/tiny}}") == "{English by tiny}"
    assert strip_paths("~/mt/out") == "out"
