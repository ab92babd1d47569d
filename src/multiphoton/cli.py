"""Command-line interface: every subcommand is one library call.

``multiphoton analyze EXPERIMENT.toml --out DIR``  (data contract section 1)
``multiphoton report DIR/results.json``            rebuild tables, figures and report.html
``multiphoton simulate PRESET OUTDIR``              write a simulated campaign with truth.json
``multiphoton inspect FILE``                         what a reader finds in an instrument file
``multiphoton batch A.toml B.toml … --out ROOT``    many campaigns in parallel on Dask
``multiphoton standards [--file my_dyes.toml]``     the reference dyes and solvents, with sources
``multiphoton init FOLDER``                          write a commented first manifest for a folder of files

Exit status: 0 success, 1 bad input (nothing written), 2 usage error or an output
location that may not or cannot be written. Every error ends in one ``error: …`` line
and no traceback; ``--debug`` (before the command) shows the traceback as well.

Streams: results (tables, ``--json``) and the paths written go to stdout; progress,
warnings and errors to stderr. ``--quiet`` prints nothing but errors. When stdout is
not a terminal (a pipe, a file), tables are printed at their natural width (no wrapped
cells).
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
import traceback
from pathlib import Path

from . import __version__
from .errors import MultiphotonError, UsageError

__all__ = ["main", "build_parser"]


_FIGURES_HELP = ("figure formats, comma-separated: png,svg (default), png or svg; each figure is laid "
                 "out once for all of them")


class _QuantitiesInHelp(argparse.HelpFormatter):
    """Fills in the valid ``--only`` names when the help is shown, not when the parser is
    built: listing them imports every analysis step (~2 s), which ``analyze`` does only
    after its figure workers have started."""

    PLACEHOLDER = "<quantities>"

    def _get_help_string(self, action):
        text = super()._get_help_string(action)
        if self.PLACEHOLDER in text:
            from .pipeline.steps import all_quantities

            text = text.replace(self.PLACEHOLDER, ", ".join(all_quantities()))
        return text


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="multiphoton",
        description="Nonlinear photophysics of colloidal nanocrystals: from a folder of "
        "measurements to Table 1 and Table 2 of Diroll et al. (Nanoscale 2023), with "
        "uncertainties, figures and a report.",
    )
    p.add_argument("--version", action="version", version=f"multiphoton {__version__}")
    p.add_argument("--debug", action="store_true",
                   help="on an error, also print the Python traceback (for bug reports)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    a = sub.add_parser("analyze", help="analyse a campaign: manifest → results.json, tables, figures, report.html",
                       formatter_class=_QuantitiesInHelp)
    a.add_argument("manifest", type=Path, help="the experiment manifest (TOML); file paths in it are relative to it")
    a.add_argument("--out", type=Path, required=True, help="output directory (written atomically)")
    a.add_argument("--force", action="store_true",
                   help="replace a non-empty --out that multiphoton wrote (never a folder holding an input)")
    a.add_argument("--only", default=None, metavar="NAMES",
                   help="comma-separated quantities to keep, e.g. sigma2_GM,tau_xx_ns; valid names: "
                   + _QuantitiesInHelp.PLACEHOLDER)
    a.add_argument("--sample", action="append", default=None, metavar="ID",
                   help="analyse only this sample (repeatable)")
    a.add_argument("--quiet", action="store_true", help="print nothing but errors (no progress, tables, "
                   "warnings or paths)")
    a.add_argument("--json", action="store_true", help="print results.json to stdout (for pipelines; "
                   "no tables, warnings still on stderr)")
    a.add_argument("--no-report", action="store_true", help="write results.json only (no figures, no HTML)")
    a.add_argument("--figures", default="png,svg", metavar="FORMATS", help=_FIGURES_HELP)

    r = sub.add_parser("report", help="rebuild tables, figures and report.html from results.json (no refitting)")
    r.add_argument("results", type=Path, help="results.json written by `analyze` (plot_data.json beside it)")
    r.add_argument("--out", type=Path, default=None, help="where to write (default: the folder of results.json)")
    r.add_argument("--quiet", action="store_true", help="print nothing but errors (no tables, no path)")
    r.add_argument("--figures", default="png,svg", metavar="FORMATS", help=_FIGURES_HELP)

    from .simulate.presets import preset_names

    presets = preset_names()
    s = sub.add_parser("simulate", help="write a simulated campaign (manifest, CSV files, truth.json)",
                       description="Write a simulated campaign (manifest, CSV files and truth.json, the true "
                       f"value of every quantity). Presets: {', '.join(presets)}.")
    s.add_argument("preset", metavar="PRESET", help=f"one of: {', '.join(presets)}")
    s.add_argument("outdir", type=Path, help="folder to write the campaign into")
    s.add_argument("--seed", type=int, default=0, help="random seed (default 0); same seed, same bytes")

    from .io.inspect import INSPECT_FORMATS

    i = sub.add_parser("inspect", help="print as JSON what a reader finds in an instrument file")
    i.add_argument("file", type=Path, help="an instrument file (ptu, sdt, sif, spe, TA ASCII, FluoTime .dat, "
                   "multi-column TRPL CSV; docs/formats.md)")
    i.add_argument("--format", dest="fmt", default=None, choices=INSPECT_FORMATS, metavar="NAME",
                   help="read the file as this format when it cannot be detected: "
                   f"{', '.join(INSPECT_FORMATS)}")

    b = sub.add_parser("batch", help="analyse several campaigns in parallel (Dask), one output folder each")
    b.add_argument("manifests", type=Path, nargs="+", help="experiment manifests")
    b.add_argument("--out", type=Path, required=True, help="root folder; each campaign goes to ROOT/<manifest folder name>")
    b.add_argument("--workers", type=int, default=None, help="Dask local processes (default: one per core)")
    b.add_argument("--scheduler", default=None, help="address of a running Dask scheduler (tcp://host:8786)")
    b.add_argument("--force", action="store_true", help="replace output folders that exist")
    b.add_argument("--no-report", action="store_true", help="write results.json only")
    b.add_argument("--figures", default="png,svg", metavar="FORMATS", help=_FIGURES_HELP)

    st = sub.add_parser("standards", help="list the standards library: dye, quantity, solvent, range, source")
    st.add_argument("--file", type=Path, default=None,
                    help="a lab's own standards file (same format) that extends the library")
    st.add_argument("--json", action="store_true", help="print the rows as JSON")
    n = sub.add_parser("init", help="guess a commented experiment.toml for a folder of measurement files",
                       description="Look at every file in FOLDER (vendor formats and data contract CSVs), guess "
                       "kind, sample, series and fluence from headers and names, and write a commented "
                       "manifest: `# guess:` marks each guess, \"TODO\" each value to fill in (analyze "
                       "refuses the manifest until none is left). No file in FOLDER is changed.")
    n.add_argument("folder", type=Path, help="folder of measurement files (searched recursively)")
    n.add_argument("--out", type=Path, default=None,
                   help="manifest to write (default FOLDER/experiment.toml; an existing file is never replaced)")
    return p


def _cmd_standards(args) -> int:
    from . import standards

    rows = standards.describe(args.file)
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    # one line per value, at most 100 columns: the source as a short citation (the full
    # text is in --json and in the TOML file)
    cols = [("dye", [r["dye"] or "-" for r in rows]), ("quantity", [r["quantity"] for r in rows]),
            ("solvent", [r["solvent"] for r in rows]), ("range (eV)", [r["range_eV"] for r in rows])]
    widths = [max(len(head), *(len(v) for v in vals)) for head, vals in cols]
    room = max(100 - sum(w + 1 for w in widths), 12)
    lines = [(*(head for head, _ in cols), "source")]
    lines += [(*(vals[i] for _, vals in cols), r["cite"]) for i, r in enumerate(rows)]
    for *fields, cite in lines:
        cite = cite if len(cite) <= room else cite[:room - 1] + "…"
        print(" ".join(f"{v:{w}}" for v, w in zip(fields, widths)) + " " + cite)
    return 0


def _cmd_init(args) -> int:
    from .io.init import init_folder

    manifest, todos = init_folder(args.folder, args.out)
    print(f"manifest: {manifest}")
    for t in todos:
        print(f"TODO: {t}", file=sys.stderr)
    if todos:
        print(f"{len(todos)} value(s) to fill in before `multiphoton analyze {manifest}`.", file=sys.stderr)
    return 0


def _console(quiet: bool):
    """Progress and warnings: stderr."""
    from rich.console import Console

    return Console(stderr=True, quiet=quiet)


def _formats(text: str) -> tuple[str, ...]:
    from .report.style import check_formats

    return check_formats(text)


def _out_console(quiet: bool = False):
    """Results: stdout; at the tables' natural width when stdout is not a terminal."""
    from rich.console import Console

    tty = sys.stdout.isatty()
    return Console(file=sys.stdout, quiet=quiet, width=None if tty else 10_000, soft_wrap=not tty)


