"""Seed pages written as every input format a run reads (for the shard and executor tests).

Each builder writes the given seed pages plus one bad record (not decodable / empty / not HTML) and returns the
path to pass as the run's input.
"""
from __future__ import annotations

import html
import io
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"


def seed_texts(names: list[str]) -> list[tuple[str, str]]:
    return [(Path(n).stem, (SEEDS / n).read_text(encoding="utf-8")) for n in names]


def as_folder(names: list[str], root: Path) -> Path:
    d = root / "pages"
    d.mkdir(parents=True)
    for name in names:
        (d / name).write_text((SEEDS / name).read_text(encoding="utf-8"), encoding="utf-8")
    return d


def as_jsonl(names: list[str], root: Path) -> Path:
    path = root / "pages.jsonl"
    lines = [json.dumps({"id": i, "url": f"https://x.test/{i}", "text": t}, ensure_ascii=False)
             for i, t in seed_texts(names)]
    lines.insert(1, "{not json")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def as_parquet(names: list[str], root: Path) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    recs = seed_texts(names) + [("empty", "")]
    table = pa.table({"id": [i for i, _ in recs], "url": [f"https://x.test/{i}" for i, _ in recs],
                      "markdown": [t for _, t in recs]})
    path = root / "pages.parquet"
    pq.write_table(table, path, row_group_size=2)
    return path


def page_html(text: str) -> str:
    return "<html><body>" + "".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines() if line.strip()) \
        + "</body></html>"


def as_warc(names: list[str], root: Path) -> Path:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    path = root / "crawl.warc.gz"
    bodies = [("200 OK", "text/html; charset=utf-8", page_html(t).encode()) for _, t in seed_texts(names)]
    bodies.insert(1, ("200 OK", "image/png", b"\x89PNG\r\n"))
    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=True)
        for i, (status, ctype, body) in enumerate(bodies):
            headers = StatusAndHeaders(status, [("Content-Type", ctype)], protocol="HTTP/1.1")
            w.write_record(w.create_warc_record(f"https://x.test/{i}", "response", payload=io.BytesIO(body),
                                                http_headers=headers))
    return path


def as_hf(names: list[str], root: Path) -> str:
    """A Hugging Face dataset folder (one Parquet data file), given as ``hf:<folder>``."""
    import datasets

    recs = seed_texts(names) + [("empty", "")]
    folder = root / "thai_news"
    (folder / "data").mkdir(parents=True)
    datasets.Dataset.from_dict({"id": [i for i, _ in recs], "url": [f"https://x.test/{i}" for i, _ in recs],
                                "text": [t for _, t in recs]}).to_parquet(folder / "data" / "train.parquet")
    return f"hf:{folder}"


BUILDERS = {"files": as_folder, "jsonl": as_jsonl, "parquet": as_parquet, "warc": as_warc, "hf": as_hf}
