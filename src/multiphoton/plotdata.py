"""Typed figure data: what the pipeline hands the report, one frozen class per family.

The pipeline builds these objects (one per figure) into ``Results.plots``; the report
reads them by attribute and never computes physics. ``plot_data.json`` holds
``[plot.to_json() for plot in plots]`` so that ``multiphoton report`` can redraw every
figure without refitting; :func:`plot_from_json` reads an entry back (strictly:
unknown families and keys are refused). See docs/plot-data.md.

Arrays are stored as read-only numpy arrays (a copy of what was given; ``None`` inside
a float array becomes NaN). Optional fields default to None. Numbers that are not
finite are stored as None, exactly as they are written to JSON. Shapes are checked
against the family's axes when an object is made, so a figure never meets an array
that does not match its axis.

Examples
--------
>>> p = PLSpectrumPlot(sample="QS-4.5", measurement=0, energy_eV=[1.9, 2.0, 2.1],
...                    counts=[1.0, 3.0, 1.0], peak_eV=2.0)
>>> p.energy_eV.flags.writeable
False
>>> d = p.to_json()
>>> d["family"], d["fwhm_meV"]
('pl_spectrum', None)
>>> plot_from_json(d) == p
True
"""
from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, ClassVar

import numpy as np

from .errors import InputError
from .plotdata_base import _RECORDS, PlotData, _array, _number
from .plotdata_methods import PLDecompositionPlot, SaturationPlot, TAGlobalPlot, ZScanPlot

__all__ = [
    "PlotData",
    "PLSpectrumPlot",
    "PLFluenceSeriesPlot",
    "TPEFPlot",
    "TRPLPlot",
    "ASESeriesPlot",
    "TAMapPlot",
    "LaserSeriesPlot",
    "TimeSeriesPlot",
    "TAGlobalPlot",
    "TPEFSpectraPlot",
    "ZScanPlot",
    "SaturationPlot",
    "PLDecompositionPlot",
    "PLOT_TYPES",
    "plot_from_json",
]

@dataclass(frozen=True, kw_only=True, eq=False)
class PLSpectrumPlot(PlotData):
    """One PL spectrum with its peak and width (family ``pl_spectrum``).

    Parameters
    ----------
    energy_eV : ndarray of shape (M,)
        Photon energy grid, eV.
    counts : ndarray of shape (M,)
        PL intensity per energy bin, counts.
    peak_eV : float or None
        Fitted peak energy, eV (None when the fit failed).
    fwhm_meV : float or None
        Full width at half maximum, meV.
    """

    family: ClassVar[str] = "pl_spectrum"
    _AXES: ClassVar[Mapping[str, tuple]] = {"counts": ("energy_eV",)}

    energy_eV: np.ndarray = _array(required=True)
    counts: np.ndarray = _array(required=True)
    peak_eV: float | None = _number()
    fwhm_meV: float | None = _number()


@dataclass(frozen=True, kw_only=True, eq=False)
class PLFluenceSeriesPlot(PlotData):
    """PL spectra vs pump fluence and the power-law fit (family ``pl_fluence_series``).

    Parameters
    ----------
    fluence_mJ_cm2 : ndarray of shape (F,)
        Pump fluence, mJ cm⁻².
    energy_eV : ndarray of shape (M,)
        Photon energy grid, eV.
    counts : ndarray of shape (F, M)
        One PL spectrum per fluence, counts.
    integrated : ndarray of shape (F,)
        Spectrally integrated PL, counts × eV.
    used : ndarray of bool, shape (F,), or None
        Points in the power-law fit (below saturation).
    slope, slope_stderr : float or None
        Power-law order and its standard error.
    intercept : float or None
        log10 of the integrated PL at log10 fluence 0.
    """

    family: ClassVar[str] = "pl_fluence_series"
    _AXES: ClassVar[Mapping[str, tuple]] = {
        "counts": ("fluence_mJ_cm2", "energy_eV"), "integrated": ("fluence_mJ_cm2",),
        "used": ("fluence_mJ_cm2",)}

    fluence_mJ_cm2: np.ndarray = _array(required=True)
    energy_eV: np.ndarray = _array(required=True)
    counts: np.ndarray = _array(float, 2, required=True)
    integrated: np.ndarray = _array(required=True)
    used: np.ndarray | None = _array(bool)
    slope: float | None = _number()
    slope_stderr: float | None = _number()
    intercept: float | None = _number()


