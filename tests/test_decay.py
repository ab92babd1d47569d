"""Failure policy of the decay fits: a failed fit reports NaN and why, never a number."""
import math

import numpy as np

from multiphoton.analysis.decay import fit_decay
from multiphoton.analysis.decay_models import exp_conv_gauss


def test_unconverged_fit_gives_nan_with_reason():
    t = np.linspace(-5, 60, 400)
    mu = exp_conv_gauss(t, amplitude=2000.0, tau_ns=8.0, t0_ns=0.0, irf_fwhm_ns=0.5) + 5.0
    y = np.random.default_rng(0).poisson(mu)
    fit = fit_decay(t, y, max_nfev=2)  # far too few evaluations to converge
    assert not fit.success
    for est in (*fit.taus_ns, *fit.amplitudes, fit.t0_ns, fit.irf_fwhm_ns, fit.background):
        assert not est.success and math.isnan(est.value) and math.isnan(est.stderr)
        assert "did not converge" in est.message
        assert math.isfinite(est.details["last_iterate"])
