"""The ``mt`` command: parses arguments into a config and calls the library.

Exit codes: 0 success; 1 unexpected internal error; 2 configuration error (bad
config key/value, unknown engine, missing extra); 3 input problems (the batch
finished, but some files or lines could not be read -- see problems.jsonl);
4 model error (model missing or failing); 5 output error; 130 interrupted.
"""
from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from ._version import __version__
from .errors import MtError, OutputError

log = logging.getLogger("mt")


def _setup_logging(quiet: bool, verbose: bool, log_file: str | None = None) -> None:
    level = logging.WARNING if quiet else (logging.DEBUG if verbose else logging.INFO)
    if not verbose:  # no third-party progress bars (transformers' "Loading weights", hub downloads)
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        try:
            file_handler = logging.FileHandler(log_file, encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"cannot open the log file: {exc.strerror}", where=log_file,
                              fix="give --log-file a writable path") from None
        file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        file_handler.setLevel(logging.DEBUG if verbose else logging.INFO)   # the file keeps INFO even with -q
        handlers.append(file_handler)
    handlers[0].setLevel(level)
    handlers[0].setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_mt", False)]:   # ours from an earlier main() call
        root.removeHandler(old)
        old.close()
    for handler in handlers:
        handler._mt = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(min(h.level for h in handlers) if log_file else level)
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
        "executor.progress_seconds": args.progress_every,
        "quiet": True if args.quiet else None,
    }


def cmd_run(args: argparse.Namespace) -> int:
    from .config import load_config
    from .pipeline import run_pipeline

    from .summary import format_summary, run_warnings

    config = load_config(args.config, _overrides(args))
    if args.dry_run:
        from .pipeline import plan_run

        sys.stdout.write(_format_plan(plan_run(config)))
        return 0
    result = run_pipeline(config)
    c = result.counts
    if not args.quiet and not result.up_to_date:
        sys.stderr.write(format_summary(result.manifest) + "\n")
    log.info("corpus: %s (%d sentence rows, %d caption rows)", result.output_dir, c["rows_sentences"],
             c["rows_captions"])
    for warning in run_warnings(result.manifest):
        log.warning("%s", warning)
    if result.exit_code:
        log.error("%d input problem(s); see %s", c["input_problems"], result.output_dir / "problems.jsonl")
    return result.exit_code


def _format_plan(plan: dict[str, Any]) -> str:
    """The dry-run plan as indented ``key: value`` lines."""
    out = ["mt run --dry-run: nothing was written or loaded"]

    def emit(key: str, value: Any, indent: int) -> None:
        pad = "  " * indent
        if isinstance(value, dict):
            out.append(f"{pad}{key}:")
            for k, v in value.items():
                emit(k, v, indent + 1)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            out.append(f"{pad}{key}:")
            out.extend(f"{pad}  - " + ", ".join(f"{k}: {v}" for k, v in item.items()) for item in value)
        else:
            out.append(f"{pad}{key}: {', '.join(map(str, value)) if isinstance(value, list) else value}")

    for key, value in plan.items():
        emit(key, value, 1)
    return "\n".join(out) + "\n"


def cmd_segment(args: argparse.Namespace) -> int:
    from .segment import get_segmenter, segment_paragraphs
    from .segment.config import SegmentConfig

    config = SegmentConfig(**({"engine": args.engine} if args.engine else {}))
    segmenter = get_segmenter(config.engine, config)
    out = sys.stdout
    for sentences in segment_paragraphs(_input_lines(args.files), segmenter):
        for s in sentences:
            out.write(s + "\n")
        out.write("\n")
    return 0


def _input_lines(files: list[str]) -> Any:
    """Lines of the given files (``-`` or none: stdin), without their line ends."""
    from .errors import InputError

    if not files:
        yield from (line.rstrip("\n") for line in sys.stdin)
        return
    for name in files:
        if name == "-":
            yield from (line.rstrip("\n") for line in sys.stdin)
            continue
        try:
            with open(name, encoding="utf-8") as fh:
                yield from (line.rstrip("\n") for line in fh)
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read: {getattr(exc, 'strerror', None) or exc}", where=name,
                             fix="pass a readable UTF-8 text file, one paragraph per line") from None


def _default(section: str, key: str) -> Any:
    """The default of a config key, from the config classes (one source of defaults)."""
    from .config import RunConfig

    return getattr(getattr(RunConfig(), section), key)


def _engine_names() -> list[str]:
    from .translate.engines import ENGINES

    return ENGINES.names()


def _executor_names() -> list[str]:
    from .executors import EXECUTORS

    return EXECUTORS.names()


def _segmenter_names() -> list[str]:
    from .segment import SEGMENTERS

    return SEGMENTERS.names()


def cmd_align(args: argparse.Namespace) -> int:
    from .pipeline import align_files
    from .config import load_config

    config = load_config(args.config, {"segment.engine": args.segmenter})
    shown = _as_given(args.files)
    for record in align_files(args.files, config):
        record["file"] = shown(record["file"])
        if args.jsonl:
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            th = f" -> {record['th_line']}" if record.get("th_line") else ""
            sys.stdout.write(f"{record['file']}:{record['line']}\t{record['relation']}{th}\t{record['score']:.2f}"
                             f"\t{record.get('reason') or '-'}\t{record['vi']}\n")
    return 0


