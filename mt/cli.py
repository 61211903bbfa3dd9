"""The ``mt`` command: parses arguments into a config and calls the library.

Exit codes: 0 success; 1 unexpected internal error; 2 configuration error (bad
config key/value, unknown engine, missing extra); 3 input problems (the batch
finished, but some files or lines could not be read -- see problems.jsonl);
4 model error (model missing or failing); 5 output error; 130 interrupted.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from . import __version__
from .errors import MtError

log = logging.getLogger("mt")


def _setup_logging(quiet: bool, verbose: bool) -> None:
    level = logging.WARNING if quiet else (logging.DEBUG if verbose else logging.INFO)
    if quiet:  # no third-party progress bars either (e.g. transformers' "Loading weights")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for noisy in ("urllib3", "filelock", "httpx", "datasets", "fsspec"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "input.paths": args.inputs or None,
        "output.dir": args.output,
        "translate.preset": args.preset,
        "translate.model": args.model,
        "translate.model_vi": args.model_vi,
        "translate.revision": args.revision,
        "translate.engine": args.engine,
        "translate.device": args.device,
        "translate.compute_type": args.compute_type,
        "segment.engine": args.segmenter,
        "executor.kind": args.executor,
        "executor.ray_address": args.ray_address,
        "review.build": False if args.no_review else None,
        "output.force": True if args.force else None,
        "quiet": True if args.quiet else None,
    }


def cmd_run(args: argparse.Namespace) -> int:
    from .config import load_config
    from .pipeline import run_pipeline

    config = load_config(args.config, _overrides(args))
    result = run_pipeline(config)
    c = result.counts
    log.info("docs %d, lines in %d = %d in corpus + %d set aside; %d sentence rows, %d caption rows -> %s",
             c["docs"], c["lines_in"], c["lines_in_corpus"], c["lines_set_aside"], c["rows_sentences"],
             c["rows_captions"], result.output_dir)
    if result.exit_code:
        log.error("%d input problem(s); see %s", c["input_problems"], result.output_dir / "problems.jsonl")
    return result.exit_code


def cmd_segment(args: argparse.Namespace) -> int:
    from .segment import get_segmenter, segment_paragraphs

    segmenter = get_segmenter(args.engine) if args.engine else get_segmenter(_default_segmenter())
    out = sys.stdout
    for sentences in segment_paragraphs((line.rstrip("\n") for line in sys.stdin), segmenter):
        for s in sentences:
            out.write(s + "\n")
        out.write("\n")
    return 0


def _default_segmenter() -> str:
    from .segment.config import SegmentConfig

    return SegmentConfig().engine


def cmd_align(args: argparse.Namespace) -> int:
    from .align.api import align_files
    from .config import load_config

    config = load_config(args.config, {"segment.engine": args.segmenter})
    for record in align_files(args.files, config):
        if args.jsonl:
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            th = f" -> {record['th_line']}" if record.get("th_line") else ""
            sys.stdout.write(f"{record['file']}:{record['line']}\t{record['relation']}{th}\t{record['score']:.2f}\t{record['vi']}\n")
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from . import review

    out = Path(args.output_dir)
    if args.review_cmd == "build":
        log.info("wrote %s", review.build_report(out))
    elif args.review_cmd == "serve":
        review.serve(out, host=args.host, port=args.port, allow_remote=args.allow_remote)
    elif args.review_cmd == "export":
        log.info("wrote %s", review.export(out, to=Path(args.to) if args.to else None, filters=_export_filters(args)))
    return 0


def _export_filters(args: argparse.Namespace) -> Any:
    from .review.filters import ExportFilters

    return ExportFilters.parse(drop_rejected=args.drop_rejected, min_scores=args.min_score or (),
                               drop_flags=args.drop_flag or ())


def cmd_publish(args: argparse.Namespace) -> int:
    from .publish import publish

    result = publish(Path(args.output_dir), args.repo_id, private=args.private, message=args.message,
                     dry_run=args.dry_run)
    if args.dry_run:
        sys.stdout.write("".join(f"{name}\n" for name in result.files))
        log.info("dry run: %d files would be uploaded to %s (nothing uploaded)", len(result.files), args.repo_id)
    return 0


def cmd_presets(args: argparse.Namespace) -> int:
    from .translate.presets import PRESETS

    for name in sorted(PRESETS):
        p = PRESETS[name]
        models = ", ".join(f"{lang}: {m}" if lang != "*" else m for lang, m in p.models.items())
        codes = ", ".join(f"{k}={v}" for k, v in p.src_codes.items())
        extra = "; ".join(x for x in (f"src codes {codes}" if codes else "", f"target {p.tgt_code}" if p.tgt_code else "",
                                      f"prefix {p.prefix.strip()!r}" if p.prefix else "", p.note) if x)
        sys.stdout.write(f"{name:26} {p.family:8} {models}" + (f"  ({extra})" if extra else "") + "\n")
    return 0


def _add_export_filter_options(e: argparse.ArgumentParser) -> None:
    e.add_argument("--drop-rejected", action="store_true", help="leave out the rows a reviewer rejected")
    e.add_argument("--min-score", action="append", metavar="NAME=VALUE",
                   help="leave out rows whose score NAME (align, similarity, length_ratio, guard, chrf) is below "
                        "VALUE, e.g. align=0.6; rows without that score are kept; repeatable")
    e.add_argument("--drop-flag", action="append", metavar="FLAG",
                   help="leave out rows with this review flag (e.g. degenerate, untranslated) or pipeline flag; "
                        "repeatable")


def _add_publish_parser(sub: Any) -> None:
    pb = sub.add_parser("publish", help="upload the dataset files of a corpus directory to a Hugging Face dataset repo",
                        description="Uploads README.md, data/*/*.parquet, the JSONL, TMX and Moses files, manifest "
                                    "and accounting files -- never review.sqlite or review.html. Local paths in the "
                                    "manifest, card and TMX header are replaced by their names. Token: HF_TOKEN or "
                                    "`hf auth login`.")
    pb.add_argument("output_dir", help="OUTPUT_DIR of `mt run` (or a `mt review export` directory)")
    pb.add_argument("repo_id", help="dataset repository, OWNER/NAME (created if it does not exist)")
    pb.add_argument("--private", action="store_true", help="create the repository as private")
    pb.add_argument("--message", help="commit message (default: names the directory and the file count)")
    pb.add_argument("--dry-run", action="store_true", help="list the files that would be uploaded; upload nothing")
    pb.set_defaults(func=cmd_publish)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                        help="warnings and errors only, no progress bar")
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="debug logging")
    parser = argparse.ArgumentParser(prog="mt", parents=[common],
                                     description="Scraped Thai news pages -> Thai/English/Vietnamese parallel corpus.")
    parser.add_argument("--version", action="version", version=f"mt {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _add = sub.add_parser

    def add_parser(name: str, **kw: Any) -> argparse.ArgumentParser:
        return _add(name, parents=[common], **kw)

    sub.add_parser = add_parser  # type: ignore[method-assign]

    run = sub.add_parser("run", help="run the batch pipeline (parse, segment, translate, align, write)")
    run.add_argument("inputs", nargs="*", help="input files or folders (default: [input].paths of the config)")
    run.add_argument("-c", "--config", help="TOML run config (default: built-in defaults)")
    run.add_argument("-o", "--output", help="output directory (default: [output].dir)")
    run.add_argument("--preset", help="translation preset, e.g. nllb-200-distilled-600M, opus-mt, m2m100_418M, madlad400-3b-mt, tiny")
    run.add_argument("--model", help="model id or local path (overrides the preset's model)")
    run.add_argument("--model-vi", help="model for Vietnamese sources (one-model-per-pair presets)")
    run.add_argument("--revision", help="model revision (commit, tag or branch)")
    run.add_argument("--engine", choices=["transformers", "ctranslate2"])
    run.add_argument("--device", help="auto, cpu, cuda, cuda:N")
    run.add_argument("--compute-type", help="int8, float16, int8_float16, float32, bfloat16, auto")
    run.add_argument("--segmenter", help="segmenter engine name")
    run.add_argument("--executor", choices=["local", "ray"])
    run.add_argument("--ray-address", help="Ray cluster address (default: start a local Ray)")
    run.add_argument("--no-review", action="store_true", help="do not write review.html")
    run.add_argument("--force", action="store_true",
                     help="run even if OUTPUT_DIR already holds the corpus of the same inputs and config")
    run.set_defaults(func=cmd_run)

    seg = sub.add_parser("segment", help="segment Thai paragraphs from stdin (one per line) into sentences")
    seg.add_argument("--engine", help="segmenter name (unknown names list the valid ones)")
    seg.set_defaults(func=cmd_segment)

    al = sub.add_parser("align", help="classify and align the Vietnamese lines of pages (no MT needed)")
    al.add_argument("files", nargs="+", help=".txt, .md or .html pages")
    al.add_argument("--jsonl", action="store_true", help="one JSON object per Vietnamese line")
    al.add_argument("-c", "--config", help="TOML run config ([align] section is used)")
    al.add_argument("--segmenter", help=argparse.SUPPRESS)
    al.set_defaults(func=cmd_align)

    rv = sub.add_parser("review", help="side-by-side review of a corpus directory")
    rsub = rv.add_subparsers(dest="review_cmd", required=True)
    b = rsub.add_parser("build", help="write OUTPUT_DIR/review.html")
    b.add_argument("output_dir")
    s = rsub.add_parser("serve", help="local review server (edits persist in OUTPUT_DIR/review.sqlite)")
    s.add_argument("output_dir")
    s.add_argument("--port", type=int, default=8765)
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--allow-remote", action="store_true", help="allow binding to a non-loopback address")
    e = rsub.add_parser("export", help="write the reviewed corpus (dataset, JSONL, TMX)")
    e.add_argument("output_dir")
    e.add_argument("--to", help="target directory (default OUTPUT_DIR/reviewed)")
    rv.set_defaults(func=cmd_review)
    _add_export_filter_options(e)

    _add_publish_parser(sub)
    pr = sub.add_parser("presets", help="list translation presets")
    pr.set_defaults(func=cmd_presets)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
    parser = build_parser()
    args = parser.parse_args(argv)
    args.quiet = getattr(args, "quiet", False)
    args.verbose = getattr(args, "verbose", False)
    _setup_logging(args.quiet, args.verbose)
    try:
        return int(args.func(args) or 0)
    except MtError as exc:
        sys.stderr.write(f"mt: error: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("mt: interrupted\n")
        return 130
    except BrokenPipeError:  # e.g. `mt align ... | head`: the reader went away, not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
