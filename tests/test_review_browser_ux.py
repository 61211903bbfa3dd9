"""The review page in Debian's Chromium at 1400 and 800 px: column labels, long text, severity,
histograms, and on the served page undo and export. Screenshots go to pytest's tmp dir, or to the
directory in MT_SCREENSHOTS (the checked-in ones: ``MT_SCREENSHOTS=docs/screenshots pytest
tests/test_review_browser_ux.py``)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from test_review_browser import _row, browser, expect, server  # noqa: F401  (fixtures)

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from mt.review import build_report  # noqa: E402
from mt.review.sample import sample_rows, write_sample_output  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LONG_ID = "002_02c73740b218f54e:14:1"
ROW1 = "000_396c13a82e5e0acf:11:1"


def _shot(page, name: str, tmp_path: Path) -> None:
    target = Path(os.environ.get("MT_SCREENSHOTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / name))
    assert (target / name).stat().st_size > 10_000


@pytest.fixture
def outdir(tmp_path: Path) -> Path:
    """The sample corpus with one very long (degenerate) English row."""
    rows, caps = sample_rows()
    for row in rows:
        if row["id"] == LONG_ID:
            row["en"] = row["en"] + " with a vision to 2050," * 60 + " END-OF-TEXT"
    return write_sample_output(tmp_path / "out", rows=rows, captions=caps)


def _label(page, row_id: str, cls: str) -> str:
    return page.evaluate(
        "([id, cls]) => { const c = document.querySelector(`article.row[data-id='${id}'] .cell.${cls}`);"
        " const b = getComputedStyle(c, '::before'); return b.display === 'none' ? '' : b.content; }",
        [row_id, cls])


@pytest.mark.parametrize("width", [1400, 800])
def test_static_page_layout(browser, outdir: Path, width: int, tmp_path: Path):  # noqa: F811
    page = browser.new_page(viewport={"width": width, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(build_report(outdir).as_uri())
    page.wait_for_selector("body[data-ready='1']")
    head = page.locator("header .colhead span")
    if width == 1400:   # one header row labels the three columns
        assert [s.inner_text() for s in head.all() if s.is_visible()] == ["SEV", "THAI", "ENGLISH", "VIETNAMESE"]
        assert _label(page, ROW1, "en") == ""
    else:               # stacked cells: the header would name one column only, so every cell carries its label
        assert not page.locator("header .colhead").is_visible()
        assert [_label(page, ROW1, c) for c in ("th", "en", "vi")] == ['"Thai"', '"English"', '"Vietnamese"']
    hists = page.locator("header svg.hist")
    assert hists.count() == 2 and all(h.is_visible() for h in hists.all())

    long_en = _row(page, LONG_ID).locator(".cell.en")
    more = long_en.locator("button.more")
    assert "END-OF-TEXT" not in long_en.inner_text() and more.inner_text().startswith("… show all ")
    _shot(page, f"review-{width}.png", tmp_path)

    sev = _row(page, ROW1).locator(".sev")
    assert sev.get_attribute("title") == "severity 6 = number_mismatch 6"
    page.click("#help-btn")
    assert page.locator("#sev-help").is_visible() and "untranslated 10" in page.locator("#sev-weights").inner_text()
    more.click()
    assert "END-OF-TEXT" in _row(page, LONG_ID).locator(".cell.en").inner_text()
    page.fill("#q", "END-OF-TEXT")                                     # a search hit past the cut is shown
    expect(page.locator("#list article.row")).to_have_count(1)
    assert errors == []
    page.close()


def test_server_undo_and_export(browser, server: str, outdir: Path, tmp_path: Path):  # noqa: F811
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server)
    page.wait_for_selector("body[data-ready='1']")
    assert page.locator("#undo-btn").is_disabled()
    _row(page, ROW1).locator("button.reject").click()
    page.wait_for_selector(f"article.row[data-id='{ROW1}'] .status.rejected")
    _row(page, ROW1).locator("button.accept").click()
    page.wait_for_selector(f"article.row[data-id='{ROW1}'] .status.accepted")
    assert ROW1 in page.locator("#undo-btn").get_attribute("title")
    page.keyboard.press("u")                                           # back to rejected
    page.wait_for_selector(f"article.row[data-id='{ROW1}'] .status.rejected")
    assert "undone: now rejected" in _row(page, ROW1).inner_text()
    page.click("#undo-btn")                                            # back to no decision
    page.wait_for_selector(f"article.row[data-id='{ROW1}'] .status.unreviewed")
    assert page.locator("#undo-btn").is_disabled()
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    assert _row(page, ROW1).locator(".status").inner_text() == "unreviewed"   # the undo is stored

    _row(page, ROW1).locator("button.reject").click()
    page.wait_for_selector(f"article.row[data-id='{ROW1}'] .status.rejected")
    page.check("#export-drop")
    page.click("#export-btn")
    page.wait_for_selector("#export-msg.ok")
    n_rows = len(sample_rows()[0])
    assert page.locator("#export-msg").inner_text() == (
        f"exported {n_rows - 1} rows (0 reviewed, 1 rejected left out) to out/reviewed")
    assert (outdir / "reviewed" / "README.md").is_file()
    _shot(page, "review-server-1400.png", tmp_path)
    page.set_viewport_size({"width": 800, "height": 1000})
    _shot(page, "review-server-800.png", tmp_path)
    assert errors == []
    page.close()
