"""The ``rightsmap`` command. Heavy libraries are imported inside each command, so --help is instant."""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .embed import DEFAULT_EMBEDDER, DEFAULT_WHOLE_TEXT, RETRIEVAL_EMBEDDER
from .errors import RightsmapError

if TYPE_CHECKING:
    from .batch import BatchSummary
    from .tagger import Tagger
    from .types import TagResult

EPILOG = """examples:
  rightsmap tag "The landlord shut off our heat in January and threatened to evict us."
  rightsmap tag --json --top-k 5 --min-confidence 0 "Police took my phone at the protest."
  rightsmap tag-csv examples/testimonies.csv --text-column text -o tagged.csv
  rightsmap compile tagged.csv --group-by city -o report.html
  rightsmap articles --instrument ICESCR
  rightsmap upr import recommendations.jsonl
  rightsmap upr search "police killed my son" --state "United States of America" --response Supported

Every tag is a draft for human review, never legal advice."""

SUGGESTION_COLUMNS = ("input_line", "expected_errors", "candidates")  # what suggest-labels adds
EMBEDDER_HELP = (
    "sentence embedder: use, minilm, mpnet, st:/path/to/model, or parts joined by '+' "
    f"(default: {DEFAULT_EMBEDDER})"
)


def _whole_text_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--whole-text",
        type=_embedder_list,
        default=DEFAULT_WHOLE_TEXT,
        metavar="LIST",
        help="embedders that also read each whole text, comma-separated, or 'none'; English-only ones "
        "(minilm, mpnet) read English texts only; words: the framing guide's facet words; tfidf: "
        f"words and word pairs, fitted on the training texts (default: {','.join(DEFAULT_WHOLE_TEXT)})",
    )


def _embedder_list(value: str) -> tuple[str, ...]:
    names = tuple(v.strip() for v in value.split(",") if v.strip())
    return () if names == ("none",) else names


def _shorten(text: str, width: int) -> str:
    return textwrap.shorten(" ".join(text.split()), width=width, placeholder="…")


def _print_result(result: TagResult, index: int | None = None) -> None:
    """Print one result: tags, or the articles withheld from an untagged text; then the rest."""
    from .batch import withheld_note
    from .tagger import WITHHELD_SHOWN

    head = f"Testimony {index}: " if index is not None else ""
    print(f"{head}“{_shorten(result.text, 90)}”")
    for w in result.warnings:
        print(f"  ! {w}")
    if not result.tags:
        print("  no right engaged above the decision thresholds")
        if result.withheld:
            hint = f"({withheld_note(result)}; rerun with --min-confidence {WITHHELD_SHOWN} to tag them)"
            _print_wrapped("", hint, indent=2)
    for t in result.tags:
        print(f"  {t.confidence:5.2f}  {t.article:<10} {t.title}")
        if t.evidence:
            print(f"         evidence: “{_shorten(t.evidence[0].text, 80)}”")
    if result.recommendations:
        print("  past UPR recommendations:")
    for r in result.recommendations:
        print(f"  {r.score:5.2f}  {r.id} [{r.response}] from {', '.join(r.recommending_states)}")
        print(f"         “{_shorten(r.text, 80)}”")
    if result.suggestions:
        print("  framing and claiming (a draft for review, not legal advice):")
    for s in result.suggestions:
        print(f"  {s.confidence:5.2f}  {', '.join(s.articles)}")
        _print_wrapped("frame: ", s.frame)
        for claim in s.claims:
            _print_wrapped("claim: ", claim)
        _print_wrapped("take it to: ", "; ".join(s.mechanisms))
        if s.recommendations:
            _print_wrapped("cite: ", ", ".join(r.id for r in s.recommendations))
    print()


def _print_wrapped(label: str, text: str, indent: int = 9) -> None:
    lines = textwrap.wrap(text, width=100 - indent - len(label)) or [""]
    print(" " * indent + label + lines[0])
    for line in lines[1:]:
        print(" " * (indent + len(label)) + line)


