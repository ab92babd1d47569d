"""Figures of the report, one module per family, each reading only plot objects
(:mod:`multiphoton.plotdata`, docs/plot-data.md) and returning a
:class:`matplotlib.figure.Figure`.

:func:`render_figures` draws every plot, plus the all-samples PL-order panel,
and saves each as PNG and SVG (or the formats asked for) named
``<family>_<sample>_<measurement>``, several at once in worker processes
(:class:`.stream.FigureStream`, which ``analyze`` feeds while it still analyses).
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from matplotlib.figure import Figure

from ...errors import InputError
from ...plotdata import PlotData
from ..style import FORMATS, check_formats, figure_style, save_figure
from .ase import plot_ase_series
from .crosscheck import plot_pl_decomposition, plot_saturation, plot_zscan
from .gain import plot_ta_map
from .ta_global import plot_ta_global
from .laser import plot_laser_series, plot_time_series
from .pl import plot_pl_fluence_series, plot_pl_order_summary, plot_pl_spectrum
from .tpef import plot_tpef, plot_tpef_spectra
from .trpl import plot_trpl
from .stream import default_workers, render_stream

logger = logging.getLogger(__name__)

__all__ = [
    "PLOTTERS",
    "CAPTIONS",
    "SUMMARY_STEM",
    "FigureFile",
    "draw",
    "render_figures",
    "plot_ase_series",
    "plot_ta_map",
    "plot_ta_global",
    "plot_laser_series",
    "plot_time_series",
    "plot_pl_fluence_series",
    "plot_pl_order_summary",
    "plot_pl_spectrum",
    "plot_tpef",
    "plot_tpef_spectra",
    "plot_trpl",
    "plot_zscan",
    "plot_saturation",
    "plot_pl_decomposition",
]

PLOTTERS: dict[str, Callable[[PlotData], Figure]] = {
    "pl_fluence_series": plot_pl_fluence_series,
    "pl_spectrum": plot_pl_spectrum,
    "tpef": plot_tpef,
    "tpef_spectra": plot_tpef_spectra,
    "trpl": plot_trpl,
    "ase_series": plot_ase_series,
    "ta_map": plot_ta_map,
    "ta_global": plot_ta_global,
    "laser_series": plot_laser_series,
    "time_series": plot_time_series,
    "zscan": plot_zscan,
    "saturation": plot_saturation,
    "pl_decomposition": plot_pl_decomposition,
}
"""Plot family (docs/plot-data.md) → function drawing its figure."""

DRAW_COST: dict[str, float] = {
    "ase_series": 1.3, "ta_map": 1.0, "pl_fluence_series": 1.0, "ta_global": 1.5, "trpl": 0.9,
    "time_series": 0.9, "laser_series": 0.85, "tpef": 0.8, "pl_decomposition": 0.5,
    "tpef_spectra": 0.45, "pl_spectrum": 0.4, "zscan": 0.4, "saturation": 0.35,
}
"""Relative CPU time to draw and save one figure of each family (measured on the bundled
campaign; ~1 s on the build machine): :class:`.stream.FigureStream` draws what is left
costliest first, so that its processes finish together."""

CAPTIONS: dict[str, str] = {
    "pl_fluence_series": (
        "(a) PL spectra coloured by pump fluence; (b) the same spectra normalised to their "
        "maximum; (c) integrated PL vs fluence on log–log axes with the power-law fit over the "
        "points below saturation (filled; open points excluded), residuals in log₁₀ units below."
    ),
    "pl_spectrum": "PL spectrum with its peak energy and FWHM (shaded).",
    "tpef_spectra": (
        "One- (solid) and two-photon (dashed) excited emission of the sample, each normalised to "
        "its maximum: the TPEF method assumes both come from the same states (eta2 = eta1). "
        "With the sample's decays (decay_1p, decay_2p) a second panel overlays them, log scale, "
        "with their lifetimes."
    ),
    "tpef": (
        "Integrated two-photon PL of the sample and of the reference dye vs fluence with the "
        "quadratic fits (coef · F²); residuals below."
    ),
    "trpl": (
        "(e) PL decays normalised at long delay (shaded window), coloured by fluence; dashed: "
        "low-fluence traces averaged as the single-exciton reference. (f) High- minus "
        "low-fluence residual with its exponential fit (biexciton lifetime); residuals below."
    ),
    "ase_series": (
        "(a) Emission spectra vs fluence with the PL and first ASE peaks; (b) integrated "
        "emission vs fluence with the sub- and above-threshold lines and the threshold "
        "(band: ±1 stderr); (c) emission FWHM vs fluence."
    ),
    "ta_map": (
        "(a) Net absorbance A₀ + ΔA at selected delays; below the zero line is net gain, the "
        "shaded band is the gain region used for the bandwidth. (b) A₀ + ΔA map on a diverging "
        "scale centred at zero (blue: gain), zero contour in black, gain lifetime dashed."
    ),
    "ta_global": (
        "Global lifetime analysis of ΔA: (a) singular values with the noise threshold; (b) "
        "decay-associated spectra (bands: ±1 stderr) and the long-lived offset; (c) evolution-"
        "associated spectra of the sequential scheme; (d) kinetic traces at the DAS extrema with "
        "the global fit; (e) residual map; (f) ΔA near time zero with the fitted chirp t₀(E)."
    ),
    "laser_series": (
        "(a) Emission spectra vs fluence with the lasing modes; (b) lasing-line intensity vs "
        "fluence, the line fitted above threshold and the threshold where it reaches zero; "
        "residuals of the above-threshold points below."
    ),
    "time_series": (
        "(a) Spectra over time; (b) tracked lasing-mode energies (colour: mode); "
        "(c) integrated emission over time."
    ),
    "zscan": (
        "Open-aperture Z-scan: normalised transmittance vs sample position with the fit of the "
        "exact Gaussian-beam model (focus and Rayleigh range fitted unless given); residuals below."
    ),
    "saturation": (
        "Single-exciton amplitude vs peak ⟨N⟩ (from the fitted cross section) with the Poisson "
        "saturation curve averaged over the pump spot; dashed: the saturation amplitude."
    ),
    "pl_decomposition": (
        "(a) PL spectra coloured by fluence with the global two-band fit (dashed); (b) the "
        "biexciton band relative to the exciton peak, growing as P(N ≥ 2)."
    ),
    "pl_order": (
        "Integrated PL vs fluence of all samples on log–log axes with their fitted power laws "
        "(open points: saturated, excluded from the fit)."
    ),
}
"""Caption of each family's figure in the report."""

