"""Global analysis of the Hippius TA map (335 delays × 346 energies) on one core, beside pyglotaran.

Model: 3 exponentials + offset + coherent artefact, Gaussian IRF (width free), chirp a
quadratic in energy (free). pyglotaran runs only when /work/wt/pyglotaran-venv exists
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
    from threadpoolctl import threadpool_limits

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
    taus = ", ".join(f"{t.value:.4g} ± {t.stderr:.2g}" for t in res.taus)
    print(f"multiphoton fit_global K=3: {cpu:.2f} s CPU, {res.taus[0].details['nfev']} evaluations; "
          f"τ = {taus} ps; IRF FWHM {res.irf_fwhm.value * 1e3:.0f} fs")
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
