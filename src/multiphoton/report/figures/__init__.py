"""Figures of the report, one module per family, each reading only plot objects
(:mod:`multiphoton.plotdata`, docs/plot-data.md) and returning a
:class:`matplotlib.figure.Figure`.

:func:`render_figures` draws every plot, plus the all-samples PL-order panel,
and saves each as PNG and SVG named ``<family>_<sample>_<measurement>``.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from matplotlib.figure import Figure

from ...errors import InputError
from ...plotdata import PlotData
from ..style import figure_stem, figure_style, save_figure
from .ase import plot_ase_series
from .crosscheck import plot_pl_decomposition, plot_saturation, plot_zscan
from .gain import plot_ta_map
from .laser import plot_laser_series, plot_time_series
from .pl import plot_pl_fluence_series, plot_pl_order_summary, plot_pl_spectrum
from .tpef import plot_tpef
from .trpl import plot_trpl

__all__ = [
    "PLOTTERS",
    "CAPTIONS",
    "SUMMARY_STEM",
    "FigureFile",
    "draw",
    "render_figures",
    "plot_ase_series",
    "plot_ta_map",
    "plot_laser_series",
    "plot_time_series",
    "plot_pl_fluence_series",
    "plot_pl_order_summary",
    "plot_pl_spectrum",
    "plot_tpef",
    "plot_trpl",
    "plot_zscan",
    "plot_saturation",
    "plot_pl_decomposition",
]

PLOTTERS: dict[str, Callable[[PlotData], Figure]] = {
    "pl_fluence_series": plot_pl_fluence_series,
    "pl_spectrum": plot_pl_spectrum,
    "tpef": plot_tpef,
    "trpl": plot_trpl,
    "ase_series": plot_ase_series,
    "ta_map": plot_ta_map,
    "laser_series": plot_laser_series,
    "time_series": plot_time_series,
    "zscan": plot_zscan,
    "saturation": plot_saturation,
    "pl_decomposition": plot_pl_decomposition,
}
"""Plot family (docs/plot-data.md) → function drawing its figure."""

CAPTIONS: dict[str, str] = {
    "pl_fluence_series": (
        "(a) PL spectra coloured by pump fluence; (b) the same spectra normalised to their "
        "maximum; (c) integrated PL vs fluence on log–log axes with the power-law fit over the "
        "points below saturation (filled; open points excluded), residuals in log₁₀ units below."
    ),
    "pl_spectrum": "PL spectrum with its peak energy and FWHM (shaded).",
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


def _unique(stem: str, seen: set[str]) -> str:
    base, k = stem, 2
    while stem in seen:
        stem, k = f"{base}-{k}", k + 1
    seen.add(stem)
    return stem


def render_figures(plots: Sequence[PlotData], directory: str | Path) -> list[FigureFile]:
    """Draw and save every plot (and the all-samples PL panel) into ``directory``.

    Parameters
    ----------
    plots : sequence of PlotData
        ``Results.plots``.
    directory : path
        Existing folder for ``<stem>.png`` and ``<stem>.svg``.

    Returns
    -------
    list of FigureFile
        In the order of ``plots``, the all-samples panel last. A plot that cannot be
        drawn (no data for any panel, unknown family) gives a FigureFile with a ``note``
        instead of files; the report shows the note.
    """
    directory = Path(directory)
    out: list[FigureFile] = []
    seen: set[str] = set()
    with figure_style():
        for plot in plots:
            stem = _unique(figure_stem(plot.family, plot.sample, plot.measurement), seen)
            caption = CAPTIONS.get(plot.family, "")
            try:
                fig = draw(plot)
            except InputError as exc:
                out.append(FigureFile(stem, plot.family, plot.sample, plot.measurement, caption,
                                      note=str(exc)))
                continue
            png, svg = save_figure(fig, directory, stem)
            out.append(FigureFile(stem, plot.family, plot.sample, plot.measurement, caption, png, svg))
        try:
            summary = plot_pl_order_summary(plots)
        except InputError as exc:
            out.append(FigureFile(SUMMARY_STEM, "pl_order", None, None, CAPTIONS["pl_order"],
                                  note=str(exc)))
            summary = None
        if summary is not None:
            png, svg = save_figure(summary, directory, SUMMARY_STEM)
            out.append(FigureFile(SUMMARY_STEM, "pl_order", None, None, CAPTIONS["pl_order"], png, svg))
    return out
