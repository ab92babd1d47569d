"""IRF on another grid: count-conserving rebinning, background, alignment, refusal of unusable IRFs."""
import numpy as np
import pytest

from contract import AnalysisContract, Raises, SharedAxis
from multiphoton.analysis.irf import irf_on_grid, rebin_counts
from multiphoton.analysis.decay import fit_decay
from multiphoton.analysis.decay_models import multi_exp_conv_irf
from multiphoton.errors import InputError

T = np.arange(-10.0, 90.0, 0.064)  # a PicoQuant-like grid
TI = np.arange(-2.0, 10.0, 0.002927)  # a B&H-like IRF grid: 21.9× finer, non-integer, 12 ns
IRF_I = 1e4 * np.exp(-0.5 * ((TI - 3.0) / 0.06) ** 2) + 3.0


def test_rebinning_conserves_counts_for_any_ratio():
    rng = np.random.default_rng(0)
    y = rng.poisson(50.0, TI.size).astype(float)
    for step in (0.064, 0.05, 0.0031, 0.2 * np.pi / 3):
        dst = np.arange(TI[0] - 1.0, TI[-1] + 1.0, step)
        assert abs(rebin_counts(TI, y, dst).sum() / y.sum() - 1) < 1e-12


def test_background_removed_and_aligned():
    decay = np.zeros(T.size)
    decay[T >= 20.0] = 100.0  # rise at 20 ns; the IRF peaks at 3 ns on its own clock
    g = irf_on_grid(T, TI, IRF_I, decay_counts=decay)
    assert abs(g.details["background_per_bin"] - 3.0) < 0.5 and g.details["rebinned"]
    # all the IRF's signal counts land on the decay grid (its background is gone)
    assert abs(g.counts.sum() / (IRF_I - 3.0).sum() - 1) < 1e-3
    half = T[np.argmax(g.counts >= 0.5 * g.counts.max())]
    assert abs(half - 20.0) < 0.1  # moved onto the decay's rise (one bin)


def test_reconvolution_with_an_irf_on_another_grid_recovers_tau():
    """The IRF sampled at 2.9 ps on 12 ns, the decay at 64 ps on 100 ns, shifted by 13.37 ns."""
    fine = 1e5 * np.exp(-0.5 * ((TI - 3.0) / 0.08) ** 2)
    on_grid = rebin_counts(TI + 13.37, fine, T)
    taus = []
    for seed in range(8):
        rng = np.random.default_rng(seed)
        mu = multi_exp_conv_irf(T, amplitudes=[3000.0], taus_ns=[8.0], irf_counts=on_grid, background=4.0)
        y = rng.poisson(mu).astype(float)
        irf_counts = rng.poisson(fine * 0.05 + 2.0).astype(float)
        fit = fit_decay(T, y, irf=(TI, irf_counts), weighting="poisson-mle")
        assert abs(fit.irf_shift_ns.value - 13.37) < 0.05
        taus.append((fit.tau_ns.value - 8.0) / fit.tau_ns.stderr)
    # z-scores of τ over 8 seeds: unbiased and honest within the noise of 8 draws
    z = np.array(taus)
    assert abs(z.mean()) < 1.5 and 0.4 < np.sqrt(np.mean(z**2)) < 1.8


def test_unusable_irfs_are_refused():
    with pytest.raises(InputError, match="no peak above its background"):
        irf_on_grid(T, TI, np.full(TI.size, 7.0))
    wide = np.linspace(-500, 500, 300)
    with pytest.raises(InputError, match="wider than the decay window"):
        irf_on_grid(T, wide, 1e4 * np.exp(-0.5 * (wide / 200.0) ** 2))
    with pytest.raises(InputError, match="negative"):
        irf_on_grid(T, TI, IRF_I - 10.0)


class TestIrfOnGridContract(AnalysisContract):
    function = staticmethod(irf_on_grid)
    # the IRF is sorted on its own; the decay grid must be uniform and increasing
    shared_axes = (SharedAxis({"irf_time_ns": 0, "irf_counts": 0}),)
    rtol = 1e-9  # the same sums after sorting
    failure = Raises(InputError, match="no peak")

    def inputs(self, seed):
        rng = np.random.default_rng(seed)
        return {"time_ns": T, "irf_time_ns": TI, "irf_counts": rng.poisson(IRF_I).astype(float)}, {}

    def failure_inputs(self):
        return {"time_ns": T, "irf_time_ns": TI, "irf_counts": np.full(TI.size, 2.0)}, {}


class TestRebinCountsContract(AnalysisContract):
    function = staticmethod(rebin_counts)
    skip = {"reversed_axes": "bin edges need increasing grids: an unsorted grid is refused",
            "shuffled_axes": "bin edges need increasing grids: an unsorted grid is refused"}
    failure = Raises(InputError, match="strictly increasing")

    def inputs(self, seed):
        rng = np.random.default_rng(seed)
        return {"src_time_ns": TI, "src_counts": rng.poisson(5.0, TI.size).astype(float), "dst_time_ns": T}, {}

    def failure_inputs(self):
        return {"src_time_ns": TI[::-1], "src_counts": np.ones(TI.size), "dst_time_ns": T}, {}
