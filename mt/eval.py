"""Score a corpus column against references: chrF++ and BLEU (sacrebleu), per document and overall.

``evaluate(OUTPUT_DIR, REF)`` reads ``OUTPUT_DIR/corpus.jsonl`` (one row per line) and references:

* ``by="line"``: a text file with one reference per line, aligned with ``corpus.jsonl`` (as many lines as
  rows; an empty line = no reference for that row);
* ``by="id"``: a JSONL file (``{"id": ..., "<column>" | "ref" | "text": ...}``) or a TSV file
  (``ID<TAB>reference``; a first line ``id<TAB>...`` is a header) keyed by row id; rows without an entry
  are left out (counted).

Rows whose hypothesis (the column) is null are scored as an empty output (counted as ``empty
hypothesis``): a missing translation costs score, as it would in any MT evaluation. Every row left out
is counted with its reason.

Metrics are sacrebleu's: chrF++ (``CHRF(word_order=2)``) and BLEU (default ``13a`` tokenizer), with their
signatures. sacrebleu has no Thai tokenizer and chrF++'s word n-grams split on spaces, which Thai does
not put between words: for the ``th`` column both texts are cut into words with PyThaiNLP's ``newmm``
first (``thai_tokenizer``; ``"none"`` turns it off), BLEU then uses ``tokenize="none"``, and the
signatures say ``+thai:newmm``. chrF's character n-grams ignore spaces, so only its word part changes.
"""
from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError, InputError

log = logging.getLogger(__name__)

CORPUS_FILE = "corpus.jsonl"
BY = ("line", "id")
THAI_TOKENIZERS = ("newmm", "none")
REF_FIELDS = ("ref", "text")


@dataclass
class Scores:
    rows: int
    chrf: float
    bleu: float

    def line(self) -> str:
        return f"chrF++ = {self.chrf:.1f}\tBLEU = {self.bleu:.1f}"


@dataclass
class EvalResult:
    column: str
    by: str
    overall: Scores
    documents: dict[str, Scores]
    signatures: dict[str, str]                      # metric -> sacrebleu signature (+ our tokenisation)
    left_out: Counter = field(default_factory=Counter)    # reason -> rows not scored
    counted: Counter = field(default_factory=Counter)     # remark -> rows scored with it (empty hypothesis)
    note: str = ""

    def report(self) -> list[str]:
        """The lines ``mt eval`` prints: signatures, one line per document, then the overall scores."""
        out = [f"# column {self.column}, references by {self.by}" + (f"; {self.note}" if self.note else "")]
        out += [f"# {name} signature: {sig}" for name, sig in self.signatures.items()]
        out += [f"{doc}\trows {s.rows}\t{s.line()}" for doc, s in self.documents.items()]
        extra = [f"{n} {reason}" for reason, n in sorted(self.left_out.items())]
        extra += [f"{n} with {remark}" for remark, n in sorted(self.counted.items())]
        out.append(f"# overall: {self.overall.rows} rows scored" + (f" ({'; '.join(extra)})" if extra else ""))
        out += [f"chrF++ = {self.overall.chrf:.1f}", f"BLEU = {self.overall.bleu:.1f}"]
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"column": self.column, "by": self.by, "signatures": self.signatures, "note": self.note,
                "overall": vars(self.overall), "documents": {d: vars(s) for d, s in self.documents.items()},
                "left_out": dict(self.left_out), "counted": dict(self.counted)}


def read_corpus(output_dir: str | Path) -> list[dict[str, Any]]:
    from .review.corpus import read_jsonl

    path = Path(output_dir) / CORPUS_FILE
    if not path.is_file():
        raise InputError(f"no {CORPUS_FILE} in {output_dir}", where=str(output_dir),
                         fix="give an mt OUTPUT_DIR (or its reviewed/ export) written with the jsonl format")
    return list(read_jsonl(path))


def _text_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError("reference file not found", where=str(path), fix="pass an existing file to --ref") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"reference file is not UTF-8 ({exc.reason})", where=str(path),
                         fix="save the references as UTF-8") from None


def _refs_by_id(path: Path, column: str) -> dict[str, str]:
    from .review.corpus import read_jsonl

    lines = _text_lines(path)
    refs: dict[str, str] = {}
    if path.suffix.lower() in (".jsonl", ".json"):
        for number, obj in enumerate(read_jsonl(path), 1):
            text = next((obj[k] for k in (column, *REF_FIELDS) if k in obj), None)
            if "id" not in obj or not isinstance(text, str):
                raise InputError(f"a reference line needs an 'id' and a '{column}', 'ref' or 'text' string",
                                 where=f"{path}: object {number}", fix='one object per line: {"id": ROW_ID, "ref": TEXT}')
            refs[str(obj["id"])] = text
        return refs
    if path.suffix.lower() != ".tsv":
        raise ConfigError(f"references by id must be a .jsonl or .tsv file, not '{path.name}'", where="--ref",
                          fix="use --by line for a plain text file aligned with corpus.jsonl")
    for number, line in enumerate(lines, 1):
        if not line.strip() or (number == 1 and line.split("\t")[0].strip().lower() == "id"):
            continue
        if "\t" not in line:
            raise InputError("a TSV reference line needs ID<TAB>reference", where=f"{path}:{number}",
                             fix="separate the row id and the reference with a tab")
        key, text = line.split("\t", 1)
        refs[key.strip()] = text
    return refs