SUMMARY_STEM = "pl_order_all_samples"
"""File stem of the all-samples log–log PL panel (paper Fig. 2b)."""


@dataclass(frozen=True)
class FigureFile:
    """A figure of the report: where it was saved, or why it could not be drawn.

    ``png`` and ``svg`` are None and ``note`` says why when the plot did not hold
    enough to draw. ``sample`` and ``measurement`` are None for figures over all samples.
    """

    stem: str
    family: str
    sample: str | None
    measurement: int | None
    caption: str
    png: Path | None = None
    svg: Path | None = None
    note: str = ""


def draw(plot: PlotData) -> Figure:
    """The figure of one plot (raises :class:`InputError` if it cannot be drawn).

    Call it inside :func:`multiphoton.report.style.figure_style` for the house style.
    """
    family = plot.family
    if family not in PLOTTERS:
        raise InputError(
            f"plot data family {family!r} is unknown; known families: {', '.join(PLOTTERS)}"
        )
    return PLOTTERS[family](plot)


def _render_one(stem: str, plot: PlotData, directory: str, formats: tuple[str, ...]):
    """Draw and save one plot: ``(png, svg, note)`` (the paths None and a note if not drawn)."""
    with figure_style():
        try:
            fig = draw(plot)
        except InputError as exc:
            return None, None, str(exc)
        png, svg = save_figure(fig, directory, stem, formats)
    return png, svg, ""


def _default_processes(n_plots: int) -> int:
    # A worker interpreter costs about as much to start as drawing two or three figures.
    return max(1, min(n_plots // _MIN_PLOTS_PER_PROCESS, default_workers() + 1))


_MIN_PLOTS_PER_PROCESS = 4


def render_figures(plots: Sequence[PlotData], directory: str | Path, *, formats=FORMATS,
                   processes: int | None = None) -> list[FigureFile]:
    """Draw and save every plot (and the all-samples PL panel) into ``directory``.

    Parameters
    ----------
    plots : sequence of PlotData
        ``Results.plots``.
    directory : path
        Existing folder for ``<stem>.png`` and ``<stem>.svg``.
    formats : sequence of str or str, optional
        ``("png", "svg")`` (default), ``"png"`` or ``"svg"``; each figure is laid out once
        for all of them (:func:`multiphoton.report.style.save_figure`).
    processes : int, optional
        Processes drawing at once, each taking the next plot when it is free (default:
        one per core, with at least four plots each; 1 inside a daemonic process such as
        a Dask worker): this one and ``processes − 1`` worker interpreters
        (:mod:`.stream`). This process draws the all-samples panel first.

    Returns
    -------
    list of FigureFile
        In the order of ``plots``, the all-samples panel last. A plot that cannot be
        drawn (no data for any panel, unknown family) gives a FigureFile with a ``note``
        instead of files; the report shows the note. The files are the same whatever
        ``processes`` is.
    """
    directory = Path(directory)
    formats = check_formats(formats)
    n = _default_processes(len(plots)) if processes is None else max(1, int(processes))
    drawn, summary = render_stream(plots, directory, formats=formats, workers=n - 1,
                                   also=lambda: _summary(plots, directory, formats))
    return drawn + ([] if summary is None else [summary])


def _summary(plots, directory, formats) -> FigureFile | None:
    """The all-samples PL panel (None when no sample has a PL fluence series)."""
    with figure_style():
        try:
            fig = plot_pl_order_summary(plots)
        except InputError as exc:
            return FigureFile(SUMMARY_STEM, "pl_order", None, None, CAPTIONS["pl_order"],
                              note=str(exc))
        if fig is None:
            return None
        png, svg = save_figure(fig, directory, SUMMARY_STEM, formats)
    return FigureFile(SUMMARY_STEM, "pl_order", None, None, CAPTIONS["pl_order"], png, svg)
