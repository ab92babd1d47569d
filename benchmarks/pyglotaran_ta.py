"""The Hippius TA map fitted by pyglotaran (run with the separate venv's python; not a dependency).

The same parallel model as bench_ta_global.py: 3 exponentials + a non-decaying offset,
a Gaussian IRF with free centre and width, centre dispersion a quadratic polynomial of
wavelength, and a coherent artefact of the IRF's shape (order 1). Prints one JSON line.
"""
import json
import sys
import tempfile
import time
from pathlib import Path

from glotaran import __version__
from glotaran.io import load_dataset, load_model, load_parameters
from glotaran.optimization.optimize import optimize
from glotaran.project import Scheme

MODEL = """
default_megacomplex: decay-parallel
dataset:
  dataset1:
    megacomplex: [mc1, artifact]
    irf: irf1
megacomplex:
  mc1:
    type: decay-parallel
    compartments: [s1, s2, s3, s4]
    rates: [rates.k1, rates.k2, rates.k3, rates.k4]
  artifact:
    type: coherent-artifact
    order: 1
irf:
  irf1:
    type: spectral-multi-gaussian
    center: [irf.center]
    width: [irf.width]
    dispersion_center: irf.dispc
    center_dispersion_coefficients: [irf.disp1, irf.disp2]
"""

PARAMETERS = """
rates:
  - ["k1", 0.6]
  - ["k2", 0.05]
  - ["k3", 0.02]
  - ["k4", 1e-7, {"vary": false}]
irf:
  - ["center", 1.1]
  - ["width", 0.06]
  - ["dispc", 550, {"vary": false}]
  - ["disp1", -0.8]
  - ["disp2", -0.35]
"""


def main(path):
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "model.yml").write_text(MODEL)
        (Path(tmp) / "parameters.yml").write_text(PARAMETERS)
        model = load_model(str(Path(tmp) / "model.yml"))
        parameters = load_parameters(str(Path(tmp) / "parameters.yml"))
    data = load_dataset(path)
    scheme = Scheme(model=model, parameters=parameters, data={"dataset1": data}, maximum_number_function_evaluations=200)
    t0 = time.process_time()
    wall = time.perf_counter()
    result = optimize(scheme, verbose=False)
    cpu, wall = time.process_time() - t0, time.perf_counter() - wall
    p = result.optimized_parameters
    taus, errs = [], []
    for name in ("k1", "k2", "k3"):
        k = p.get(f"rates.{name}")
        taus.append(1.0 / k.value)
        errs.append(k.standard_error / k.value**2 if k.standard_error else None)
    order = sorted(range(3), key=lambda i: taus[i])
    print(json.dumps({"version": __version__, "cpu_s": cpu, "wall_s": wall, "nfev": int(result.number_of_function_evaluations),
                      "tau_ps": [taus[i] for i in order], "tau_stderr_ps": [errs[i] for i in order],
                      "irf_width_sigma_ps": p.get("irf.width").value, "irf_center_ps": p.get("irf.center").value,
                      "success": bool(result.success)}))


if __name__ == "__main__":
    main(sys.argv[1])