def _as_given(paths: list[str]) -> Any:
    """Map a document's name (relative to its input root) back to the path the user typed."""
    files = {Path(p).name: p for p in paths if Path(p).is_file()}
    folders = [p for p in paths if Path(p).is_dir()]

    def shown(name: str) -> str:
        if name in files:
            return files[name]
        return os.path.join(folders[0], name) if len(folders) == 1 else name

    return shown


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


def cmd_eval(args: argparse.Namespace) -> int:
    from .eval import evaluate

    result = evaluate(args.output_dir, args.ref, column=args.column, by=args.by, thai_tokenizer=args.thai_tokenizer)
    if args.json:
        sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
    else:
        sys.stdout.write("\n".join(result.report()) + "\n")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from .write.export import export_corpus

    for name in export_corpus(Path(args.output_dir), args.format):
        log.info("wrote %s", Path(args.output_dir) / name)
    return 0


def cmd_presets(args: argparse.Namespace) -> int:
    from .translate.presets import PRESETS

    default = _default("translate", "preset")
    for name in sorted(PRESETS):
        p = PRESETS[name]
        models = ", ".join(f"{lang}: {m}" if lang != "*" else m for lang, m in p.models.items())
        codes = ", ".join(f"{k}={v}" for k, v in p.src_codes.items())
        extra = "; ".join(x for x in (f"src codes {codes}" if codes else "", f"target {p.tgt_code}" if p.tgt_code else "",
                                      f"prefix {p.prefix.strip()!r}" if p.prefix else "", p.note) if x)
        mark = "*" if name == default else " "
        sys.stdout.write(f"{mark} {name:26} {p.family:8} {models}" + (f"  ({extra})" if extra else "") + "\n")
    sys.stdout.write("(* = default)\n")
    return 0


def _add_eval_parser(sub: Any) -> None:
    """``mt eval OUTPUT_DIR --ref FILE [--column en] [--by line|id]``."""
    from .eval import BY, THAI_TOKENIZERS

    ev = sub.add_parser("eval", help="chrF++ and BLEU (sacrebleu) of a corpus column against references",
                        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ev.add_argument("output_dir", help="corpus directory (its corpus.jsonl is scored)")
    ev.add_argument("--ref", required=True,
                    help="references: a text file aligned by line with corpus.jsonl (--by line), or JSONL/TSV keyed by row id (--by id)")
    ev.add_argument("--column", default="en", help="corpus column to score (en, th, vi, ...)")
    ev.add_argument("--by", choices=BY, default="line", help="how references match corpus rows")
    ev.add_argument("--thai-tokenizer", choices=THAI_TOKENIZERS, default="newmm",
                    help="column th: cut Thai words with PyThaiNLP before scoring (sacrebleu has no Thai tokenizer)")
    ev.add_argument("--json", action="store_true", help="print the scores as one JSON object")
    ev.set_defaults(func=cmd_eval)


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
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="debug logging (per-batch timings, cache hits, retries) and third-party progress bars")
    common.add_argument("--log-file", default=argparse.SUPPRESS, metavar="PATH",
                        help="also write the log (INFO and up, DEBUG with -v) to PATH")
    parser = argparse.ArgumentParser(prog="mt", parents=[common],
                                     description="Scraped Thai news pages -> Thai/English/Vietnamese parallel corpus.")
    parser.add_argument("--version", action="version", version=f"mt {__version__}")
    sub = _with_common(parser.add_subparsers(dest="command", required=True), common)
    _add_run_parser(sub)
    _add_segment_and_align_parsers(sub)
    _add_review_parser(sub, common)
    _add_eval_parser(sub)
    _add_publish_parser(sub)
    ex = sub.add_parser("export", help="write JSONL, TMX or Moses files of a corpus from its Parquet files "
                                       "(for runs that wrote only Parquet)")
    ex.add_argument("output_dir", metavar="OUTPUT_DIR", help="the corpus directory of an `mt run`")
    ex.add_argument("--format", action="append", required=True, choices=["jsonl", "tmx", "moses"],
                    help="a format to write (repeat for several)")
    ex.set_defaults(func=cmd_export)

    pr = sub.add_parser("presets", help="list translation presets (* marks the default)")
    pr.set_defaults(func=cmd_presets)
    return parser


def _with_common(sub: Any, common: argparse.ArgumentParser) -> Any:
    """Subcommands that take -q / -v / --log-file as well (after their name)."""
    add = sub.add_parser

    def add_parser(name: str, **kw: Any) -> argparse.ArgumentParser:
        return add(name, parents=[common], **kw)

    sub.add_parser = add_parser
    return sub