def cmd_tag(args: argparse.Namespace) -> int:
    from .batch import FORMATS
    from .tagger import load

    texts = args.text if args.text and args.text != ["-"] else [sys.stdin.read()]
    for text in texts:
        if "\n" not in text and Path(text).suffix.lower() in FORMATS and os.path.isfile(text):
            print(
                f"note: {text} is a file: tag its testimonies with `rightsmap tag-csv {text}`",
                file=sys.stderr,
            )
    tagger = load(args.model)
    if args.index:
        tagger = tagger.use_index(args.index)
    results = tagger.tag(
        texts,
        args.top_k,
        args.min_confidence,
        args.recommendations,
        suggest=not args.no_suggestions,
        upr_ranking="combined" if args.with_tags else "cosine",
    )
    if args.json:
        print(json.dumps([r.to_dict() for r in results], ensure_ascii=False, indent=2))
        return 0
    for i, r in enumerate(results):
        _print_result(r, i + 1 if len(results) > 1 else None)
    return 0


def cmd_compile(args: argparse.Namespace) -> int:
    from .report import compile_report

    done = compile_report(
        args.input,
        args.output,
        args.text_column,
        group_by=args.group_by,
        model=args.model,
        index=args.index,
        redact_quotes=not args.no_redact,
        title=args.title,
    )
    print(
        f"{done.testimonies} testimonies, {done.rights} rights engaged, "
        f"{done.champions} recommendations to champion"
    )
    for note in done.notes[:10]:
        print(f"  ! {note}")
    print(
        f"wrote {done.html} and {done.markdown} (charts: {', '.join(p.name for p in done.charts) or 'none'})"
    )
    print("Every frame, claim and recommendation is a draft for human review, not legal advice.")
    return 0


def cmd_tag_csv(args: argparse.Namespace) -> int:
    from .batch import tag_csv
    from .tagger import load

    tagger = load(args.model)
    if args.no_recommendations or args.index:
        tagger = tagger.use_index(None if args.no_recommendations else args.index)
    try:
        summary = tag_csv(
            args.input,
            args.output,
            args.text_column,
            tagger,
            id_column=args.id_column,
            resume=args.resume,
            on_error=args.on_error,
            raw=args.raw,
            redact=args.redact,
            progress=None if not args.quiet else False,
        )
    except KeyboardInterrupt:
        if args.output:
            print(f"\ninterrupted: rerun with --resume to continue into {args.output}", file=sys.stderr)
        return 130
    _print_summary(args, summary, tagger)
    return 0


def _print_summary(args: argparse.Namespace, summary: BatchSummary, tagger: Tagger) -> None:
    emb = tagger.meta.get("embedder", {}).get("name", "?")
    resumed = f" (resumed after {summary.resumed_from})" if summary.resumed_from else ""
    print(
        f"Tagged {summary.rows - summary.errors} testimonies from {args.input}{resumed} "
        f"(model: {tagger.meta.get('kind')}, embedder {emb}); {summary.tagged} engage at least one right."
    )
    if summary.output:
        print(f"Wrote {summary.output}")
    if summary.errors_file:
        print(f"Wrote {summary.errors} malformed record(s) with their line numbers to {summary.errors_file}")
    for w in summary.warnings:
        print(f"  ! {w}")
    print("\nRights engaged (testimonies per article):")
    most = max(summary.counts.values(), default=1)
    for aid, n in summary.counts.most_common(15):
        bar = "█" * max(1, round(20 * n / most))
        print(f"  {aid:<10} {_shorten(tagger.norms[aid].title, 44):<45} {n:>4}  {bar}")
    if summary.rows - summary.errors > len(summary.preview):
        print(f"\nFirst {len(summary.preview)} testimonies (top tags):")
    else:
        print("\nPer testimony (top tags):")
    for i, (row, res) in enumerate(summary.preview, 1):
        ident = row.get(args.id_column, "") if args.id_column else str(i)
        tags = ", ".join(f"{t.article} {t.confidence:.2f}" for t in res.tags[:3]) or "—"
        print(f"  {ident:<6} {tags:<44} “{_shorten(row[args.text_column], 50)}”")


def cmd_articles(args: argparse.Namespace) -> int:
    from .norms import load_norms

    norms = [n for n in load_norms().values() if not args.instrument or n.instrument == args.instrument]
    if args.json:
        print(json.dumps([n.__dict__ for n in norms], ensure_ascii=False, indent=2))
        return 0
    for n in norms:
        related = f"  ↔ {', '.join(n.related)}" if n.related else ""
        print(f"{n.id:<10} {n.title}{related}")
    return 0


def cmd_build_default(args: argparse.Namespace) -> int:
    from .dataset import load_labelled
    from .embed import EmbeddingCache
    from .tagger import check_model_dir, default_model_path
    from .training import build_default

    output = check_model_dir(args.output or default_model_path())  # before minutes of training
    corpus = load_labelled(args.corpus)
    tagger = build_default(corpus, embedder=args.embedder, cache=EmbeddingCache(), whole_text=args.whole_text)
    out = tagger.save(output)
    print(f"Saved {out}")
    _print_scores("On the dev split:", tagger.meta["metrics"]["dev"])
    return 0


