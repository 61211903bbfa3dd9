"""Translation memories: parallel files read into a lookup table, source text -> English.

A memory file is one of

* **TMX** (``.tmx``): every ``<tu>`` with a Thai or Vietnamese ``<tuv>`` and an English one
  (``xml:lang`` ``th`` / ``th-TH`` / ``tha_Thai`` ... all count; inline markup is kept as text);
* **JSONL** (``.jsonl`` / ``.json``): one object per line with ``th`` and / or ``vi`` and ``en`` fields
  (or a ``translation`` object holding them, the Hugging Face translation shape);
* a **Moses pair**: name the source side, ``corpus.th`` or ``corpus.vi``; its target is the ``.en`` file
  with the same stem beside it (same number of lines);
* **Parquet** (``.parquet``), rows as in JSONL;
* an ``mt`` **corpus directory** or a **reviewed export** (``OUTPUT_DIR`` / ``OUTPUT_DIR/reviewed``):
  ``corpus.jsonl`` (else ``data/**/*.parquet``) gives Thai -> ``en``, ``captions.jsonl`` gives
  Vietnamese -> ``en_from_vi`` (and Thai -> ``en_from_th``).

Rows of an ``mt`` corpus (JSON / Parquet rows with a ``kind``, ``<tu>`` with an ``x-kind`` prop) give
Thai -> English only: their ``vi`` is the aligned Vietnamese line, and their ``en`` translates the Thai,
not it. Rows a reviewer rejected (``status = rejected``) are skipped. Every skipped row is counted with
its reason (:attr:`MemoryFile.skipped`). The English is kept as given, on one line.

Fuzzy lookups compare the text with every entry of a compatible length (difflib, with its quick
upper bounds first): about 4 ms per lookup per 1,000 entries on this project's CPU, so they suit
memories of up to some ten thousand entries; exact and joined lookups are hash lookups.

Lookups use :func:`match_key`: NFC, zero-width characters removed, whitespace collapsed, and no
whitespace between two Thai characters (Thai puts spaces between phrases and sentences, and pages,
scrapers and segmenters disagree on them), so ``"ก ข"`` and ``"กข"`` match, ``"a b"`` and ``"ab"`` do not.
When two entries of one language have the same key, the first one read wins (files in the order given);
later ones are counted as ``duplicate`` (same English) or ``conflicting`` (other English).
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from ..errors import ModelError

log = logging.getLogger(__name__)

MEMORY_LANGS = ("th", "vi")
TARGET = "en"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_LANG_CODES = {"tha": "th", "vie": "vi", "eng": "en"}
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_WS = re.compile(r"\s+")
_THAI_GAP = re.compile(r"(?<=[\u0E00-\u0E7F])\s+(?=[\u0E00-\u0E7F])")
FORMATS_HELP = ("a .tmx file, a .jsonl/.json file with th/vi and en fields, a .parquet file, a Moses source file "
                "(corpus.th or corpus.vi with corpus.en beside it) or an mt corpus directory")
#: at most this many memory segments make one joined match (a unit is a few sentences at most)
MAX_JOIN = 16
_PREFIX = 6


def match_key(text: str) -> str:
    """The form of a text that memory lookups compare (see the module docstring)."""
    text = _ZERO_WIDTH.sub("", unicodedata.normalize("NFC", text))
    return _THAI_GAP.sub("", _WS.sub(" ", text)).strip()


def _compact(key: str) -> str:
    return key.replace(" ", "")


def _target(text: str) -> str:
    """The English as given, on one line (whitespace runs collapsed); no other change."""
    return _WS.sub(" ", text).strip()


@dataclass
class MemoryFile:
    """What one memory file contributed: named without its directory, with a digest of what was read."""

    name: str
    sha256: str = ""
    pairs: Counter = field(default_factory=Counter)      # language -> entries added
    skipped: Counter = field(default_factory=Counter)    # reason -> rows not used

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256, "pairs": dict(sorted(self.pairs.items())),
                "skipped": dict(sorted(self.skipped.items()))}


class Memory:
    """Source -> English tables per source language, with exact, joined and fuzzy lookups."""

    def __init__(self) -> None:
        self.files: list[MemoryFile] = []
        self._exact: dict[str, dict[str, str]] = {lang: {} for lang in MEMORY_LANGS}
        self._compact: dict[str, dict[str, str]] = {lang: {} for lang in MEMORY_LANGS}
        self._by_prefix: dict[str, dict[str, list[str]]] = {lang: {} for lang in MEMORY_LANGS}
        self._short: dict[str, set[int]] = {lang: set() for lang in MEMORY_LANGS}
        self._by_length: dict[str, dict[int, list[str]]] = {lang: {} for lang in MEMORY_LANGS}

    def size(self, lang: str) -> int:
        return len(self._exact.get(lang, {}))

    def digest(self) -> str:
        h = hashlib.sha256()
        for f in self.files:
            h.update(f"{f.name}\0{f.sha256}\0".encode())
        return h.hexdigest()

    def add(self, lang: str, source: str, target: str, into: MemoryFile) -> None:
        key, tgt = match_key(source), _target(target)
        if not key or not tgt:
            into.skipped["empty"] += 1
            return
        table = self._exact[lang]
        if key in table:
            into.skipped["duplicate" if table[key] == tgt else "conflicting"] += 1
            return
        table[key] = tgt
        into.pairs[lang] += 1
        flat = _compact(key)
        if flat in self._compact[lang]:
            return
        self._compact[lang][flat] = tgt
        if len(flat) >= _PREFIX:
            self._by_prefix[lang].setdefault(flat[:_PREFIX], []).append(flat)
        else:
            self._short[lang].add(len(flat))
        self._by_length[lang].setdefault(len(flat), []).append(flat)

    # -- lookups ------------------------------------------------------------------------------
    def exact(self, lang: str, key: str) -> str | None:
        return self._exact.get(lang, {}).get(key)

    def joined(self, lang: str, key: str) -> list[str] | None:
        """The English of the fewest memory segments (2 .. MAX_JOIN) whose concatenation is ``key``
        (spaces ignored), in order; None when there is no such split."""
        text, table = _compact(key), self._compact.get(lang, {})
        if not text or not table:
            return None
        # breadth-first over positions: the first time the end is reached uses the fewest segments
        back: dict[int, tuple[int, str]] = {0: (-1, "")}
        frontier = [0]
        for _ in range(MAX_JOIN):
            nxt: list[int] = []
            for i in frontier:
                for seg in self._segments_at(lang, text, i):
                    j = i + len(seg)
                    if j not in back:
                        back[j] = (i, seg)
                        nxt.append(j)
            if len(text) in back:
                break
            frontier = nxt
        if len(text) not in back:
            return None
        parts, j = [], len(text)
        while j > 0:
            j, seg = back[j]
            parts.append(table[seg])
        return parts[::-1] if len(parts) >= 2 else None

    def _segments_at(self, lang: str, text: str, i: int) -> Iterator[str]:
        table = self._compact[lang]
        for seg in self._by_prefix[lang].get(text[i:i + _PREFIX], ()):
            if text.startswith(seg, i):
                yield seg
        for n in self._short[lang]:
            if text[i:i + n] in table:
                yield text[i:i + n]

    def fuzzy(self, lang: str, key: str, threshold: float) -> tuple[str, float] | None:
        """The most similar entry (difflib ratio of the texts without spaces) scoring at least
        ``threshold``: (its English, the score), or None. Only entries whose length allows that
        score are compared (ratio <= 2 * min(len) / (len a + len b))."""
        text = _compact(key)
        n = len(text)
        if not n:
            return None
        lo, hi = int(n * threshold / (2 - threshold)), int(n * (2 - threshold) / threshold) + 1
        best: tuple[float, str] | None = None
        matcher = SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(text)
        for length, entries in self._by_length.get(lang, {}).items():
            if not lo <= length <= hi:
                continue
            for cand in entries:
                matcher.set_seq1(cand)
                floor = best[0] if best else threshold
                if matcher.real_quick_ratio() < floor or matcher.quick_ratio() < floor:
                    continue
                ratio = matcher.ratio()
                if ratio >= floor and (best is None or ratio > best[0]):
                    best = (ratio, cand)
        if best is None:
            return None
        return self._compact[lang][best[1]], round(best[0], 4)


# -- reading --------------------------------------------------------------------------------------
def load_memory(paths: Iterable[str | Path]) -> Memory:
    """Read every memory file (see the module docstring). Raises ModelError with the file
    (and line) for a missing, unreadable or unrecognised file, or one that gives no entries."""
    memory = Memory()
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            raise ModelError(f"translation memory '{raw}' does not exist", where="translate.memory",
                             fix=f"give the path of {FORMATS_HELP} (relative paths are read from the working "
                                 "directory)")
        info = MemoryFile(name=path.name)
        digest = hashlib.sha256()
        for lang, source, target in _read(path, info, digest):
            memory.add(lang, source, target, info)
        info.sha256 = digest.hexdigest()
        if not (info.pairs or info.skipped["duplicate"] or info.skipped["conflicting"]):
            raise ModelError(f"translation memory '{path.name}' has no th->en or vi->en entries "
                             f"(skipped: {dict(info.skipped) or 'nothing read'})", where=str(raw),
                             fix=f"give {FORMATS_HELP}; JSONL rows need a 'th' or 'vi' field and an 'en' field")
        memory.files.append(info)
        log.info("translation memory %s: %s entries, skipped %s", path.name, dict(info.pairs), dict(info.skipped))
    return memory


Pair = tuple[str, str, str]


def _read(path: Path, info: MemoryFile, digest: Any) -> Iterator[Pair]:
    if path.is_dir():
        return _read_dir(path, info, digest)
    suffix = path.suffix.lower()
    if suffix == ".tmx":
        return _read_tmx(path, info, digest)
    if suffix in (".jsonl", ".json"):
        return _read_jsonl(path, info, digest)
    if suffix == ".parquet":
        return _read_parquet(path, info, digest)
    if suffix.lstrip(".") in MEMORY_LANGS:
        return _read_moses(path, info, digest)
    raise ModelError(f"translation memory '{path.name}': unknown format '{suffix or path.name}'", where=str(path),
                     fix=f"give {FORMATS_HELP}")


def _hashed_lines(path: Path, digest: Any) -> Iterator[tuple[int, str]]:
    try:
        with open(path, "rb") as fh:
            for number, raw in enumerate(fh, 1):
                digest.update(raw)
                yield number, raw.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise ModelError(f"translation memory '{path.name}' is not UTF-8 text ({exc.reason})",
                         where=f"{path}:{number}", fix="save the file as UTF-8") from None


def row_pairs(row: dict[str, Any], info: MemoryFile) -> Iterator[Pair]:
    """The (language, source, English) pairs one JSON / Parquet row gives (see the module docstring)."""
    if isinstance(row.get("translation"), dict):
        row = {**row, **row["translation"]}
    if row.get("status") == "rejected":
        info.skipped["rejected"] += 1
        return
    if "en_from_vi" in row or "en_from_th" in row:        # an mt captions row
        fields = (("vi", "en_from_vi"), ("th", "en_from_th"))
    elif "kind" in row:                                    # an mt sentences row: en translates th only
        fields = (("th", TARGET),)
    else:
        fields = tuple((lang, TARGET) for lang in MEMORY_LANGS)
    found = False
    for lang, tgt in fields:
        source, target = row.get(lang), row.get(tgt)
        if isinstance(source, str) and isinstance(target, str) and source.strip() and target.strip():
            found = True
            yield lang, source, target
    if not found:
        info.skipped["no source/English pair"] += 1


def _read_jsonl(path: Path, info: MemoryFile, digest: Any) -> Iterator[Pair]:
    for number, line in _hashed_lines(path, digest):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise ModelError(f"translation memory '{path.name}': line is not JSON ({exc})", where=f"{path}:{number}",
                             fix="one JSON object per line, e.g. {\"th\": \"...\", \"en\": \"...\"}") from None
        if not isinstance(row, dict):
            raise ModelError(f"translation memory '{path.name}': line is not a JSON object", where=f"{path}:{number}",
                             fix="one JSON object per line, e.g. {\"th\": \"...\", \"en\": \"...\"}")
        yield from row_pairs(row, info)


def _read_parquet(path: Path, info: MemoryFile, digest: Any) -> Iterator[Pair]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    try:
        batches = pq.ParquetFile(path).iter_batches()
        for batch in batches:
            for row in batch.to_pylist():
                yield from row_pairs(row, info)
    except (pa.ArrowException, OSError) as exc:
        raise ModelError(f"translation memory '{path.name}' is not a readable Parquet file ({exc})",
                         where=str(path), fix="give a Parquet file written by mt or pyarrow") from None


def _read_moses(path: Path, info: MemoryFile, digest: Any) -> Iterator[Pair]:
    lang = path.suffix.lower().lstrip(".")
    target = path.with_suffix(".en")
    if not target.is_file():
        raise ModelError(f"Moses memory '{path.name}' has no English side '{target.name}' beside it",
                         where=str(path), fix=f"put the English lines in {target.name} (same line count)")
    info.name = f"{path.name}+{target.name}"
    src_lines = [t for _, t in _hashed_lines(path, digest)]
    tgt_lines = [t for _, t in _hashed_lines(target, digest)]
    if len(src_lines) != len(tgt_lines):
        raise ModelError(f"Moses memory: {path.name} has {len(src_lines)} lines, {target.name} {len(tgt_lines)}",
                         where=str(path), fix="the two files of a Moses pair must be line-aligned")
    for source, english in zip(src_lines, tgt_lines):
        yield lang, source, english


def _lang(code: str | None) -> str:
    head = re.split(r"[-_]", (code or "").strip().lower())[0]
    return _LANG_CODES.get(head, head)


def _read_tmx(path: Path, info: MemoryFile, digest: Any) -> Iterator[Pair]:
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    try:
        for _, elem in ET.iterparse(path, events=("end",)):
            if elem.tag != "tu":
                continue
            segs: dict[str, str] = {}
            for tuv in elem.iter("tuv"):
                seg = tuv.find("seg")
                if seg is not None:
                    segs.setdefault(_lang(tuv.get(_XML_LANG) or tuv.get("lang")), "".join(seg.itertext()))
            # a tu of an mt corpus.tmx (it has an x-kind prop): its en translates the th, not the aligned vi
            langs = ("th",) if any(p.get("type") == "x-kind" for p in elem.iter("prop")) else MEMORY_LANGS
            elem.clear()
            pairs = [(lang, segs[lang], segs[TARGET]) for lang in langs if lang in segs and TARGET in segs]
            if not pairs:
                info.skipped["no source/English pair"] += 1
            yield from pairs
    except ET.ParseError as exc:
        line, col = exc.position
        raise ModelError(f"translation memory '{path.name}' is not well-formed TMX/XML ({exc})",
                         where=f"{path}:{line}:{col}", fix="repair the XML (a TMX 1.4 file: <tmx><body><tu><tuv "
                                                           "xml:lang=...><seg>...</seg></tuv>...)") from None


def _read_dir(path: Path, info: MemoryFile, digest: Any) -> Iterator[Pair]:
    """An mt corpus directory or reviewed export: its JSONL files, else its Parquet files."""
    files = [path / n for n in ("corpus.jsonl", "captions.jsonl") if (path / n).is_file()]
    if not files and (path / "data").is_dir():
        files = sorted((path / "data").rglob("*.parquet"))
    if not files:
        raise ModelError(f"translation memory directory '{path.name}' holds no corpus.jsonl, captions.jsonl or "
                         "data/*.parquet", where=str(path), fix="give an mt OUTPUT_DIR or its reviewed/ export")
    info.name = path.name + "/"
    for file in files:
        digest.update(str(file.relative_to(path)).encode() + b"\0")
        yield from (_read_parquet if file.suffix == ".parquet" else _read_jsonl)(file, info, digest)