def pair_rows(rows: list[dict[str, Any]], ref: Path, column: str, by: str) -> tuple[list[tuple[str, str, str]], Counter]:
    """(doc_id, hypothesis, reference) for every row that has a reference, and the rows left out by reason."""
    left_out: Counter = Counter()
    if by == "line":
        refs = _text_lines(ref)
        if len(refs) != len(rows):
            raise InputError(f"{len(refs)} reference lines for {len(rows)} corpus rows", where=str(ref),
                             fix="give one line per corpus.jsonl row (empty line: no reference), or references "
                                 "keyed by row id with --by id")
        found: list[str | None] = [r if r.strip() else None for r in refs]
        if None in found:
            left_out["empty reference"] = found.count(None)
    else:
        table = _refs_by_id(ref, column)
        found = [table.get(str(r.get("id"))) for r in rows]
        if None in found:
            left_out["without reference"] = found.count(None)
        unknown = len(set(table) - {str(r.get("id")) for r in rows})
        if unknown:
            log.warning("%d reference ids are not corpus rows (ignored)", unknown)
    triples = [(str(row.get("doc_id")), row.get(column) or "", text)
               for row, text in zip(rows, found) if text is not None]
    return triples, left_out


def _thai_words(texts: list[str], engine: str) -> list[str]:
    from pythainlp.tokenize import word_tokenize

    return [" ".join(w for w in word_tokenize(t, engine=engine, keep_whitespace=False) if w.strip()) for t in texts]


def evaluate(output_dir: str | Path, ref: str | Path, column: str = "en", by: str = "line",
             thai_tokenizer: str = "newmm") -> EvalResult:
    """chrF++ and BLEU of ``column`` of ``OUTPUT_DIR/corpus.jsonl`` against ``ref`` (see the module docstring).

    Raises InputError (no corpus, reference file missing / malformed / of the wrong length) and
    ConfigError (unknown column, ``by`` or tokenizer; no row with a reference).
    """
    from sacrebleu.metrics import BLEU, CHRF

    if by not in BY:
        raise ConfigError(f"unknown --by '{by}'", where="--by", fix=f"use one of: {', '.join(BY)}")
    if thai_tokenizer not in THAI_TOKENIZERS:
        raise ConfigError(f"unknown Thai tokenizer '{thai_tokenizer}'", where="--thai-tokenizer",
                          fix=f"use one of: {', '.join(THAI_TOKENIZERS)}")
    rows = read_corpus(output_dir)
    if rows and column not in rows[0]:
        raise ConfigError(f"corpus rows have no column '{column}'", where="--column",
                          fix=f"use one of: {', '.join(k for k, v in rows[0].items() if isinstance(v, str) or v is None)}")
    triples, left_out = pair_rows(rows, Path(ref), column, by)
    if not triples:
        raise ConfigError("no corpus row has a reference", where=str(ref),
                          fix="check that the references match the corpus (row ids with --by id)")
    thai = column == "th" and thai_tokenizer != "none"
    docs = [d for d, _, _ in triples]
    hyps, refs = [h for _, h, _ in triples], [r for _, _, r in triples]
    if thai:
        hyps, refs = _thai_words(hyps, thai_tokenizer), _thai_words(refs, thai_tokenizer)
    chrf, bleu = CHRF(word_order=2), BLEU(tokenize="none" if thai else "13a")

    def scores(idx: list[int]) -> Scores:
        h, r = [hyps[i] for i in idx], [[refs[i] for i in idx]]
        return Scores(rows=len(idx), chrf=round(chrf.corpus_score(h, r).score, 4),
                      bleu=round(bleu.corpus_score(h, r).score, 4))

    by_doc: dict[str, list[int]] = {}
    for i, d in enumerate(docs):
        by_doc.setdefault(d, []).append(i)
    documents = {d: scores(idx) for d, idx in by_doc.items()}
    overall = scores(list(range(len(triples))))
    suffix = f"+thai:{thai_tokenizer}" if thai else ""
    signatures = {"chrF++": str(chrf.get_signature()) + suffix, "BLEU": str(bleu.get_signature()) + suffix}
    empty = sum(1 for _, h, _ in triples if not h.strip())
    note = (f"Thai words cut with pythainlp {thai_tokenizer} before scoring (sacrebleu has no Thai tokenizer)"
            if thai else "")
    return EvalResult(column=column, by=by, overall=overall, documents=documents, signatures=signatures,
                      left_out=left_out, counted=Counter({"empty hypothesis": empty} if empty else {}), note=note)
