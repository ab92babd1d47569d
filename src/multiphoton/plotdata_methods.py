"""Typed figure data of the global and cross-check analyses: TA global analysis, Z-scan,
saturation and PL band decomposition (re-exported by :mod:`multiphoton.plotdata`)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .plotdata_base import PlotData, _array, _number

__all__ = ["TAGlobalPlot", "ZScanPlot", "SaturationPlot", "PLDecompositionPlot"]


@dataclass(frozen=True, kw_only=True, eq=False)
class TAGlobalPlot(PlotData):
    """Global lifetime analysis of a TA map (family ``ta_global``).

    Parameters
    ----------
    delay_ps : ndarray of shape (D,)
        Pump–probe delay, ps (ascending).
    energy_eV : ndarray of shape (M,)
        Probe photon energy, eV (ascending).
    dA, fit, residual : ndarray of shape (D, M)
        Data, global model and data − model, OD.
    singular_values : ndarray of shape (S,)
        Singular values of ΔA, OD.
    svd_time_vectors : ndarray of shape (n, D)
    svd_spectral_vectors : ndarray of shape (n, M)
        Leading singular vectors.
    svd_rank : int
        Rank by the Gavish–Donoho threshold.
    svd_threshold_od : float
        That threshold, OD.
    tau_ps, tau_stderr_ps : ndarray of shape (K,)
        Lifetimes and their standard errors, ps.
    das, das_stderr, eas, eas_stderr : ndarray of shape (K, M)
        Decay- and evolution-associated spectra (sequential scheme), OD.
    offset : ndarray of shape (M,) or None
        Long-lived spectrum, OD.
    t0_ps : ndarray of shape (M,)
        Time zero at each energy (chirp), ps.
    irf_fwhm_ps : float
        Fitted IRF FWHM, ps.
    trace_energies_eV : ndarray of shape (J,)
        Energies at which kinetic traces are drawn, eV.
    """

    family: ClassVar[str] = "ta_global"
    _AXES: ClassVar[Mapping[str, tuple]] = {
        "dA": ("delay_ps", "energy_eV"), "fit": ("delay_ps", "energy_eV"),
        "residual": ("delay_ps", "energy_eV"), "svd_time_vectors": ("svd_spectral_vectors", "delay_ps"),
        "svd_spectral_vectors": ("svd_time_vectors", "energy_eV"), "tau_stderr_ps": ("tau_ps",),
        "das": ("tau_ps", "energy_eV"), "das_stderr": ("tau_ps", "energy_eV"),
        "eas": ("tau_ps", "energy_eV"), "eas_stderr": ("tau_ps", "energy_eV"),
        "offset": ("energy_eV",), "t0_ps": ("energy_eV",)}

    delay_ps: np.ndarray = _array(required=True)
    energy_eV: np.ndarray = _array(required=True)
    dA: np.ndarray = _array(float, 2, required=True)
    fit: np.ndarray = _array(float, 2, required=True)
    residual: np.ndarray = _array(float, 2, required=True)
    singular_values: np.ndarray = _array(required=True)
    svd_time_vectors: np.ndarray = _array(float, 2, required=True)
    svd_spectral_vectors: np.ndarray = _array(float, 2, required=True)
    svd_rank: int = 0
    svd_threshold_od: float | None = _number()
    tau_ps: np.ndarray = _array(required=True)
    tau_stderr_ps: np.ndarray = _array(required=True)
    das: np.ndarray = _array(float, 2, required=True)
    das_stderr: np.ndarray = _array(float, 2, required=True)
    eas: np.ndarray = _array(float, 2, required=True)
    eas_stderr: np.ndarray = _array(float, 2, required=True)
    offset: np.ndarray | None = _array()
    t0_ps: np.ndarray = _array(required=True)
    irf_fwhm_ps: float | None = _number()
    trace_energies_eV: np.ndarray = _array(required=True)


@dataclass(frozen=True, kw_only=True, eq=False)
class ZScanPlot(PlotData):
    """Open-aperture Z-scan with its fit (family ``zscan``).

    Parameters
    ----------
    z_mm : ndarray of shape (Z,)
        Sample position, mm.
    transmittance : ndarray of shape (Z,)
        Normalised transmittance.
    fit : ndarray of shape (Z,) or None
        Fitted model at ``z_mm``.
    q0, focus_mm, rayleigh_mm : float or None
        Fitted on-axis q₀, focus and Rayleigh range (mm).
    beta_cm_per_GW : float or None
        β from the fit.
    """

    family: ClassVar[str] = "zscan"
    _AXES: ClassVar[Mapping[str, tuple]] = {"transmittance": ("z_mm",), "fit": ("z_mm",)}

    z_mm: np.ndarray = _array(required=True)
    transmittance: np.ndarray = _array(required=True)
    fit: np.ndarray | None = _array()
    q0: float | None = _number()
    focus_mm: float | None = _number()
    rayleigh_mm: float | None = _number()
    beta_cm_per_GW: float | None = _number()


@dataclass(frozen=True, kw_only=True, eq=False)
class SaturationPlot(PlotData):
    """Single-exciton amplitude vs peak ⟨N⟩ with the Poisson saturation curve (family ``saturation``).

    Parameters
    ----------
    fluence_mJ_cm2 : ndarray of shape (F,)
        Peak pump fluence, mJ cm⁻².
    mean_n : ndarray of shape (F,)
        Peak ⟨N⟩ from the fitted cross section.
    amplitude, amplitude_stderr : ndarray of shape (F,)
        Measured single-exciton amplitude (counts) and its noise.
    curve_mean_n, curve : ndarray of shape (C,) or None
        The fitted spot-averaged curve A_sat · S(⟨N⟩).
    a_sat : float or None
        Saturation amplitude.
    order : int
        1 (one-photon) or 2 (two-photon).
    """

    family: ClassVar[str] = "saturation"
    _AXES: ClassVar[Mapping[str, tuple]] = {
        "mean_n": ("fluence_mJ_cm2",), "amplitude": ("fluence_mJ_cm2",),
        "amplitude_stderr": ("fluence_mJ_cm2",), "curve": ("curve_mean_n",)}

    fluence_mJ_cm2: np.ndarray = _array(required=True)
    mean_n: np.ndarray = _array(required=True)
    amplitude: np.ndarray = _array(required=True)
    amplitude_stderr: np.ndarray | None = _array()
    curve_mean_n: np.ndarray | None = _array()
    curve: np.ndarray | None = _array()
    a_sat: float | None = _number()
    order: float | None = _number()


@dataclass(frozen=True, kw_only=True, eq=False)
class PLDecompositionPlot(PlotData):
    """PL spectra vs fluence decomposed into exciton and biexciton bands (family ``pl_decomposition``).

    Parameters
    ----------
    fluence_mJ_cm2 : ndarray of shape (F,)
    energy_eV : ndarray of shape (M,)
    counts : ndarray of shape (F, M)
        Measured spectra.
    exciton_band, biexciton_band : ndarray of shape (F, M)
        The fitted bands (counts).
    mean_n : ndarray of shape (F,)
        Fitted peak ⟨N⟩ of each spectrum.
    exciton_eV, biexciton_eV : float or None
        Band centres.
    """

    family: ClassVar[str] = "pl_decomposition"
    _AXES: ClassVar[Mapping[str, tuple]] = {
        "counts": ("fluence_mJ_cm2", "energy_eV"), "exciton_band": ("fluence_mJ_cm2", "energy_eV"),
        "biexciton_band": ("fluence_mJ_cm2", "energy_eV"), "mean_n": ("fluence_mJ_cm2",)}

    fluence_mJ_cm2: np.ndarray = _array(required=True)
    energy_eV: np.ndarray = _array(required=True)
    counts: np.ndarray = _array(float, 2, required=True)
    exciton_band: np.ndarray | None = _array(float, 2)
    biexciton_band: np.ndarray | None = _array(float, 2)
    mean_n: np.ndarray | None = _array()
    exciton_eV: float | None = _number()
    biexciton_eV: float | None = _number()