@dataclass(frozen=True, kw_only=True, eq=False)
class TPEFPlot(PlotData):
    """Two-photon PL of sample and reference dye vs fluence (family ``tpef``).

    Parameters
    ----------
    sample_fluence_mJ_cm2 : ndarray of shape (F,)
        Fluence of the sample's two-photon series, mJ cm⁻².
    sample_integrated : ndarray of shape (F,)
        Integrated two-photon PL of the sample, counts × eV.
    reference_fluence_mJ_cm2 : ndarray of shape (G,)
        Fluence of the reference dye's series, mJ cm⁻².
    reference_integrated : ndarray of shape (G,)
        Integrated two-photon PL of the reference, counts × eV.
    sample_coef, reference_coef : float or None
        Quadratic coefficients: integrated = coef · F².
    """

    family: ClassVar[str] = "tpef"
    _AXES: ClassVar[Mapping[str, tuple]] = {
        "sample_integrated": ("sample_fluence_mJ_cm2",),
        "reference_integrated": ("reference_fluence_mJ_cm2",)}

    sample_fluence_mJ_cm2: np.ndarray = _array(required=True)
    sample_integrated: np.ndarray = _array(required=True)
    reference_fluence_mJ_cm2: np.ndarray = _array(required=True)
    reference_integrated: np.ndarray = _array(required=True)
    sample_coef: float | None = _number()
    reference_coef: float | None = _number()


@dataclass(frozen=True, kw_only=True, eq=False)
class TPEFSpectraPlot(PlotData):
    """One- and two-photon emission of a sample overlaid (family ``tpef_spectra``; paper Fig. 2d).

    Parameters
    ----------
    energy_1p_eV : ndarray of shape (M,)
        Energy axis of the one-photon spectrum, eV.
    counts_1p : ndarray of shape (M,)
        One-photon excited emission, normalised to its maximum.
    energy_2p_eV : ndarray of shape (K,)
        Energy axis of the two-photon spectrum, eV.
    counts_2p : ndarray of shape (K,)
        Two-photon excited emission (unsaturated spectra summed), normalised to its maximum.
    peak_shift_meV : float or None
        Two- minus one-photon peak energy, meV.
    time_1p_ns, decay_1p : ndarray of shape (T,) or None
        The one-photon excited decay (ns; counts normalised to the maximum), when given.
    time_2p_ns, decay_2p : ndarray of shape (S,) or None
        The two-photon excited decay, likewise.
    tau_1p_ns, tau_2p_ns : float or None
        Their lifetimes (:func:`multiphoton.analysis.lifetime.compare_lifetimes`), ns.
    """

    family: ClassVar[str] = "tpef_spectra"
    _AXES: ClassVar[Mapping[str, tuple]] = {"counts_1p": ("energy_1p_eV",), "counts_2p": ("energy_2p_eV",),
                                            "decay_1p": ("time_1p_ns",), "decay_2p": ("time_2p_ns",)}

    energy_1p_eV: np.ndarray = _array(required=True)
    counts_1p: np.ndarray = _array(required=True)
    energy_2p_eV: np.ndarray = _array(required=True)
    counts_2p: np.ndarray = _array(required=True)
    peak_shift_meV: float | None = _number()
    time_1p_ns: np.ndarray | None = _array()
    decay_1p: np.ndarray | None = _array()
    time_2p_ns: np.ndarray | None = _array()
    decay_2p: np.ndarray | None = _array()
    tau_1p_ns: float | None = _number()
    tau_2p_ns: float | None = _number()


