"""Scale benchmark of the static review report.

Builds a synthetic OUTPUT_DIR of N rows (default 20,000; the realistic sample documents
of mt.review.sample repeated under new document ids), then times ``build_report`` and
prints the size of review.html. With ``--browser`` it also opens the report in Debian's
Chromium (Playwright) and times the first render, a flag filter and a search.

    PYTHAINLP_OFFLINE=1 python benchmarks/review_scale.py [--rows 20000] [--browser] [--keep DIR]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mt.review import build_report  # noqa: E402
from mt.review.sample import sample_rows, write_sample_output  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def make_corpus(directory: Path, n_rows: int) -> tuple[int, int]:
    rows, caps = sample_rows(1)
    copies = -(-n_rows // len(rows))
    rows, caps = sample_rows(copies)
    rows = rows[:n_rows]
    keep_docs = {r["doc_id"] for r in rows}
    caps = [c for c in caps if c["doc_id"] in keep_docs]
    write_sample_output(directory, rows=rows, captions=caps)
    return len(rows), len(caps)


def browser_timings(report: Path) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    out: dict[str, float] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        t0 = time.perf_counter()
        page.goto(report.as_uri())
        page.wait_for_selector("body[data-ready='1']")
        out["first render (s)"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        page.click("#flagbar [data-flag='number_mismatch']")
        page.wait_for_selector("#flagbar [data-flag='number_mismatch'][aria-pressed='true']")
        summary = page.locator("#summary").text_content() or ""
        out["flag filter (s)"] = time.perf_counter() - t0
        out["rows after flag filter"] = float(summary.split(" of ")[1].split()[0])
        page.click("#flagbar [data-flag='number_mismatch']")
        t0 = time.perf_counter()
        page.fill("#q", "vision to 2050")
        page.wait_for_selector("#list mark")
        out["search incl. 120 ms debounce (s)"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        for _ in range(20):
            page.keyboard.press("j")
        page.keyboard.press("ArrowRight")
        out["20 x j + next page (s)"] = time.perf_counter() - t0
        browser.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--browser", action="store_true", help="also time rendering in Chromium")
    ap.add_argument("--keep", type=Path, help="build in this directory and keep it")
    a = ap.parse_args()
    directory = a.keep or Path(tempfile.mkdtemp(prefix="review_scale_"))
    try:
        n_rows, n_caps = make_corpus(directory, a.rows)
        t0 = time.perf_counter()
        report = build_report(directory)
        dt = time.perf_counter() - t0
        size = report.stat().st_size
        corpus_size = (directory / "corpus.jsonl").stat().st_size
        print(f"rows: {n_rows} (+{n_caps} caption lines)")
        print(f"build_report: {dt:.2f} s")
        print(f"review.html: {size / 1e6:.2f} MB ({size / n_rows:.0f} bytes/row; corpus.jsonl {corpus_size / 1e6:.2f} MB)")
        if a.browser:
            if not Path(CHROMIUM).exists():
                print("browser timings skipped: /usr/bin/chromium not found")
            else:
                for key, value in browser_timings(report).items():
                    print(f"{key}: {value:.2f}" if "(s)" in key else f"{key}: {value:.0f}")
    finally:
        if a.keep is None:
            shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
