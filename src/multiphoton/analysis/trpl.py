"""Time-resolved photoluminescence: the public names of the decay analyses, in one place.

A façade (the pipeline calls ``trpl.fit_decay``, ``trpl.biexciton_lifetime``):

* :mod:`multiphoton.analysis.decay` — :func:`fit_decay`, one trace reconvolved with the IRF;
* :mod:`multiphoton.analysis.decay_batch` — :func:`fit_decays`, many traces at once;
* :mod:`multiphoton.analysis.biexciton` — :func:`biexciton_lifetime`, Klimov's difference
  method and the global cascade fit;
* :mod:`multiphoton.analysis.varpro` — the variable-projection engines;
* :mod:`multiphoton.analysis.decay_models` — the model functions.
"""
from __future__ import annotations

from .biexciton import BiexcitonResult, biexciton_lifetime
from .decay import MIN_POINTS, DecayFit, fit_decay
from .decay_batch import fit_decays

__all__ = ["DecayFit", "BiexcitonResult", "fit_decay", "fit_decays", "biexciton_lifetime", "MIN_POINTS"]