def _add_run_parser(sub: Any) -> None:
    run = sub.add_parser("run", help="run the batch pipeline (parse, segment, translate, align, write)")
    run.add_argument("inputs", nargs="*", help="input files or folders (default: [input].paths of the config)")
    run.add_argument("-c", "--config", help="TOML run config (default: built-in defaults = configs/default.toml)")
    run.add_argument("-o", "--output", help="output directory: new, empty or a previous mt corpus "
                                            "(default: [output].dir, outputs/seeds)")
    run.add_argument("--preset", help=f"translation preset (default: {_default('translate', 'preset')}; "
                                      "list: mt presets)")
    run.add_argument("--model", help="model id or local path (overrides the preset's model)")
    run.add_argument("--model-vi", help="model for Vietnamese sources (one-model-per-pair presets such as opus-mt)")
    run.add_argument("--revision", help="model revision: commit, tag or branch (default: the hub's main)")
    run.add_argument("--engine", choices=_engine_names(),
                     help=f"translation engine (default: {_default('translate', 'engine')})")
    run.add_argument("--device", help=f"auto, cpu, cuda, cuda:N (default: {_default('translate', 'device')})")
    run.add_argument("--compute-type", help="int8, float16, int8_float16, float32, bfloat16, auto "
                                            f"(default: {_default('translate', 'compute_type')})")
    run.add_argument("--segmenter", help=f"segmenter engine (default: {_default('segment', 'engine')}; "
                                         f"one of {', '.join(_segmenter_names())})")
    run.add_argument("--executor", choices=_executor_names(), help="where the steps run (default: local)")
    run.add_argument("--ray-address", help="Ray cluster address, auto or HOST:PORT (default: start a local Ray)")
    run.add_argument("--no-review", action="store_true", help="do not write review.html")
    run.add_argument("--force", action="store_true",
                     help="run even if OUTPUT_DIR already holds the corpus of the same inputs and config")
    run.add_argument("--dry-run", action="store_true",
                     help="print the plan (config, inputs, output directory, models) and touch nothing")
    run.add_argument("--progress-every", type=float, metavar="SECONDS",
                     help="when stderr is not a terminal, log progress this often (default: 30; 0: never)")
    run.set_defaults(func=cmd_run)



def _add_segment_and_align_parsers(sub: Any) -> None:
    seg = sub.add_parser("segment", help="segment Thai paragraphs (one per line) into sentences, a blank line after "
                                         "each paragraph")
    seg.add_argument("files", nargs="*", help="text files, one paragraph per line (default or -: stdin)")
    seg.add_argument("--engine", help=f"segmenter (default: {_default('segment', 'engine')}; "
                                      f"one of {', '.join(_segmenter_names())})")
    seg.set_defaults(func=cmd_segment)

    al = sub.add_parser("align", help="classify and align the Vietnamese lines of pages (no MT needed)")
    al.add_argument("files", nargs="+", help=".txt, .md or .html pages, or folders of them")
    al.add_argument("--jsonl", action="store_true",
                    help="one JSON object per Vietnamese line (default: tab-separated file:line, relation, score, "
                         "reason, text)")
    al.add_argument("-c", "--config", help="TOML run config ([align] section is used; default: built-in)")
    al.add_argument("--segmenter", help=argparse.SUPPRESS)
    al.set_defaults(func=cmd_align)


def _add_review_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    rv = sub.add_parser("review", help="side-by-side review of a corpus directory")
    rsub = _with_common(rv.add_subparsers(dest="review_cmd", required=True), common)
    b = rsub.add_parser("build", help="write OUTPUT_DIR/review.html")
    b.add_argument("output_dir", help="a corpus directory written by mt run")
    s = rsub.add_parser("serve", help="local review server (edits persist in OUTPUT_DIR/review.sqlite)")
    s.add_argument("output_dir", help="a corpus directory written by mt run")
    s.add_argument("--port", type=int, default=8765, help="TCP port (default: 8765)")
    s.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)")
    s.add_argument("--allow-remote", action="store_true", help="allow binding to a non-loopback address")
    e = rsub.add_parser("export", help="write the reviewed corpus (dataset, JSONL, TMX)")
    e.add_argument("output_dir", help="a corpus directory written by mt run")
    e.add_argument("--to", help="target directory (default: OUTPUT_DIR/reviewed)")
    rv.set_defaults(func=cmd_review)
    _add_export_filter_options(e)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that a run cleans up exactly as on Ctrl-C."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
    parser = build_parser()
    args = parser.parse_args(argv)
    args.quiet = getattr(args, "quiet", False)
    args.verbose = getattr(args, "verbose", False)
    in_main = threading.current_thread() is threading.main_thread()   # signal handlers: main thread only
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if in_main else None
    try:
        _setup_logging(args.quiet, args.verbose, getattr(args, "log_file", None))
        return int(args.func(args) or 0)
    except MtError as exc:
        sys.stderr.write(f"mt: error: {exc}\n")
        return exc.exit_code
    except Terminated:
        sys.stderr.write("mt: terminated (SIGTERM); unfinished output removed\n")
        return 143
    except KeyboardInterrupt:
        sys.stderr.write("mt: interrupted\n")
        return 130
    except BrokenPipeError:  # e.g. `mt align ... | head`: the reader went away, not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        sys.stderr.write(f"mt: error: {exc.filename or ''}: no space left on device -- fix: free space there "
                         "or choose another directory\n")
        return OutputError.exit_code
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