def _print_scores(title: str, figures: dict[str, float]) -> None:
    print(title)
    for k, v in figures.items():
        print(f"  {k:<22} {v:.3f}" if k != "n" else f"  {k:<22} {int(v)}")


def cmd_train(args: argparse.Namespace) -> int:
    import warnings

    from .training import train

    with warnings.catch_warnings():  # printed as they come: some come before minutes of training
        warnings.simplefilter("always")
        warnings.showwarning = lambda message, *_: print(f"warning: {message}", file=sys.stderr)
        tagger = train(
            args.input,
            args.text_column,
            args.labels_column,
            output=args.output,
            weight=args.weight,
            include_corpus=not args.no_corpus,
            embedder=args.embedder,
            progress=sys.stderr.isatty() and not args.quiet,
            whole_text=args.whole_text,
            neighbours=args.neighbours,
        )
    print(
        f"Saved {args.output} ({tagger.meta['training_data']['rows']} training rows, "
        f"{tagger.meta['training_data']['coalition_rows']} of them yours, weighted x{args.weight:g})"
    )
    folds = getattr(tagger.scorer, "cv", "?")
    _print_scores(
        f"Cross-validated on your examples ({folds} folds):", tagger.meta["metrics"]["cross_validated"]
    )
    return 0


def cmd_suggest_labels(args: argparse.Namespace) -> int:
    from .batch import check_output_folder, read_table, write_table
    from .tagger import load
    from .training import suggest_labels

    if args.output:
        if Path(args.output).resolve() == Path(args.input).resolve():
            raise RightsmapError(
                "the output file must differ from the input file (the input is never modified)"
            )
        check_output_folder(args.output)
    columns, records = read_table(args.input, args.text_column)
    ours = [c for c in SUGGESTION_COLUMNS if c in columns]
    if args.output and ours:
        raise RightsmapError(
            f"{args.input} already has column(s) {', '.join(map(repr, ours))}, which the output "
            "would overwrite: rename them"
        )
    lines, rows = [], []
    for record in records:
        if record.values is None:
            print(f"  ! line {record.line} skipped: {record.problem}", file=sys.stderr)
        else:
            lines.append(record.line)
            rows.append(record.values)
    tagger = load(args.model)
    picked = suggest_labels([r[args.text_column] for r in rows], args.n, tagger, args.diversity)
    print(
        f"The {len(picked)} of {len(rows)} testimonies in {args.input} worth labelling first "
        "(the model is least sure of them; near-duplicates skipped):"
    )
    out = []
    probas = tagger.predict_proba([rows[i][args.text_column] for i, _ in picked])
    for rank, ((i, u), proba) in enumerate(zip(picked, probas, strict=True), 1):
        top = sorted(range(len(proba)), key=lambda j: -proba[j])[:3]
        candidates = "; ".join(f"{tagger.labels[j]} {proba[j]:.2f}" for j in top)
        print(
            f"  {rank:>3}. line {lines[i]:<5} expected errors {u:.2f}  {candidates:<42} "
            f"“{_shorten(rows[i][args.text_column], 40)}”"
        )
        out.append(
            {**rows[i], "input_line": str(lines[i]), "expected_errors": f"{u:.3f}", "candidates": candidates}
        )
    if args.output:
        added = [*SUGGESTION_COLUMNS, *(["labels"] if "labels" not in columns else [])]
        write_table(args.output, columns + added, [{"labels": ""} | r for r in out])
        print(
            f"Wrote {args.output}: fill in its 'labels' column (an empty cell means the testimony "
            f"engages no right, so delete the rows you do not label), then run "
            f"`rightsmap train {args.output} -o DIR`"
        )
    return 0


def cmd_upr_import(args: argparse.Namespace) -> int:
    from .embed import get_embedder
    from .upr import default_index_path, import_recommendations

    done = import_recommendations(
        args.input,
        args.index,
        args.format,
        get_embedder(args.embedder),
        progress=None if not args.quiet else False,
    )
    report = done.report
    print(
        f"Read {done.read} recommendations from {args.input} (format {report.format}); "
        f"{done.added} new, {done.updated} already in the index (merged by ID), {done.encoded} encoded."
    )
    if report.duplicates:
        print(f"  {report.duplicates} duplicate IDs in the file were merged into one record each")
    if report.skipped:
        print(f"  {report.skipped} rows that are not UPR recommendations were skipped")
    for problem in report.problems[:20]:
        print(f"  ! {problem}")
    if len(report.problems) > 20:
        print(f"  ! ... and {len(report.problems) - 20} more problem rows")
    print(f"The index at {args.index or default_index_path()} now holds {done.total} recommendations.")
    return 0