def _print_warnings(con, warnings) -> None:
    for w in warnings:
        con.print(f"[yellow]warning:[/yellow] {w.sample}: {w.quantity}: {w.reason}", highlight=False)


def _cmd_analyze(args) -> int:
    report = False if args.no_report else _formats(args.figures)
    # The figure workers start first, before the analysis' own imports, so that their start-up
    # (matplotlib, fonts) is over when the first plots arrive; a manifest or --out refusal
    # below stops them again (the stream's context).
    with _figure_stream(report) as stream:
        from .io.manifest import read_manifest
        from .pipeline import claim_output, protected_paths

        args.manifest = read_manifest(args.manifest)  # parsed once: for the protected inputs and the analysis
        # --out is checked and claimed before any analysis runs (refusals are errors: printed even with --quiet)
        with claim_output(args.out, force=args.force, protect=protected_paths(args.manifest),
                          say=lambda msg: print(f"note: {msg}", file=sys.stderr)):
            return _analyze_into(args, report, stream)


def _figure_stream(report):
    """A FigureStream drawing figures on the idle cores while the analysis runs (the
    analysis itself is one thread), or a null context without a report or spare core."""
    import contextlib

    if not report:
        return contextlib.nullcontext()
    from .report.figures.stream import FigureStream, default_workers

    return FigureStream(report, warm_up=True) if default_workers() > 0 else contextlib.nullcontext()


