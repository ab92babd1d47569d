"""One look for every figure: the rc style, colour maps, sizes, and saving.

Figures are :class:`matplotlib.figure.Figure` objects made directly (never pyplot),
drawn and saved inside :func:`figure_style`, a temporary ``rc_context``: nothing in
matplotlib's global state changes, and no backend is selected (each figure gets its own
Agg canvas for the PNG; ``Figure.savefig`` picks the SVG canvas for the SVG by itself).
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.backend_bases import FigureCanvasBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib import colors as mcolors
from matplotlib import ticker as mticker
from matplotlib.cm import ScalarMappable
from matplotlib.figure import Figure

from ..errors import UsageError

__all__ = [
    "STYLE",
    "PNG_DPI",
    "PANEL_IN",
    "FLUENCE_CMAP",
    "TIME_CMAP",
    "DIVERGING_CMAP",
    "FIT_COLOR",
    "DATA_COLOR",
    "MUTED_COLOR",
    "figure_style",
    "new_figure",
    "fluence_mappable",
    "add_colorbar",
    "tidy_log_axis",
    "tidy_symlog_axis",
    "panel_label",
    "safe_name",
    "figure_stem",
    "save_figure",
    "FORMATS",
    "check_formats",
]

PNG_DPI = 200
"""Resolution of saved PNGs (publication quality; ≥ 150 dpi)."""

PANEL_IN = (3.3, 2.6)
"""Width and height of one panel, inches."""

FLUENCE_CMAP = "viridis"
"""Spectra and traces coloured by pump fluence."""

TIME_CMAP = "plasma"
"""Traces coloured by time (or by fluence in decay plots)."""

DIVERGING_CMAP = "RdBu_r"
"""Signed maps centred at zero (net absorbance: blue is gain)."""

FIT_COLOR = "#d62728"
DATA_COLOR = "#1f3b73"
MUTED_COLOR = "#8a8a8a"

STYLE: dict[str, object] = {
    # DejaVu Sans (shipped with matplotlib) draws every figure; an SVG viewer without it is
    # told to use its own sans-serif ("font-family: 'DejaVu Sans', sans-serif"). One family,
    # not a list: each text's font is then looked up once, not once per entry (~4 % fewer
    # instructions to draw a figure)
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 8.5,
    "axes.titlesize": 9.5,
    "axes.labelsize": 8.5,
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlelocation": "left",
    "xtick.labelsize": 7.5,
    "ytick.labelsize": 7.5,
    "xtick.direction": "out",
    "ytick.direction": "out",
    "legend.fontsize": 7,
    "legend.frameon": False,
    "lines.linewidth": 1.2,
    "lines.markersize": 4.0,
    # Glyphs as the font draws them, not snapped to the pixel grid: at PNG_DPI (200) hinting
    # changes nothing visible, and unhinted text draws ~20 % faster (and matches the SVG)
    "text.hinting": "no_hinting",
    "figure.dpi": 100,
    "savefig.dpi": PNG_DPI,
    "savefig.facecolor": "white",
    "image.cmap": FLUENCE_CMAP,
    # SVG text stays text (<text> in DejaVu Sans, matplotlib's own font): editable and
    # searchable in Inkscape or Illustrator, and a fifth less drawing time than glyph paths
    "svg.fonttype": "none",
    "svg.hashsalt": "multiphoton",
}
"""rcParams applied (temporarily) while figures are made and saved."""


def figure_style():
    """Context manager applying :data:`STYLE` for the duration of a ``with`` block."""
    return matplotlib.rc_context(STYLE)


def new_figure(n_panels: int = 1, *, height_ratio: float = 1.0) -> Figure:
    """A constrained-layout :class:`Figure` sized for ``n_panels`` side by side."""
    width = PANEL_IN[0] * max(1, n_panels)
    return Figure(figsize=(width, PANEL_IN[1] * height_ratio), layout="constrained")


def fluence_mappable(fluence_mJ_cm2, *, cmap: str = FLUENCE_CMAP) -> ScalarMappable:
    """Colour scale for a set of fluences: logarithmic when they span > 5× and are positive.

    Parameters
    ----------
    fluence_mJ_cm2 : array_like of shape (F,)
        Pump fluences, mJ/cm².

    Returns
    -------
    ScalarMappable
        ``mappable.to_rgba(f)`` gives the colour of fluence ``f``; pass it to
        :func:`add_colorbar`.
    """
    f = np.asarray(fluence_mJ_cm2, dtype=float)
    f = f[np.isfinite(f)]
    if f.size == 0:
        norm = mcolors.Normalize(0.0, 1.0)
    elif f.min() > 0 and f.max() / f.min() > 5.0:
        norm = mcolors.LogNorm(f.min(), f.max())
    else:
        lo, hi = float(f.min()), float(f.max())
        norm = mcolors.Normalize(lo, hi if hi > lo else lo + 1.0)
    return ScalarMappable(norm=norm, cmap=cmap)


def add_colorbar(fig: Figure, mappable: ScalarMappable, ax, label: str):
    """Colour bar beside ``ax`` (or a list of axes) with ``label``."""
    bar = fig.colorbar(mappable, ax=ax, pad=0.02, fraction=0.05, aspect=30)
    bar.set_label(label)
    if isinstance(mappable.norm, mcolors.LogNorm):
        tidy_log_axis(bar.ax.yaxis)
    return bar


def tick_text(value: float) -> str:
    """One tick style on every log axis: ``0.2``, ``50``, ``5000`` as plain numbers and
    ``10⁵``, ``2×10⁶`` beyond (``{:g}`` mixed ``100000`` with ``1e+06`` on one axis).

    Examples
    --------
    >>> tick_text(0.2), tick_text(5000.0), tick_text(1e5), tick_text(2e6), tick_text(1e-4)
    ('0.2', '5000', '10⁵', '2×10⁶', '10⁻⁴')
    >>> tick_text(-10.0), tick_text(-1e5)  # a symlog axis: the minus sign, not a hyphen
    ('−10', '−10⁵')

    Plain text rather than matplotlib's ``$\\mathdefault{10^{5}}$``: no mathtext to parse
    (it was ~5 % of the report's drawing time, each label parsed once per resolution).
    """
    v = float(value)
    if v == 0 or not math.isfinite(v) or 1e-3 <= abs(v) < 1e4:
        return f"{v:g}".replace("-", "\N{MINUS SIGN}")
    n = int(math.floor(math.log10(abs(v)) + 1e-9))
    m = abs(v) / 10.0**n
    power = "10" + str(n).translate(str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻"))
    sign = "\N{MINUS SIGN}" if v < 0 else ""
    return sign + (power if abs(m - 1.0) < 1e-6 else f"{m:g}×{power}")


def tidy_log_axis(axis) -> None:
    """Plain-number tick labels (``0.2``, ``1``, ``5``) on a logarithmic ``axis``.

    Matplotlib labels minor ticks as ``2×10⁻¹`` when an axis spans less than a decade,
    which crowds the small panels of the report; this labels majors and the 2 and 5
    minors with :func:`tick_text` and leaves the other minors unlabelled. The 2 and 5
    minors are labelled only when the axis spans at most 30× or shows fewer than two
    powers of ten (a single labelled tick cannot be read).
    """
    fmt = mticker.FuncFormatter(lambda v, _pos: tick_text(v))
    axis.set_major_formatter(fmt)
    axis.set_minor_locator(mticker.LogLocator(base=10.0, subs=(2.0, 5.0)))

    def minor(value, _pos):
        lo, hi = sorted(axis.get_view_interval())
        if lo > 0 and hi / lo > 30.0:
            # a wide axis keeps its minors unlabelled unless it shows fewer than two powers of ten
            decades = math.floor(math.log10(hi) + 1e-9) - math.ceil(math.log10(lo) - 1e-9) + 1
            if decades >= 2:
                return ""
        return tick_text(value)

    axis.set_minor_formatter(mticker.FuncFormatter(minor))


def tidy_symlog_axis(axis) -> None:
    """The :func:`tick_text` labels on a ``symlog`` ``axis`` (``−10``, ``0``, ``10``, ``10³``);
    its minor ticks stay unlabelled."""
    axis.set_major_formatter(mticker.FuncFormatter(lambda v, _pos: tick_text(v)))


def panel_label(ax, letter: str) -> None:
    """Bold panel letter in the top-left corner, outside the axes."""
    ax.text(
        -0.02, 1.02, letter, transform=ax.transAxes, fontweight="bold",
        fontsize=10, ha="right", va="bottom",
    )


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(text: object) -> str:
    """``text`` made safe as a file-name part (runs of other characters become ``_``).

    Examples
    --------
    >>> safe_name("QS 4.5/nm")
    'QS_4.5_nm'
    """
    name = _UNSAFE.sub("_", str(text)).strip("_")
    return name or "_"


def figure_stem(family: str, sample: object, measurement: object) -> str:
    """Deterministic file stem ``<family>_<sample>_<k>``.

    ``measurement`` is the 0-based index of the measurement; ``k`` counts from 1, as the
    figure titles and error messages do ("measurement #4" is ``…_4``).

    Examples
    --------
    >>> figure_stem("trpl", "QS-4.5", 3)
    'trpl_QS-4.5_4'
    """
    k = measurement + 1 if isinstance(measurement, int) and not isinstance(measurement, bool) else measurement
    return "_".join(safe_name(p) for p in (family, sample, k))


FORMATS = ("png", "svg")
"""Figure file formats written by default (data contract: every figure as PNG and SVG)."""


def check_formats(formats) -> tuple[str, ...]:
    """``formats`` (a sequence, or a comma-separated string such as ``"png,svg"``) checked.

    Raises
    ------
    UsageError
        If a format is not ``png`` or ``svg``, or none is given.

    Examples
    --------
    >>> check_formats("svg, png")
    ('png', 'svg')
    """
    items = formats.split(",") if isinstance(formats, str) else list(formats)
    items = [str(f).strip().lower() for f in items if str(f).strip()]
    bad = [f for f in items if f not in FORMATS]
    if bad or not items:
        raise UsageError(
            f"figure format(s) {', '.join(map(repr, bad)) or 'none given'} not known; "
            "give png, svg or png,svg (e.g. --figures png,svg)"
        )
    return tuple(f for f in FORMATS if f in items)


def save_figure(fig: Figure, directory: str | Path, stem: str,
                formats=FORMATS) -> tuple[Path | None, Path | None]:
    """Save ``fig`` as ``<stem>.png`` (:data:`PNG_DPI`) and/or ``<stem>.svg`` in ``directory``.

    The layout (constrained layout, the costly part) is computed once, before the
    first file is drawn, and then frozen, so neither format lays the figure out again
    or draws it twice. Metadata that changes between runs (dates, software version)
    is left out so that the same figure data gives the same files.

    Returns
    -------
    (Path or None, Path or None)
        The PNG and the SVG written (None for a format not asked for).
    """
    formats = check_formats(formats)
    directory = Path(directory)
    png = directory / f"{stem}.png" if "png" in formats else None
    svg = directory / f"{stem}.svg" if "svg" in formats else None
    engine = fig.get_layout_engine()
    if engine is not None:
        # Lay out once, here, then save without a layout engine: with one, every savefig
        # draws the figure once more (invisibly) before drawing it into the file.
        fig.set_dpi(PNG_DPI if png is not None else fig.dpi)
        if png is not None and type(fig.canvas) is FigureCanvasBase:
            # an Agg canvas keeps one renderer: the text measured for the layout is not
            # measured again when the PNG is drawn
            FigureCanvasAgg(fig)
        for ax in fig.axes:
            # The layout measures each Axes' tick labels once through its axis; measuring the
            # spines as well computes every tick again (a few per cent of the drawing time)
            # only to add the tick marks, which lie inside the labels' padding anyway.
            for spine in ax.spines.values():
                spine.set_in_layout(False)
        engine.execute(fig)
        fig.set_layout_engine(None)
        for ax in fig.axes:
            # The layout placed each title clear of tick labels and offset texts: keep it
            # there. Otherwise every draw places it again, measuring the whole y axis of
            # each titled panel once more (~12 % of the drawing time). matplotlib has no
            # public switch for one Axes (``set_title(y=…)`` would also reset its style).
            if hasattr(ax, "_autotitlepos"):
                ax._autotitlepos = False
        if isinstance(fig.canvas, FigureCanvasAgg):
            _freeze_axis_labels(fig, fig.canvas.get_renderer())
    if png is not None:
        _save_png(fig, png)
    if svg is not None:
        fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    return png, svg




def _save_png(fig: Figure, path: Path) -> None:
    """Write ``fig`` as an opaque RGB PNG at :data:`PNG_DPI`.

    What ``savefig(format="png")`` draws, without its alpha channel: the figures are
    opaque (white background), and PNG's per-row filtering and zlib then handle three
    bytes a pixel instead of four, half the encoding time for files ~10 % smaller. zlib
    level 1: a third of the encoding time of the default 6 for files ~10 % larger. No
    metadata that changes between runs (software version).
    """
    from PIL import Image

    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    fig.set_dpi(PNG_DPI)
    fig.canvas.draw()
    rgba = fig.canvas.buffer_rgba()
    width, height = fig.canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", (width, height), rgba, "raw", "RGBA", 0, 1).convert("RGB")
    image.save(path, format="png", compress_level=1, dpi=(PNG_DPI, PNG_DPI))


def _freeze_axis_labels(fig: Figure, renderer) -> None:
    """Fix every axis label where the laid-out figure puts it, in axes coordinates.

    An axis label's distance from its axis is, by default, measured anew at every draw
    from the tick labels of that axis (the ticks computed once more for it; a few per cent of the
    drawing time, twice per figure). Here it is measured once, after the layout, and
    fixed with the public :meth:`~matplotlib.axis.Axis.set_label_coords`: in axes
    coordinates, so the PNG (200 dpi) and the SVG (72) place it alike. Axes placed by a
    locator at draw time (colour bars, insets) are left to place theirs.
    """
    for ax in fig.axes:
        box = ax.bbox
        if ax.get_axes_locator() is not None or box.width <= 0 or box.height <= 0:
            continue  # a colour bar or inset: its locator moves it at draw time; left as it is
        for axis in (ax.xaxis, ax.yaxis):
            label = axis.label
            if not (label.get_visible() and label.get_text()) or not getattr(axis, "_autolabelpos", False):
                continue
            axis._update_label_position(renderer)  # what the next draw would do, once
            x, y = label.get_position()
            if axis is ax.xaxis:  # x in axes fraction, y in pixels
                axis.set_label_coords(x, (y - box.y0) / box.height)
            else:  # x in pixels, y in axes fraction
                axis.set_label_coords((x - box.x0) / box.width, y)


def finite_pairs(x: Sequence[float], y: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """``x`` and ``y`` as float arrays keeping only points where both are finite."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    return x[keep], y[keep]
