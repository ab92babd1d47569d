"""Global lifetime analysis of a ``ta_map`` (called by the ``ta_map`` step in :mod:`.gain`).

One kind has one step: this module holds the part of the ``ta_map`` step that runs when the
measurement sets ``global_components``; it needs no ``ground_state``.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ...analysis.ta_global import MAX_COMPONENTS, fit_global
from ...analysis.ta_svd import choose_components, svd_map
from ...errors import InputError
from ...io.options import TAMapOptions
from ...plotdata import TAGlobalPlot
from ._step import StepResult

__all__ = ["GLOBAL_QUANTITIES", "run_global"]

GLOBAL_QUANTITIES = tuple(f"ta_tau{i}_ps" for i in range(1, MAX_COMPONENTS + 1))
"""``ta_tau1_ps`` < … < ``ta_tau6_ps``: the lifetimes a global analysis may give."""


def _trace_energies(energy_eV, das):
    """Energies for kinetic traces: the extremum of each DAS (up to 4, distinct)."""
    picks = []
    for spec in np.asarray(das):
        if np.all(~np.isfinite(spec)):
            continue
        e = float(energy_eV[int(np.nanargmax(np.abs(spec)))])
        if all(abs(e - p) > 0.02 * (energy_eV[-1] - energy_eV[0]) for p in picks):
            picks.append(e)
    return sorted(picks[:4])


def run_global(ta, o: TAMapOptions, out: StepResult) -> None:
    """Add ``ta_tau{k}_ps`` and a :class:`~multiphoton.plotdata.TAGlobalPlot` to ``out``.

    Options: ``global_components`` (K or ``"auto"``: K = 1 … 4 by
    :func:`multiphoton.analysis.ta_svd.choose_components`), ``global_offset`` (True),
    ``global_artefact`` (True), ``global_chirp_order`` (2; ignored when
    ``chirp_t0_coeffs_ps`` is given, then the chirp is fixed about ``chirp_energy_ref_eV``).
    Each lifetime's ``details`` add ``svd_rank`` and, for ``"auto"``, ``auto_reason``.
    """
    given = list(o.chirp_t0_coeffs_ps) if o.chirp_t0_coeffs_ps else None
    options = dict(offset=o.global_offset, artefact=o.global_artefact, chirp_order=o.global_chirp_order,
                   chirp_coeffs_ps=given, energy_ref_eV=o.chirp_energy_ref_eV if given else None)
    try:
        svd = svd_map(ta.delay_ps, ta.energy_eV, ta.dA)
        if o.global_components == "auto":
            _, res, reason = choose_components(ta.delay_ps, ta.energy_eV, ta.dA, **options)
        else:
            res = fit_global(ta.delay_ps, ta.energy_eV, ta.dA, n_components=o.global_components, **options)
            reason = None
    except InputError as exc:
        raise InputError(f"{o.where}, global analysis: {exc}") from exc
    extra = {"svd_rank": svd.rank, **({"auto_reason": reason} if reason else {})}
    for i, tau in enumerate(res.taus, 1):
        name = f"ta_tau{i}_ps"
        if tau.success:
            out.add(name, dataclasses.replace(tau, details={**tau.details, **extra}))
        else:
            out.warn(name, tau.message)
    # svd_map and fit_global clean and sort the map alike: the same axes
    out.plots.append(TAGlobalPlot(
        sample=o.sample, measurement=o.index, delay_ps=res.delay_ps, energy_eV=res.energy_eV,
        dA=res.fit + res.residual, fit=res.fit, residual=res.residual,
        singular_values=svd.singular_values, svd_time_vectors=svd.time_vectors,
        svd_spectral_vectors=svd.spectral_vectors, svd_rank=svd.rank, svd_threshold_od=svd.threshold_od,
        tau_ps=[t.value for t in res.taus], tau_stderr_ps=[t.stderr for t in res.taus],
        das=res.das, das_stderr=res.das_stderr, eas=res.eas, eas_stderr=res.eas_stderr,
        offset=res.offset, t0_ps=res.t0_ps, irf_fwhm_ps=res.irf_fwhm.value,
        trace_energies_eV=_trace_energies(res.energy_eV, res.das)))
