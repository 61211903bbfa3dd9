"""Drive the review page in Debian's Chromium (Playwright, sync API).

Static report from file:// (flag filter, search, keyboard), then the review server on a
free loopback port (edit, reload, keyboard accept, stale second tab), then export.
Screenshots: /tmp/review_static.png, /tmp/review_server.png, /tmp/review_conflict.png.
"""
from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from mt.review import build_report, create_app, export  # noqa: E402
from mt.review.sample import write_sample_output  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ROW1 = "000_396c13a82e5e0acf:11:1"     # "ในปี 2566" translated as "in 2024"
ROW2 = "002_02c73740b218f54e:8:1"


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def outdir(tmp_path: Path) -> Path:
    return write_sample_output(tmp_path / "out")


def expect(locator):
    from playwright.sync_api import expect as _expect

    return _expect(locator)


def _row(page, row_id: str):
    return page.locator(f"article.row[data-id='{row_id}']")


def test_static_report(browser, outdir: Path):
    report = build_report(outdir)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith("file:") else errors.append("network: " + r.url))
    page.goto(report.as_uri())
    page.wait_for_selector("body[data-ready='1']")
    rows = page.locator("#list article.row")
    assert rows.count() == 16
    assert "untranslated" in rows.first.locator(".meta").inner_text()       # worst first
    assert page.locator("header .colhead").inner_text().split() == ["SEV", "THAI", "ENGLISH", "VIETNAMESE"]

    page.click("#flagbar [data-flag='number_mismatch']")
    assert rows.count() == 1
    assert rows.first.get_attribute("data-id") == ROW1
    assert "Thai only: 2566; English only: 2024" in rows.first.inner_text()
    page.click("#flagbar [data-flag='low_align']")                          # any of the chosen flags
    assert rows.count() == 2
    page.screenshot(path="/tmp/review_static.png")
    page.click("#flagbar [data-flag='number_mismatch']")
    page.click("#flagbar [data-flag='low_align']")
    assert rows.count() == 16

    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("Tran Luu Quang")
    page.wait_for_selector("#list mark")
    assert rows.count() == 2
    assert page.locator("#list mark").first.inner_text() == "Tran Luu Quang"
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    assert page.locator("#list article.row.sel").get_attribute("data-pos") == "1"
    page.keyboard.press("k")
    assert page.locator("#list article.row.sel").get_attribute("data-pos") == "0"

    page.fill("#q", "")
    expect(rows).to_have_count(16)                                         # search cleared (debounced)
    page.select_option("#sort", "doc")                                     # document order, grouped
    heads = page.locator("#list .dochead")
    assert heads.count() == 2 and heads.first.inner_text().startswith("กระทรวงการต่างประเทศเชื่อมโยง")
    assert [r.get_attribute("data-id") for r in rows.all()[:3]] == [
        "000_396c13a82e5e0acf:3:1", "000_396c13a82e5e0acf:7:1", "000_396c13a82e5e0acf:9:1"]
    page.select_option("#doc", index=2)                                    # second document only
    page.wait_for_timeout(200)
    assert {r.get_attribute("data-id").split(":")[0] for r in rows.all()} == {"002_02c73740b218f54e"}
    assert errors == []
    page.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(outdir: Path):
    import uvicorn

    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(outdir), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("review server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    srv.should_exit = True
    thread.join(timeout=10)


def test_server_edit_persists_and_exports(browser, server: str, outdir: Path, tmp_path: Path):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    tab_a = context.new_page()
    tab_b = context.new_page()                     # opened before tab A's edit: becomes stale
    for tab in (tab_a, tab_b):
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.goto(server)
        tab.wait_for_selector("body[data-ready='1']")

    row = _row(tab_a, ROW1)
    row.locator("button.edit").click()
    editor = row.locator("textarea")
    assert "in 2024" in editor.input_value()
    editor.fill("At the conference, Deputy Prime Minister Tran Luu Quang praised the sector's achievements in 2023.")
    row.locator("button.save").click()
    tab_a.wait_for_selector(f"article.row[data-id='{ROW1}'] .msg.ok")
    assert _row(tab_a, ROW1).locator(".status").inner_text() == "edited"

    _row(tab_a, ROW2).locator(".cell.th").click()                 # select, then accept with the keyboard
    tab_a.keyboard.press("a")
    tab_a.wait_for_selector(f"article.row[data-id='{ROW2}'] .status.accepted")
    row3 = tab_a.locator("#list article.row.sel").get_attribute("data-id")   # 'a' moved to the next row
    assert row3 and row3 != ROW2
    tab_a.keyboard.press("e")                                     # keyboard edit, Ctrl+Enter saves
    tab_a.wait_for_selector(f"article.row[data-id='{row3}'] textarea")
    tab_a.keyboard.press("Control+a")
    tab_a.keyboard.type("Keyboard edit.")
    tab_a.keyboard.press("Control+Enter")
    tab_a.wait_for_selector(f"article.row[data-id='{row3}'] .status.edited")
    tab_a.screenshot(path="/tmp/review_server.png")

    tab_a.reload()
    tab_a.wait_for_selector("body[data-ready='1']")
    kept = _row(tab_a, ROW1)
    assert "achievements in 2023." in kept.locator(".cell.en").inner_text()
    assert "in 2024" in kept.locator(".cell.en .orig").inner_text()       # machine text shown struck out
    assert kept.locator(".status").inner_text() == "edited"
    assert _row(tab_a, ROW2).locator(".status").inner_text() == "accepted"
    assert _row(tab_a, row3).locator(".cell.en").inner_text().startswith("Keyboard edit.")

    stale = _row(tab_b, ROW1)                                           # tab B still at version 0
    stale.locator("button.reject").click()
    tab_b.wait_for_selector(f"article.row[data-id='{ROW1}'] .msg.err")
    assert "changed in another tab" in _row(tab_b, ROW1).locator(".msg.err").inner_text()
    assert _row(tab_b, ROW1).locator(".status").inner_text() == "edited"   # shows the kept decision
    tab_b.screenshot(path="/tmp/review_conflict.png")
    assert errors == []
    context.close()

    from datasets import load_dataset

    ds = load_dataset(str(export(outdir)), cache_dir=str(tmp_path / "hf"))["train"]
    got = {r["id"]: r for r in ds}
    assert got[ROW1]["status"] == "edited" and got[ROW1]["edited"] is True
    assert got[ROW1]["en"].endswith("the sector's achievements in 2023.")
    assert got[ROW2]["status"] == "accepted"

    page = browser.new_page()                      # the static report now shows the decisions too
    page.goto(build_report(outdir).as_uri())
    page.wait_for_selector("body[data-ready='1']")
    page.select_option("#status", "edited")
    assert {r.get_attribute("data-id") for r in page.locator("#list article.row").all()} == {ROW1, row3}
    assert "achievements in 2023." in _row(page, ROW1).locator(".cell.en").inner_text()
    assert _row(page, ROW1).locator("button").count() == 0            # read-only
    page.close()
