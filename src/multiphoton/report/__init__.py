"""Tables, figures and the self-contained HTML report, from a Results object only.

:func:`write_report` writes ``table1.csv``, ``table2.csv``, ``figures/*.png|svg`` and
``report.html``; :func:`load_results` rebuilds the Results from a run's
``results.json`` (with its sibling ``plot_data.json`` and ``manifest.toml``) so that
``multiphoton report DIR/results.json`` redraws everything without refitting.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import InputError
from ..plotdata import PlotData, plot_from_json
from ..results import RESULTS_SCHEMA, Results
from .figures import _default_processes, _summary
from .style import FORMATS
from .html import render_html
from .tables import render_terminal, table1, table2, write_table_csv

__all__ = [
    "write_report",
    "load_results",
    "render_terminal",
    "table1",
    "table2",
    "write_table_csv",
    "PLOT_DATA_NAME",
    "MANIFEST_NAME",
]

PLOT_DATA_NAME = "plot_data.json"
"""File beside ``results.json`` holding ``Results.plots`` (``Results.plots_to_json()``)."""

MANIFEST_NAME = "manifest.toml"
"""Copy of the manifest beside ``results.json``."""


def write_report(results: Results, out_dir: str | Path, *, formats=FORMATS,
                 processes: int | None = None, stream=None) -> dict[str, Path]:
    """Write the tables, figures and ``report.html`` of ``results`` into ``out_dir``.

    Parameters
    ----------
    results : Results
        What an ``analyze`` run produced (or :func:`load_results` read back).
    out_dir : path
        Existing folder. ``figures/`` is created in it.
    formats : sequence of str or str, optional
        Figure formats: ``("png", "svg")`` (default), ``"png"`` or ``"svg"``
        (``--figures``). Each figure is drawn once; report.html embeds the PNG just
        written (the SVG when only SVG is asked for).
    processes : int, optional
        Processes drawing figures of different samples at once (default: one per core);
        see :func:`multiphoton.report.figures.render_figures`.
    stream : FigureStream, optional
        A :class:`~multiphoton.report.figures.stream.FigureStream` that was fed the
        plots while the analysis ran (``multiphoton analyze``); its figures are
        collected instead of drawn anew (plots it was not given are submitted now), and
        ``formats`` and ``processes`` are then the stream's.

    Returns
    -------
    dict of str to Path
        Paths relative to ``out_dir`` (``"table1.csv"``, ``"table2.csv"``,
        ``"report.html"``, ``"figures/<stem>.png"``, ``"figures/<stem>.svg"``) mapped to
        the files written (only the formats asked for).

    Raises
    ------
    InputError
        If ``out_dir`` does not exist.
    """
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise InputError(
            f"report output folder {str(out_dir)!r} does not exist; create it first "
            "(the pipeline writes into a fresh folder it made)"
        )
    written: dict[str, Path] = {}
    written["table1.csv"] = write_table_csv(table1(results), out_dir / "table1.csv")
    written["table2.csv"] = write_table_csv(table2(results), out_dir / "table2.csv")
    fig_dir = out_dir / "figures"
    fig_dir.mkdir(exist_ok=True)
    if stream is None:
        from .figures.stream import FigureStream

        n = _default_processes(len(results.plots)) if processes is None else max(1, int(processes))
        stream = FigureStream(formats, workers=n - 1)
        stream.submit(results.plots)
    with stream:
        stream.submit(results.plots[len(stream.jobs):])
        figures, extra = stream.finish(fig_dir, also=lambda: (
            _summary(results.plots, fig_dir, stream.formats), _across_samples(results, fig_dir, stream.formats)))
    summary, across = extra
    figures += ([] if summary is None else [summary]) + across
    for fig in figures:
        for path in (fig.png, fig.svg):
            if path is not None:
                written[f"figures/{path.name}"] = path
    report = out_dir / "report.html"
    report.write_text(render_html(results, figures), encoding="utf-8")
    written["report.html"] = report
    return written


def _across_samples(results: Results, fig_dir: Path, formats=FORMATS) -> list:
    """The all-samples figure of quantities vs volume (reads Results, not plot data)."""
    from .figures import FigureFile
    from .figures.samples import ACROSS_CAPTION, ACROSS_STEM, plot_across_samples
    from .style import figure_style, save_figure

    with figure_style():
        fig = plot_across_samples(results)
        if fig is None:
            return []
        png, svg = save_figure(fig, fig_dir, ACROSS_STEM, formats)
    return [FigureFile(ACROSS_STEM, "across_samples", None, None, ACROSS_CAPTION, png, svg)]


def load_results(results_json_path: str | Path) -> Results:
    """Read a run's ``results.json`` back into :class:`~multiphoton.results.Results`.

    The sibling ``plot_data.json`` (its entries become :mod:`multiphoton.plotdata`
    objects) and ``manifest.toml`` are read when present (figures and the manifest
    section are empty otherwise).

    Parameters
    ----------
    results_json_path : path
        The ``results.json`` written by ``multiphoton analyze``.

    Raises
    ------
    InputError
        If a file is missing, not JSON, or not of schema ``multiphoton.results/1``, or a
        plot_data.json entry is not a plot of a known family with known keys.
    """
    path = Path(results_json_path)
    doc = _read_json(path, "results file")
    if not isinstance(doc, dict) or doc.get("schema") != RESULTS_SCHEMA:
        found = doc.get("schema") if isinstance(doc, dict) else type(doc).__name__
        raise InputError(
            f"{path}: schema is {found!r}, expected {RESULTS_SCHEMA!r}; pass the results.json "
            "written by `multiphoton analyze`"
        )
    plot_path = path.with_name(PLOT_DATA_NAME)
    plots = _read_plots(plot_path) if plot_path.exists() else []
    manifest_path = path.with_name(MANIFEST_NAME)
    manifest_text = manifest_path.read_text(encoding="utf-8") if manifest_path.exists() else ""
    try:
        return Results.from_json(doc, plots=plots, manifest_text=manifest_text)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:  # e.g. "samples" a list
        raise InputError(
            f"{path}: cannot read the results ({exc!r}); pass the results.json written by "
            "`multiphoton analyze`"
        ) from None


def _read_plots(plot_path: Path) -> list[PlotData]:
    entries = _read_json(plot_path, "plot data")
    if not isinstance(entries, list) or not all(isinstance(p, dict) for p in entries):
        raise InputError(
            f"{plot_path}: expected a JSON list of plot objects (docs/plot-data.md); "
            "re-run `multiphoton analyze` to rewrite it"
        )
    plots = []
    for k, entry in enumerate(entries):
        try:
            plots.append(plot_from_json(entry))
        except InputError as exc:
            raise InputError(f"{plot_path}, entry {k}: {exc}; re-run `multiphoton analyze` "
                             "to rewrite it") from None
    return plots


def _read_json(path: Path, what: str):
    if not path.is_file():
        raise InputError(f"{what} {str(path)!r} not found; give the path of an existing file")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{what} {str(path)!r} is not valid JSON ({exc}); "
                         "re-run `multiphoton analyze` to rewrite it") from None