def _analyze_into(args, report, stream) -> int:
    from .pipeline import analyze, write_outputs

    con = _console(args.quiet)
    only = [q.strip() for q in args.only.split(",") if q.strip()] if args.only else None
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=con, transient=True, disable=args.quiet) as prog:
        task = prog.add_task("reading manifest", total=None)
        results = analyze(args.manifest, only=only, samples=args.sample,
                          progress=lambda label: prog.update(task, description=label),
                          on_plots=None if stream is None else stream.submit)
        prog.update(task, description="writing results, figures and report")
        paths = write_outputs(results, args.out, force=args.force, report=report, figures=stream)
    if args.quiet:
        return 0
    _print_warnings(con, results.warnings)
    if args.json:
        sys.stdout.write(Path(paths["results.json"]).read_text(encoding="utf-8"))
        sys.stdout.flush()
        return 0
    from .report import render_terminal

    out = _out_console()
    render_terminal(results, out)
    out.print(f"results: {paths['results.json']}", highlight=False, soft_wrap=True)
    if "report.html" in paths:
        out.print(f"report:  {paths['report.html']}", highlight=False, soft_wrap=True)
    return 0


def _cmd_report(args) -> int:
    from .pipeline.output import write_report_outputs
    from .report import load_results, render_terminal

    formats = _formats(args.figures)
    results = load_results(args.results)
    paths = write_report_outputs(results, args.out, home=args.results.resolve().parent,
                                 formats=formats)
    if args.quiet:
        return 0
    con = _out_console()
    render_terminal(results, con)
    con.print(f"report: {paths['report.html']}", highlight=False, soft_wrap=True)
    return 0


