"""Command-line interface: every subcommand is one library call.

``multiphoton analyze EXPERIMENT.toml --out DIR``  (data contract section 1)
``multiphoton report DIR/results.json``            rebuild tables, figures and report.html
``multiphoton simulate PRESET OUTDIR``              write a simulated campaign with truth.json
``multiphoton inspect FILE``                         what a reader finds in an instrument file
``multiphoton batch A.toml B.toml … --out ROOT``    many campaigns in parallel on Dask
``multiphoton init FOLDER``                          write a commented first manifest for a folder of files

Exit status: 0 success, 1 bad input (nothing written), 2 usage error.

Streams: results (tables, ``--json``) and the paths written go to stdout; progress,
warnings and errors to stderr. ``--quiet`` prints nothing but errors. When stdout is
not a terminal (a pipe, a file), tables are printed at their natural width (no wrapped
cells).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __version__
from .errors import MultiphotonError, UsageError

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="multiphoton",
        description="Nonlinear photophysics of colloidal nanocrystals: from a folder of "
        "measurements to Table 1 and Table 2 of Diroll et al. (Nanoscale 2023), with "
        "uncertainties, figures and a report.",
    )
    p.add_argument("--version", action="version", version=f"multiphoton {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    a = sub.add_parser("analyze", help="analyse a campaign: manifest → results.json, tables, figures, report.html")
    a.add_argument("manifest", type=Path, help="the experiment manifest (TOML); file paths in it are relative to it")
    a.add_argument("--out", type=Path, required=True, help="output directory (written atomically)")
    a.add_argument("--force", action="store_true", help="replace --out if it exists and is not empty")
    from .pipeline.steps import all_quantities

    a.add_argument("--only", default=None, metavar="NAMES",
                   help="comma-separated quantities to keep, e.g. sigma2_GM,tau_xx_ns; valid names: "
                   + ", ".join(all_quantities()))
    a.add_argument("--sample", action="append", default=None, metavar="ID",
                   help="analyse only this sample (repeatable)")
    a.add_argument("--quiet", action="store_true", help="print nothing but errors (no progress, tables, "
                   "warnings or paths)")
    a.add_argument("--json", action="store_true", help="print results.json to stdout (for pipelines; "
                   "no tables, warnings still on stderr)")
    a.add_argument("--no-report", action="store_true", help="write results.json only (no figures, no HTML)")

    r = sub.add_parser("report", help="rebuild tables, figures and report.html from results.json (no refitting)")
    r.add_argument("results", type=Path, help="results.json written by `analyze` (plot_data.json beside it)")
    r.add_argument("--out", type=Path, default=None, help="where to write (default: the folder of results.json)")
    r.add_argument("--quiet", action="store_true", help="print nothing but errors (no tables, no path)")

    from .simulate.presets import preset_names

    presets = preset_names()
    s = sub.add_parser("simulate", help="write a simulated campaign (manifest, CSV files, truth.json)",
                       description="Write a simulated campaign (manifest, CSV files and truth.json, the true "
                       f"value of every quantity). Presets: {', '.join(presets)}.")
    s.add_argument("preset", metavar="PRESET", help=f"one of: {', '.join(presets)}")
    s.add_argument("outdir", type=Path, help="folder to write the campaign into")
    s.add_argument("--seed", type=int, default=0, help="random seed (default 0); same seed, same bytes")

    i = sub.add_parser("inspect", help="print as JSON what a reader finds in an instrument file")
    i.add_argument("file", type=Path, help="an instrument file (ptu, sdt, sif, spe, TA ASCII, FluoTime .dat, "
                   "multi-column TRPL CSV; docs/formats.md)")

    b = sub.add_parser("batch", help="analyse several campaigns in parallel (Dask), one output folder each")
    b.add_argument("manifests", type=Path, nargs="+", help="experiment manifests")
    b.add_argument("--out", type=Path, required=True, help="root folder; each campaign goes to ROOT/<manifest folder name>")
    b.add_argument("--workers", type=int, default=None, help="Dask local processes (default: one per core)")
    b.add_argument("--scheduler", default=None, help="address of a running Dask scheduler (tcp://host:8786)")
    b.add_argument("--force", action="store_true", help="replace output folders that exist")
    b.add_argument("--no-report", action="store_true", help="write results.json only")
    n = sub.add_parser("init", help="guess a commented experiment.toml for a folder of measurement files",
                       description="Look at every file in FOLDER (vendor formats and data contract CSVs), guess "
                       "kind, sample, series and fluence from headers and names, and write a commented "
                       "manifest: `# guess:` marks each guess, \"TODO\" each value to fill in (analyze "
                       "refuses the manifest until none is left). No file in FOLDER is changed.")
    n.add_argument("folder", type=Path, help="folder of measurement files (searched recursively)")
    n.add_argument("--out", type=Path, default=None,
                   help="manifest to write (default FOLDER/experiment.toml; an existing file is never replaced)")
    return p


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


def _out_console(quiet: bool = False):
    """Results: stdout; at the tables' natural width when stdout is not a terminal."""
    from rich.console import Console

    tty = sys.stdout.isatty()
    return Console(file=sys.stdout, quiet=quiet, width=None if tty else 10_000, soft_wrap=not tty)


def _print_warnings(con, warnings) -> None:
    for w in warnings:
        con.print(f"[yellow]warning:[/yellow] {w.sample}: {w.quantity}: {w.reason}", highlight=False)


def _cmd_analyze(args) -> int:
    from .pipeline import analyze, write_outputs

    con = _console(args.quiet)
    only = [q.strip() for q in args.only.split(",") if q.strip()] if args.only else None
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=con, transient=True, disable=args.quiet) as prog:
        task = prog.add_task("reading manifest", total=None)
        results = analyze(args.manifest, only=only, samples=args.sample,
                          progress=lambda label: prog.update(task, description=label))
        prog.update(task, description="writing results, figures and report")
        try:
            paths = write_outputs(results, args.out, force=args.force, report=not args.no_report)
        except FileExistsError as exc:
            print(f"error: {exc}", file=sys.stderr)  # errors print even with --quiet
            return 2
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
    from .report import load_results, render_terminal, write_report

    results = load_results(args.results)
    out = args.out or args.results.resolve().parent
    out.mkdir(parents=True, exist_ok=True)
    paths = write_report(results, out)
    if args.quiet:
        return 0
    con = _out_console()
    render_terminal(results, con)
    con.print(f"report: {paths['report.html']}", highlight=False, soft_wrap=True)
    return 0


def _cmd_simulate(args) -> int:
    from .simulate.campaign import write_campaign

    manifest = write_campaign(args.preset, args.outdir, seed=args.seed)
    print(f"campaign: {manifest}")
    return 0


def _cmd_inspect(args) -> int:
    from .io.inspect import inspect_file

    print(json.dumps(inspect_file(args.file), indent=2))
    return 0


def _cmd_batch(args) -> int:
    from .pipeline.batch import run_batch

    outcomes = run_batch(args.manifests, args.out, workers=args.workers, scheduler=args.scheduler,
                         force=args.force, report=not args.no_report)
    status = 0
    for o in outcomes:
        if o["ok"]:
            _print_batch_warnings(o)
            print(f"ok     {o['manifest']} -> {o['out']}")
        else:
            print(f"failed {o['manifest']}: {o['error']}", file=sys.stderr)
            status = 1
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
               "inspect": _cmd_inspect, "batch": _cmd_batch,
               "init": _cmd_init}[args.command]
    try:
        return handler(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except MultiphotonError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
