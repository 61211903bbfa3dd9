"""Score histograms for the review page header: small inline SVG, built with ElementTree.

Only presentation attributes are used (no ``style``), so the page's Content-Security-Policy
(``style-src`` nonce / inline only) does not block anything; every bar has a ``<title>`` tooltip.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any, Iterable

# Scores in [0, 1] that are worth a histogram on the page.
HISTOGRAM_SCORES = ("align", "similarity")
WIDTH, HEIGHT, LABEL = 200, 32, 14


def score_values(rows: Iterable[dict[str, Any]], name: str) -> list[float]:
    """The ``scores[name]`` values of ``rows`` that are numbers, clipped to [0, 1]."""
    out = []
    for row in rows:
        scores = row.get("scores")
        value = scores.get(name) if isinstance(scores, dict) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out.append(min(1.0, max(0.0, float(value))))
    return out


def bin_counts(values: list[float], bins: int) -> list[int]:
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int(v * bins))] += 1
    return counts


def histogram_svg(name: str, values: list[float], *, bins: int = 20, threshold: float | None = None) -> str:
    """One score's histogram as an ``<svg>`` element (empty string when there are no values)."""
    if not values:
        return ""
    counts = bin_counts(values, bins)
    peak = max(counts)
    below = sum(v < threshold for v in values) if threshold is not None else None
    label = f"{name}: {len(values)} rows" + (f", {below} below {threshold:g}" if below is not None else "")
    svg = ET.Element("svg", {"xmlns": "http://www.w3.org/2000/svg", "class": "hist", "data-score": name,
                             "width": str(WIDTH), "height": str(HEIGHT + LABEL), "role": "img",
                             "viewBox": f"0 0 {WIDTH} {HEIGHT + LABEL}", "aria-label": f"histogram of {label}"})
    ET.SubElement(svg, "title").text = f"{label} (bins of {1 / bins:g})"
    step = WIDTH / bins
    for k, n in enumerate(counts):
        h = 0 if not n else max(1.0, (HEIGHT - 2) * n / peak)
        low = threshold is not None and (k + 1) / bins <= threshold
        bar = ET.SubElement(svg, "rect", {"class": "bar", "x": f"{k * step + 0.5:.1f}", "y": f"{HEIGHT - h:.1f}",
                                          "width": f"{step - 1:.1f}", "height": f"{h:.1f}",
                                          "fill": "#d9a1a1" if low else "#8fa9cf", "data-n": str(n)})
        ET.SubElement(bar, "title").text = f"{name} {k / bins:.2f}–{(k + 1) / bins:.2f}: {n} rows"
    ET.SubElement(svg, "line", {"x1": "0", "x2": str(WIDTH), "y1": str(HEIGHT), "y2": str(HEIGHT),
                                "stroke": "#9a9aa2", "stroke-width": "1"})
    if threshold is not None:
        x = f"{threshold * WIDTH:.1f}"
        ET.SubElement(svg, "line", {"class": "threshold", "x1": x, "x2": x, "y1": "0", "y2": str(HEIGHT),
                                    "stroke": "#b3261e", "stroke-width": "1", "stroke-dasharray": "3 2"})
    text = ET.SubElement(svg, "text", {"x": "0", "y": str(HEIGHT + LABEL - 3), "font-size": "10",
                                       "fill": "#6b6b72"})
    text.text = f"{name} 0…1 · {len(values)} rows" + (f" · {below} < {threshold:g}" if below is not None else "")
    return ET.tostring(svg, encoding="unicode")


def score_histograms(rows: list[dict[str, Any]], thresholds: dict[str, float] | None = None) -> str:
    """The header's histograms of :data:`HISTOGRAM_SCORES` (those with values), as SVG markup."""
    thresholds = thresholds or {}
    return "".join(histogram_svg(name, score_values(rows, name), threshold=thresholds.get(name))
                   for name in HISTOGRAM_SCORES)