def _cmd_simulate(args) -> int:
    from .simulate.campaign import write_campaign

    from .pipeline.output import check_output

    out = check_output(args.outdir, label="OUTDIR")  # a new or empty folder: simulate never writes over files
    manifest = write_campaign(args.preset, out, seed=args.seed)
    print(f"campaign: {manifest}")
    return 0


def _cmd_inspect(args) -> int:
    from .io.inspect import inspect_file

    print(json.dumps(inspect_file(args.file, fmt=args.fmt), indent=2))
    return 0


def _cmd_batch(args) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .pipeline.batch import output_folders, run_batch

    report = False if args.no_report else _formats(args.figures)
    names = [p.name for p in output_folders(args.manifests, args.out)]
    con = _console(False)
    status = 0
    with Progress(TextColumn("{task.fields[name]}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.description}"), TimeElapsedColumn(), console=con,
                  transient=True) as prog:
        bars = [prog.add_task("waiting", total=None, name=n) for n in names]

        def progress(event):  # one bar per campaign, fed by the workers
            bar = bars[event["index"]]
            prog.update(bar, total=event.get("total"), advance=event.get("advance", 0),
                        description=event.get("label", prog.tasks[bar].description))
            if event.get("done"):
                prog.update(bar, description="done")

        def on_result(i, o):  # each campaign on its own line, as it finishes
            nonlocal status
            if o["ok"]:
                _print_batch_warnings(o)
                print(f"ok     {o['manifest']} -> {o['out']}")
            else:
                status = 1
                print(f"failed {o['manifest']}: {o['error']}", file=sys.stderr)

        run_batch(args.manifests, args.out, workers=args.workers, scheduler=args.scheduler,
                  force=args.force, report=report, progress=progress, on_result=on_result)
    return status


def _print_batch_warnings(outcome: dict) -> None:
    """The warnings of one finished campaign (from its results.json), on stderr."""
    try:
        doc = json.loads((Path(outcome["out"]) / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    for w in doc.get("warnings", []):
        print(f"warning: {Path(outcome['manifest']).parent.name}: {w.get('sample')}: {w.get('quantity')}: "
              f"{w.get('reason')}", file=sys.stderr)


def main(argv=None) -> int:
    """Run the CLI; returns the exit status (0 ok, 1 bad input, 2 usage)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = {"analyze": _cmd_analyze, "report": _cmd_report, "simulate": _cmd_simulate,
               "inspect": _cmd_inspect, "batch": _cmd_batch, "standards": _cmd_standards,
               "init": _cmd_init}[args.command]
    try:
        return handler(args)
    except UsageError as exc:  # also OutputError
        return _fail(args, exc, 2)
    except MultiphotonError as exc:
        return _fail(args, exc, 1)
    except KeyboardInterrupt as exc:
        return _fail(args, exc, 130, "interrupted")
    except OSError as exc:  # an input that vanished or cannot be read (writes raise OutputError)
        where = f" ({exc.filename})" if exc.filename else ""
        return _fail(args, exc, 1, f"{exc.strerror or exc}{where}; check the path and its permissions")
    except (UnicodeDecodeError, csv.Error) as exc:  # pragma: no cover - the readers refuse these first
        return _fail(args, exc, 1, f"cannot read an input ({type(exc).__name__}: {exc}); save text "
                     "files as UTF-8")
    except Exception as exc:  # noqa: BLE001 - a bug: one line, and the traceback with --debug
        return _fail(args, exc, 1, f"internal error ({type(exc).__name__}: {exc}); please report it "
                     "with the output of `multiphoton --debug …`")


def _fail(args, exc: BaseException, status: int, message: str | None = None) -> int:
    """Print ``error: …`` (and the traceback with --debug); return the exit status."""
    if getattr(args, "debug", False):
        traceback.print_exception(exc, file=sys.stderr)
    print(f"error: {message or exc}", file=sys.stderr)
    return status