def cmd_upr_search(args: argparse.Namespace) -> int:
    from .upr import search

    found = search(
        args.text,
        args.k,
        args.state,
        args.cycle,
        args.response,
        args.index,
        args.model,
        "combined" if args.with_tags else "cosine",
    )
    if args.json:
        print(json.dumps([r.__dict__ for r in found], ensure_ascii=False, indent=2))
        return 0
    if not found:
        print("no recommendation passes the filters")
    for r in found:
        where = f"{r.state_under_review}, cycle {r.cycle}" + (f", para. {r.paragraph}" if r.paragraph else "")
        print(f"{r.score:5.2f}  {r.id}  [{r.response}] from {', '.join(r.recommending_states)} ({where})")
        print(f"       {_shorten(r.text, 100)}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .training import evaluate

    split = None if args.split == "all" else args.split
    result = evaluate(args.input, args.model, split, args.text_column, args.labels_column)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    _print_scores(f"Overall ({args.input or 'bundled corpus'}, split {args.split}):", result["overall"])
    for lang, figures in result["by_language"].items():
        print(
            f"  {lang}: F1 {figures['f1']:.3f}, UDHR recall@3 {figures['udhr_recall_at_3']:.3f}, "
            f"n {int(figures['n'])}"
        )
    if args.per_label:
        print(f"\n{'label':<10} {'prec':>6} {'recall':>6} {'F1':>6} {'support':>7}")
        for aid, f in result["per_label"].items():
            if f["support"]:
                print(
                    f"{aid:<10} {f['precision']:6.3f} {f['recall']:6.3f} {f['f1']:6.3f} "
                    f"{int(f['support']):7d}"
                )
    return 0


def _text_column(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--text-column", default="text", metavar="C", help="column holding the testimony (default: text)"
    )


def _index_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--index",
        default=None,
        metavar="DIR",
        help="UPR index folder (default: the one in your user-data folder)",
    )


