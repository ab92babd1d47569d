"""Global analysis of the Hippius TA map (335 delays × 346 energies) on one core, beside pyglotaran.

Model: 3 exponentials + offset + coherent artefact, Gaussian IRF (width free), chirp a
quadratic in energy (free), and again with the chirp quadratic in wavelength as pyglotaran's. pyglotaran runs only when /work/wt/pyglotaran-venv exists
(a separate venv, not a dependency): the same parallel model, dispersion quadratic in
wavelength (benchmarks/pyglotaran_ta.py).
"""
from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

HIPPIUS = Path("/work/shared/data/real/ta/demo_data_Hippius_etal_JPCC2007_111_13988_Figs5_9.ascii")
VENV = Path("/work/wt/pyglotaran-venv/bin/python")


def main():
    try:  # one BLAS thread ("one core"); threadpoolctl is not a dependency
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        from contextlib import nullcontext

        def threadpool_limits(_):
            return nullcontext()

    from multiphoton.analysis.ta_global import fit_global
    from multiphoton.io.ta_ascii import read_ta_ascii

    if not HIPPIUS.exists():
        print("skipped: Hippius map absent")
        return
    m = read_ta_ascii(HIPPIUS)
    with threadpool_limits(1):
        cpu = time.process_time()
        res = fit_global(m.delay_ps, m.energy_eV, m.dA, n_components=3)
        cpu = time.process_time() - cpu
        cpu_wl = time.process_time()
        res_wl = fit_global(m.delay_ps, m.energy_eV, m.dA, n_components=3, chirp_wavelength_ref_nm=550.0)
        cpu_wl = time.process_time() - cpu_wl
    for what, r, c in (("chirp in energy", res, cpu), ("chirp in wavelength (pyglotaran's model)", res_wl, cpu_wl)):
        taus = ", ".join(f"{t.value:.4g} ± {t.stderr:.2g}" for t in r.taus)
        print(f"multiphoton fit_global K=3, {what}: {c:.2f} s CPU, {r.taus[0].details['nfev']} evaluations; "
              f"τ = {taus} ps; IRF FWHM {r.irf_fwhm.value * 1e3:.0f} fs; reduced χ² {r.reduced_chi2:.4g}")
    cpu = cpu_wl
    if not VENV.exists():
        print("pyglotaran: skipped (no /work/wt/pyglotaran-venv)")
        return
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    out = subprocess.run([str(VENV), str(Path(__file__).with_name("pyglotaran_ta.py")), str(HIPPIUS)],
                         capture_output=True, text=True, env=env, timeout=3000)
    if out.returncode:
        print(f"pyglotaran: failed ({out.stderr.strip().splitlines()[-1:]})")
        return
    r = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"pyglotaran {r['version']}: {r['cpu_s']:.1f} s CPU, {r['nfev']} evaluations; τ = "
          + ", ".join(f"{t:.4g}" for t in r["tau_ps"]) + f" ps; IRF FWHM {r['irf_width_sigma_ps'] * 2354.8:.0f} fs; "
          f"CPU ratio {r['cpu_s'] / cpu:.0f}×")


if __name__ == "__main__":
    main()