@dataclass(frozen=True, kw_only=True, eq=False)
class TRPLPlot(PlotData):
    """Time-resolved PL traces and the biexciton residual (family ``trpl``).

    Parameters
    ----------
    time_ns : ndarray of shape (T,)
        Delay after excitation, ns.
    fluence_mJ_cm2 : ndarray of shape (F,)
        Pump fluence of each trace, mJ cm⁻².
    normalized : ndarray of shape (F, T)
        Each trace divided by its mean in the normalisation window.
    window_ns : ndarray of shape (2,)
        Normalisation window (start, stop), ns.
    low_fluence : ndarray of bool, shape (F,)
        Traces averaged as the single-exciton reference.
    residual_time_ns : ndarray of shape (R,)
        Time axis of the residual, ns.
    residual : ndarray of shape (R,)
        High-fluence minus low-fluence mean (normalised units).
    residual_fit : ndarray of shape (R,) or None
        Exponential fit of ``residual`` (None when it failed).
    tau_xx_ns, tau_x_ns : float or None
        Biexciton and single-exciton lifetimes, ns.
    tau_xx_stderr, tau_x_stderr : float or None
        Their standard errors, ns (legends print the value at the precision they allow).
    """

    family: ClassVar[str] = "trpl"
    _AXES: ClassVar[Mapping[str, tuple]] = {
        "normalized": ("fluence_mJ_cm2", "time_ns"), "window_ns": (2,),
        "low_fluence": ("fluence_mJ_cm2",), "residual": ("residual_time_ns",),
        "residual_fit": ("residual_time_ns",)}

    time_ns: np.ndarray = _array(required=True)
    fluence_mJ_cm2: np.ndarray = _array(required=True)
    normalized: np.ndarray = _array(float, 2, required=True)
    window_ns: np.ndarray = _array(required=True)
    low_fluence: np.ndarray = _array(bool, required=True)
    residual_time_ns: np.ndarray = _array(required=True)
    residual: np.ndarray = _array(required=True)
    residual_fit: np.ndarray | None = _array()
    tau_xx_ns: float | None = _number()
    tau_x_ns: float | None = _number()
    tau_xx_stderr: float | None = _number()
    tau_x_stderr: float | None = _number()


@dataclass(frozen=True, kw_only=True, eq=False)
class ASESeriesPlot(PlotData):
    """Emission spectra vs fluence and the ASE threshold (family ``ase_series``).

    Parameters
    ----------
    fluence_mJ_cm2 : ndarray of shape (F,)
        Pump fluence, mJ cm⁻².
    energy_eV : ndarray of shape (M,)
        Photon energy grid, eV.
    counts : ndarray of shape (F, M)
        One emission spectrum per fluence, counts.
    integrated : ndarray of shape (F,)
        Integrated emission, counts × eV.
    fwhm_meV : ndarray of shape (F,)
        Emission FWHM per fluence, meV (NaN where not measurable).
    threshold_mJ_cm2, threshold_stderr : float or None
        ASE threshold and its standard error, mJ cm⁻².
    below_fit, above_fit : ndarray of shape (2,) or None
        (slope, intercept) of integrated vs fluence below / above threshold, linear axes.
    ase_peak_eV, pl_peak_eV : float or None
        ASE and PL peak energies, eV.
    """

    family: ClassVar[str] = "ase_series"
    _AXES: ClassVar[Mapping[str, tuple]] = {
        "counts": ("fluence_mJ_cm2", "energy_eV"), "integrated": ("fluence_mJ_cm2",),
        "fwhm_meV": ("fluence_mJ_cm2",), "below_fit": (2,), "above_fit": (2,)}

    fluence_mJ_cm2: np.ndarray = _array(required=True)
    energy_eV: np.ndarray = _array(required=True)
    counts: np.ndarray = _array(float, 2, required=True)
    integrated: np.ndarray = _array(required=True)
    fwhm_meV: np.ndarray = _array(required=True)
    threshold_mJ_cm2: float | None = _number()
    threshold_stderr: float | None = _number()
    below_fit: np.ndarray | None = _array()
    above_fit: np.ndarray | None = _array()
    ase_peak_eV: float | None = _number()
    pl_peak_eV: float | None = _number()


