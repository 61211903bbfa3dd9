"""The static side-by-side report: ``OUTPUT_DIR/review.html``.

One self-contained HTML file (inline CSS and JS, no network access, works from
file://). The rows are embedded as JSON and rendered one page at a time by the
script, so a 20,000-row corpus stays usable. The review server renders the same
template with ``server=True``.
"""
from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..atomic import write_text_atomic
from ..errors import OutputError
from .corpus import Corpus, load_corpus, review_payload
from .flags import DEFAULT, DESCRIPTIONS, FLAGS, SEVERITY, FlagConfig
from .histogram import score_histograms
from .store import DB_FILE, DecisionStore

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
TEMPLATE = "review.html.j2"
REPORT_FILE = "review.html"
PAGE_SIZE = 50


@lru_cache(maxsize=None)
def asset(name: str) -> str:
    """Text of a packaged static file (CSS / JS)."""
    return (STATIC / name).read_text(encoding="utf-8")


def jinja_env():
    import jinja2  # core dependency

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        keep_trailing_newline=True,
    )


def script_json(data: Any) -> str:
    """JSON safe to place inside a <script> element (no '</script>', '<!--')."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def corpus_title(corpus: Corpus) -> str:
    """Name shown in the page header: manifest name, the configured output dir, or the
    directory name (the writer builds the report in a temporary ``.NAME.tmp-xxxx`` sibling)."""
    man = corpus.manifest
    for name in (man.get("name"), man.get("title")):
        if isinstance(name, str) and name:
            return name
    configured = ((man.get("config") or {}).get("output") or {}).get("dir") if isinstance(man.get("config"), dict) else None
    if isinstance(configured, str) and configured:
        return Path(configured).name
    name = corpus.output_dir.resolve().name
    match = re.fullmatch(r"\.(.+)\.tmp-[0-9a-f]+", name)
    return match.group(1) if match else name


def page_data(corpus: Corpus, config: FlagConfig = DEFAULT, *, mode: str = "static") -> dict[str, Any]:
    payload = review_payload(corpus, config)
    return {
        "mode": mode,
        "title": corpus_title(corpus),
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "flags": list(FLAGS),
        "flagDesc": DESCRIPTIONS,
        "flagWeight": SEVERITY,
        "alignThreshold": config.align_threshold,
        "pageSize": PAGE_SIZE,
        "docs": payload["docs"],
        "rows": payload["rows"],
    }


def template_context(corpus: Corpus, data_json: str, *, server: bool, n_rows: int,
                     csrf: str = "", nonce: str = "", config: FlagConfig = DEFAULT) -> dict[str, Any]:
    return {
        "histograms": score_histograms(corpus.rows, {"align": config.align_threshold}),
        "align_threshold": config.align_threshold,
        "title": corpus_title(corpus),
        "static": not server,
        "server": server,
        "css": asset("review.css"),
        "js": asset("review.js"),
        "data_json": data_json,
        "n_rows": n_rows,
        "csrf": csrf,
        "nonce": nonce,
    }


def render_report(corpus: Corpus, config: FlagConfig = DEFAULT) -> str:
    data = page_data(corpus, config)
    db = corpus.output_dir / DB_FILE
    if db.is_file():   # show the decisions made so far (read-only)
        data["decisions"] = {k: v.public() for k, v in DecisionStore(db, create=False).all().items()
                             if k in corpus.by_id}
    ctx = template_context(corpus, script_json(data), server=False, n_rows=len(data["rows"]), config=config)
    ctx["has_decisions"] = bool(data.get("decisions"))
    return jinja_env().get_template(TEMPLATE).render(**ctx)


def build_report(output_dir: Path, *, flag_config: FlagConfig | None = None,
                 out: Path | None = None) -> Path:
    """Write the self-contained side-by-side report and return its path.

    ``out`` defaults to ``OUTPUT_DIR/review.html``. ``flag_config`` sets the flag
    thresholds (:class:`mt.review.flags.FlagConfig`).
    """
    output_dir = Path(output_dir)
    corpus = load_corpus(output_dir)
    html = render_report(corpus, flag_config or DEFAULT)
    target = Path(out) if out is not None else output_dir / REPORT_FILE
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(target, html, mode=0o644)
    except OSError as exc:
        raise OutputError(f"cannot write {target.name}: {exc.strerror}", where=str(target),
                          fix="check that the directory exists and is writable") from exc
    log.info("wrote %s (%d rows, %.1f MB)", target, len(corpus.rows), len(html.encode()) / 1e6)
    return target