def _model_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default=None, metavar="DIR", help="a model directory (default: bundled model)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog="rightsmap",
        description="Map testimonies of local grievances to the human-rights articles they engage "
        "(UDHR, ICCPR, ICESCR). Runs offline.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"rightsmap {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "tag",
        help="tag one or more texts and show the rights they engage",
        description="Tag texts given as arguments (or '-' / nothing: read standard input).",
    )
    p.add_argument("text", nargs="*", help="testimony text(s); '-' reads standard input")
    p.add_argument("--json", action="store_true", help="print the full results as JSON")
    p.add_argument(
        "--no-suggestions",
        action="store_true",
        help="leave out the framing-and-claiming drafts (frame, claims, where to take it)",
    )
    p.add_argument("--top-k", type=int, default=None, metavar="K", help="show at most K tags per text")
    p.add_argument(
        "--min-confidence",
        type=float,
        default=None,
        metavar="P",
        help="show tags with confidence >= P instead of the model's thresholds (0 = full ranking)",
    )
    _model_option(p)
    p.add_argument(
        "--recommendations",
        type=int,
        default=None,
        metavar="K",
        help="attach K past UPR recommendations per text (default: 5 if a UPR index is installed)",
    )
    _index_option(p)
    p.add_argument(
        "--with-tags",
        action="store_true",
        help="rank the recommendations by similarity plus agreement between the text's tags and "
        "each recommendation's articles",
    )
    p.set_defaults(func=cmd_tag)

    p = sub.add_parser(
        "tag-csv",
        help="tag every row of a table file (CSV, TSV, JSONL, Parquet) and print a summary",
        description="Tag the text column of a table file, print a summary, and optionally write "
        "every row with added columns rights, top_article, top_confidence, rights_json and notes "
        "(and recommendations: past UPR recommendations, when a UPR index is installed). "
        "Formats follow the extension (.csv, .tsv, .jsonl, .parquet). The output is built in "
        "OUT.partial and renamed when complete; an interrupted run continues with --resume. "
        "The input file is never modified.",
    )
    p.add_argument("input", help="table file with a header (UTF-8 or UTF-16; CSV, TSV, JSONL or Parquet)")
    _text_column(p)
    p.add_argument(
        "--id-column", default=None, metavar="ID", help="column identifying each row in the summary"
    )
    p.add_argument(
        "-o",
        "--output",
        default=None,
        metavar="OUT",
        help="write the tagged rows to this file (.csv, .tsv, .jsonl or .parquet)",
    )
    _model_option(p)
    p.add_argument("--resume", action="store_true", help="continue an interrupted run into the same OUT")
    p.add_argument(
        "--on-error",
        choices=["report", "fail"],
        default="report",
        help="malformed records: write them with their line numbers to OUT.errors.csv (report, "
        "the default) or stop at the first one (fail)",
    )
    p.add_argument(
        "--raw",
        action="store_true",
        help="do not escape cells starting with = + - @ (spreadsheet formula injection)",
    )
    p.add_argument(
        "--redact",
        action="store_true",
        help="replace names, phone numbers, e-mails, street addresses and ID numbers in the text "
        "before tagging, so the output keeps none of them (slower: runs spaCy's entity recogniser)",
    )
    recs = p.add_mutually_exclusive_group()
    recs.add_argument(
        "--index",
        default=None,
        metavar="DIR",
        help="UPR index folder for the recommendations column (default: the installed one, if any)",
    )
    recs.add_argument(
        "--no-recommendations",
        action="store_true",
        help="no recommendations column even with an index installed (faster: each tagged text "
        "is not encoded a second time)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_tag_csv)

    p = sub.add_parser(
        "compile",
        help="compile a tagged file into a stakeholder-report draft (HTML and Markdown)",
        description="Turn the output of tag-csv (or an untagged table, tagged first) into a "
        "report draft: summary, charts, one section per right with frame, claims, where to take "
        "it and redacted quotes, past UPR recommendations to champion, and a methodology note. "
        "Writes OUT.html (self-contained) and OUT.md with its charts as PNG files beside it.",
    )
    p.add_argument("input", help="table file from tag-csv, or an untagged one (CSV, TSV, JSONL, Parquet)")
    _text_column(p)
    p.add_argument(
        "-o", "--output", required=True, metavar="OUT", help="report.html or report.md (both are written)"
    )
    p.add_argument(
        "--group-by", metavar="COLUMN", help="count rights per value of this column (city, neighbourhood)"
    )
    p.add_argument("--title", help="report title")
    p.add_argument(
        "--no-redact", action="store_true", help="quote testimonies without redacting names and numbers"
    )
    _model_option(p)
    _index_option(p)
    p.set_defaults(func=cmd_compile)

    p = sub.add_parser(
        "train",
        help="retrain on your own labelled testimonies",
        description="Retrain the model on a labelled CSV, on top of our corpus (your rows weigh more). "
        "Labels are article IDs separated by ';' or ',', in any common spelling "
        "(UDHR-25, 'UDHR 25', 'Article 25 UDHR').",
    )
    p.add_argument(
        "input", help="labelled table (CSV, TSV, JSONL or Parquet; UTF-8 or UTF-16), or a folder of CSVs"
    )
    _text_column(p)
    p.add_argument(
        "--labels-column", default="labels", metavar="C", help="column holding the labels (default: labels)"
    )
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="model directory to write")
    p.add_argument("--weight", type=float, default=3.0, help="weight of your rows against ours (default: 3)")
    p.add_argument("--no-corpus", action="store_true", help="train on your rows only")
    p.add_argument("--embedder", default=DEFAULT_EMBEDDER, help=EMBEDDER_HELP)
    _whole_text_option(p)
    p.add_argument(
        "--neighbours",
        type=int,
        default=30,
        metavar="N",
        help="how many similar training testimonies lend their labels to each text (default: 30); "
        "0 keeps no vector of any training testimony in the model, for a model you will share",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser(
        "evaluate",
        help="measure a model on labelled testimonies",
        description="Precision, recall, F1, UDHR recall@3, calibration (ECE, Brier) and more, overall, per "
        "language and per label. Without a file: our corpus's dev split.",
    )
    p.add_argument(
        "input",
        nargs="?",
        default=None,
        help="labelled table (CSV, TSV, JSONL or Parquet) or folder of CSVs (default: the bundled corpus)",
    )
    _model_option(p)
    p.add_argument(
        "--split", default="dev", choices=["dev", "train", "all"], help="rows to use (default: dev)"
    )
    p.add_argument("--text-column", default="text", metavar="C", help="default: text")
    p.add_argument("--labels-column", default="labels", metavar="C", help="default: labels")
    p.add_argument("--per-label", action="store_true", help="also print each label's figures")
    p.add_argument("--json", action="store_true", help="print everything as JSON")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser(
        "suggest-labels",
        help="pick the testimonies worth labelling next to improve the model most",
        description="Rank the rows of a CSV (tagged or not) by how unsure the model is of them, "
        "skipping near-duplicates, and optionally write the picked rows with an empty 'labels' "
        "column to fill in and pass to `rightsmap train`.",
    )
    p.add_argument("input", help="CSV file with a text column (e.g. the output of tag-csv)")
    _text_column(p)
    p.add_argument("-n", type=int, default=50, help="how many to suggest (default: 50)")
    p.add_argument(
        "--diversity",
        type=float,
        default=0.5,
        metavar="W",
        help="0 = most uncertain first; up to 1 = spread across different topics (default: 0.5)",
    )
    p.add_argument("-o", "--output", default=None, metavar="OUT", help="write the picked rows to this CSV")
    _model_option(p)
    p.set_defaults(func=cmd_suggest_labels)

    upr = sub.add_parser(
        "upr",
        help="past UPR recommendations: import an export into a local index, search it",
        description="Import the UPR recommendations you downloaded (canonical JSON lines, an OHCHR "
        "UHRI export, or a UPR Info CSV export) into a local index, and search it.",
    )
    upr_sub = upr.add_subparsers(dest="upr_command", metavar="COMMAND", required=True)
    p = upr_sub.add_parser(
        "import",
        help="import an export into the index (merging by ID)",
        description="Read an export and merge it into the index by recommendation ID. The new index is "
        "built aside and switched in atomically: a failed import leaves the old one untouched.",
    )
    p.add_argument("input", help="the exported file (.jsonl, UHRI .xlsx/.json/.csv, UPR Info .csv)")
    p.add_argument(
        "--format", default="auto", choices=["auto", "jsonl", "uhri", "uprinfo"], help="default: auto"
    )
    _index_option(p)
    p.add_argument(
        "--embedder",
        default=RETRIEVAL_EMBEDDER,
        help=f"embedder for recommendations and queries (default: {RETRIEVAL_EMBEDDER}; "
        "mpnet+use ranks English testimonies better but encodes about 7x slower and needs the "
        "mpnet packages, see the README)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_upr_import)
    p = upr_sub.add_parser(
        "search",
        help="the past recommendations most relevant to a text",
        description="Rank the index's recommendations by similarity to the text, under the "
        "index's embedder (--with-tags: plus agreement between the text's tags and each "
        "recommendation's articles).",
    )
    p.add_argument("text", help="a testimony or a topic")
    p.add_argument("-k", type=int, default=10, help="how many (default: 10)")
    p.add_argument("--state", default=None, help='State under review, e.g. "United States of America"')
    p.add_argument("--response", default=None, help="Supported or Noted")
    p.add_argument("--cycle", type=int, default=None, help="UPR cycle (1-4)")
    p.add_argument(
        "--with-tags",
        action="store_true",
        help="add agreement between the text's tags and each recommendation's articles",
    )
    _index_option(p)
    _model_option(p)
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(func=cmd_upr_search)

    p = sub.add_parser("articles", help="list the articles (norms) rightsmap tags with")
    p.add_argument("--instrument", choices=["UDHR", "ICCPR", "ICESCR"], help="only this instrument")
    p.add_argument("--json", action="store_true", help="full records: summaries, cues, mechanisms")
    p.set_defaults(func=cmd_articles)

    p = sub.add_parser(
        "build-default",
        help="rebuild the bundled default model from corpora/",
        description="Train the default model on the train split of corpora/training (plus the "
        "article descriptions in corpora/norms), score it on the dev split, and save it.",
    )
    p.add_argument(
        "-o", "--output", default=None, metavar="DIR", help="model directory (default: the bundled one)"
    )
    p.add_argument(
        "--corpus",
        default=None,
        metavar="PATH",
        help="labelled CSV or folder of CSVs (default: corpora/training/)",
    )
    p.add_argument("--embedder", default=DEFAULT_EMBEDDER, help=EMBEDDER_HELP)
    _whole_text_option(p)
    p.set_defaults(func=cmd_build_default)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``rightsmap`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args))
    except (RightsmapError, TypeError, ValueError) as exc:
        print(f"rightsmap: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