@dataclass(frozen=True, kw_only=True, eq=False)
class TAMapPlot(PlotData):
    """Transient-absorption map and the net-gain analysis (family ``ta_map``).

    Parameters
    ----------
    delay_ps : ndarray of shape (D,)
        Pump–probe delay, ps.
    energy_eV : ndarray of shape (M,)
        Probe photon energy, eV.
    bandwidth_delay_ps : float
        Delay at which the gain bandwidth is measured, ps.
    gain_delays_ps : ndarray of shape (K,)
        Delays chosen for the gain spectra, ps.
    gain_region_eV : ndarray of shape (J, 2)
        [lo, hi] energy intervals of net gain at ``bandwidth_delay_ps``, eV (J may be 0).
    net_absorbance : ndarray of shape (D, M) or None
        A₀ + ΔA, OD (None without a ground-state spectrum).
    dA : ndarray of shape (D, M) or None
        ΔA, OD: given instead of ``net_absorbance`` when there is no ground state.
    ground_state : ndarray of shape (M,) or None
        A₀ on the TA grid, OD.
    noise_od : float or None
        Noise level of ΔA, OD.
    gain_lifetime_stderr : float or None
        Standard error of ``gain_lifetime_ns``, ns.
    gain_lifetime_ns : float or None
        Gain lifetime, ns.
    gain_peak_eV : ndarray of shape (D,) or None
        Energy of maximal net gain at each delay, eV (NaN where there is none).
    """

    family: ClassVar[str] = "ta_map"
    _AXES: ClassVar[Mapping[str, tuple]] = {
        "net_absorbance": ("delay_ps", "energy_eV"), "dA": ("delay_ps", "energy_eV"),
        "ground_state": ("energy_eV",), "gain_peak_eV": ("delay_ps",)}

    delay_ps: np.ndarray = _array(required=True)
    energy_eV: np.ndarray = _array(required=True)
    bandwidth_delay_ps: float = _number(required=True)
    gain_delays_ps: np.ndarray = _array(required=True)
    gain_region_eV: np.ndarray = _array(float, 2, required=True)
    net_absorbance: np.ndarray | None = _array(float, 2)
    dA: np.ndarray | None = _array(float, 2)
    ground_state: np.ndarray | None = _array()
    noise_od: float | None = _number()
    gain_lifetime_ns: float | None = _number()
    gain_lifetime_stderr: float | None = _number()
    gain_peak_eV: np.ndarray | None = _array()

    def __post_init__(self):
        super().__post_init__()
        regions = self.gain_region_eV
        if regions.size and regions.shape[1] != 2:
            raise InputError(f"{self._where()}: key 'gain_region_eV' must be [[lo, hi], …], "
                             f"got shape {regions.shape}")


@dataclass(frozen=True, kw_only=True, eq=False)
class LaserSeriesPlot(PlotData):
    """Laser spectra vs fluence and the lasing threshold (family ``laser_series``).

    Parameters
    ----------
    fluence_mJ_cm2 : ndarray of shape (F,)
        Pump fluence, mJ cm⁻².
    energy_eV : ndarray of shape (M,)
        Photon energy grid, eV.
    counts : ndarray of shape (F, M)
        One emission spectrum per fluence, counts.
    line_intensity : ndarray of shape (F,)
        Lasing-line intensity, counts (NaN where no line).
    above : ndarray of bool, shape (F,)
        Points above threshold (in the linear fit).
    fit : ndarray of shape (2,)
        (slope, intercept) of line intensity vs fluence above threshold (NaN if none).
    mode_eV : ndarray of shape (K,)
        Lasing-mode energies, eV (K may be 0).
    threshold_mJ_cm2 : float or None
        Lasing threshold, mJ cm⁻².
    threshold_stderr : float or None
        Its standard error, mJ cm⁻².
    linewidth_meV : float or None
        Lasing linewidth, meV.
    """

    family: ClassVar[str] = "laser_series"
    _AXES: ClassVar[Mapping[str, tuple]] = {
        "counts": ("fluence_mJ_cm2", "energy_eV"), "line_intensity": ("fluence_mJ_cm2",),
        "above": ("fluence_mJ_cm2",), "fit": (2,)}

    fluence_mJ_cm2: np.ndarray = _array(required=True)
    energy_eV: np.ndarray = _array(required=True)
    counts: np.ndarray = _array(float, 2, required=True)
    line_intensity: np.ndarray = _array(required=True)
    above: np.ndarray = _array(bool, required=True)
    fit: np.ndarray = _array(required=True)
    mode_eV: np.ndarray = _array(required=True)
    threshold_mJ_cm2: float | None = _number()
    threshold_stderr: float | None = _number()
    linewidth_meV: float | None = _number()


@dataclass(frozen=True, kw_only=True, eq=False)
class TimeSeriesPlot(PlotData):
    """Emission over time: spectra, tracked lasing modes, intensity (family ``time_series``).

    Parameters
    ----------
    time_s : ndarray of shape (S,)
        Time of each spectrum, s.
    energy_eV : ndarray of shape (M,)
        Photon energy grid, eV.
    counts : ndarray of shape (S, M)
        One spectrum per time, counts.
    integrated : ndarray of shape (S,)
        Integrated emission, counts × eV.
    mode_time_s : ndarray of shape (P,)
        Time of each tracked mode point, s (P may be 0).
    mode_eV : ndarray of shape (P,)
        Mode energy of each point, eV.
    mode_track : ndarray of int, shape (P,)
        Track label of each point.
    mode_events : tuple of dict
        Track events: ``{"time_s", "kind"`` ("appear", "split", "disappear"),
        ``"track", "parent"}``.
    drift_meV_per_min : float or None
        Mode drift, meV min⁻¹.
    retention : float or None
        Intensity retention (end over start, dimensionless).
    """

    family: ClassVar[str] = "time_series"
    _AXES: ClassVar[Mapping[str, tuple]] = {
        "counts": ("time_s", "energy_eV"), "integrated": ("time_s",),
        "mode_eV": ("mode_time_s",), "mode_track": ("mode_time_s",)}

    time_s: np.ndarray = _array(required=True)
    energy_eV: np.ndarray = _array(required=True)
    counts: np.ndarray = _array(float, 2, required=True)
    integrated: np.ndarray = _array(required=True)
    mode_time_s: np.ndarray = _array(required=True)
    mode_eV: np.ndarray = _array(required=True)
    mode_track: np.ndarray = _array(int, required=True)
    mode_events: tuple = field(default=(), metadata={"kind": _RECORDS})
    drift_meV_per_min: float | None = _number()
    retention: float | None = _number()


PLOT_TYPES: dict[str, type[PlotData]] = {
    cls.family: cls
    for cls in (PLSpectrumPlot, PLFluenceSeriesPlot, TPEFPlot, TPEFSpectraPlot, TRPLPlot, ASESeriesPlot,
                TAMapPlot, TAGlobalPlot, LaserSeriesPlot, TimeSeriesPlot, ZScanPlot, SaturationPlot,
                PLDecompositionPlot)
}
"""Family name (as in ``plot_data.json``) → its class."""


def plot_from_json(d: Mapping[str, Any]) -> PlotData:
    """The plot object of one ``plot_data.json`` entry (the inverse of ``to_json``).

    Parameters
    ----------
    d : mapping
        ``{"family": …, "sample": …, "measurement": …, <the family's keys>}``.

    Returns
    -------
    PlotData
        An instance of ``PLOT_TYPES[d["family"]]``.

    Raises
    ------
    InputError
        If the family is unknown, a key is not a field of the family (strict), a
        required key is missing, or an array has the wrong shape.
    """
    if not isinstance(d, Mapping):
        raise InputError(f"plot data entry must be an object, got {type(d).__name__}")
    family = d.get("family")
    cls = PLOT_TYPES.get(family) if isinstance(family, str) else None
    if cls is None:
        raise InputError(f"plot data family {family!r} is unknown; known families: {', '.join(PLOT_TYPES)}")
    names = {f.name for f in fields(cls)}
    kwargs = {k: v for k, v in d.items() if k != "family"}
    for key in kwargs:
        if key not in names:
            close = difflib.get_close_matches(str(key), sorted(names), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(sorted(names))}"
            raise InputError(f"plot data family {family!r}: unknown key {key!r}{hint}")
    missing = [f.name for f in fields(cls) if f.name not in kwargs
               and f.default is MISSING and f.default_factory is MISSING]
    if missing:
        raise InputError(f"plot data family {family!r} (sample {d.get('sample')!r}): missing key"
                         f"{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}")
    return cls(**kwargs)
