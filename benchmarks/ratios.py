"""End-to-end speed as ratios, measured interleaved in one run; writes RESULTS.md.

Each comparison runs its two sides alternately (A, B, then B, A, …) ``--repeat`` times,
so that both see the same machine load (the build machine is shared), and reports the
ratio B/A of the best times ("best-of") and the median of the per-round ratios:

* ``analyze`` of the bundled ``paper-2023`` campaign with its report vs ``--no-report``
  (the command line, a fresh interpreter each time);
* ``batch --workers 2`` vs ``--workers 1`` on 4 campaigns (seeds 0–3, results only);
* reading a PTU decay (``read_ptu_decay``) vs ptufile's own ``decode_histogram``
  (opening the file included on both sides), on the real v20_t3.ptu;
* the batch decay fitter ``fit_decays`` vs an independent ``lmfit.Model`` loop started
  from the same guesses (not a slow generic start).

Run ``python benchmarks/ratios.py [--repeat 3] [--results benchmarks/RESULTS.md]``.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
REAL_PTU = HERE.parent.parent / "shared" / "data" / "real" / "ptu" / "v20_t3.ptu"
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

TARGETS = {"analyze": 2.0, "batch": 0.65, "ptu": 1.5}
"""Issue #18's limits on the best-of ratio B/A."""


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def _cli(*args) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "multiphoton", *map(str, args)], env=_env(), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def interleaved(a, b, repeat: int) -> tuple[list[float], list[float]]:
    """Times of ``a()`` and ``b()`` called alternately, the first of each round swapping."""
    ta, tb = [], []
    for k in range(repeat):
        for side in ((a, ta), (b, tb)) if k % 2 == 0 else ((b, tb), (a, ta)):
            side[1].append(side[0]())
    return ta, tb


def _row(name, label, ta, tb, target=None, unit="s", scale=1.0):
    best = min(tb) / min(ta)
    median = statistics.median(y / x for x, y in zip(ta, tb))
    verdict = "" if target is None else ("yes" if best <= target else "**no**")
    return {"name": name, "label": label, "a": min(ta) * scale, "b": min(tb) * scale, "unit": unit,
            "best": best, "median": median, "target": target, "verdict": verdict, "n": len(ta)}


def bench_analyze(work: Path, repeat: int) -> dict:
    camp = work / "campaign"
    _cli("simulate", "paper-2023", camp)
    manifest = camp / "experiment.toml"
    ta, tb = interleaved(lambda: _cli("analyze", manifest, "--out", work / "a0", "--force", "--quiet",
                                      "--no-report"),
                         lambda: _cli("analyze", manifest, "--out", work / "a1", "--force", "--quiet"),
                         repeat)
    return _row("analyze", "with report (PNG + SVG) / `--no-report`", ta, tb, TARGETS["analyze"])


def bench_batch(work: Path, repeat: int) -> dict:
    manifests = []
    for seed in range(4):
        _cli("simulate", "paper-2023", work / f"c{seed}", "--seed", seed)
        manifests.append(work / f"c{seed}" / "experiment.toml")

    def run(n):
        return lambda: _cli("batch", *manifests, "--out", work / f"b{n}", "--workers", n, "--force",
                            "--no-report")

    ta, tb = interleaved(run(1), run(2), repeat)
    return _row("batch", "4 campaigns: `--workers 2` / `--workers 1`", ta, tb, TARGETS["batch"])


def bench_ptu(repeat: int, inner: int = 20) -> dict | None:
    if not REAL_PTU.is_file():
        return None
    import numpy as np
    import ptufile

    from multiphoton.io.ptu import read_ptu_decay

    def ours():
        t = time.perf_counter()
        for _ in range(inner):
            read_ptu_decay(REAL_PTU, channel="sum")
        return (time.perf_counter() - t) / inner

    def theirs():
        t = time.perf_counter()
        for _ in range(inner):
            with ptufile.PtuFile(REAL_PTU) as ptu:
                ptu.decode_histogram(dtype=np.uint64, dtime=0).sum(axis=0)
        return (time.perf_counter() - t) / inner

    import logging

    for name in ("ptufile", "multiphoton"):  # the file's known tag-order quirks, 2 lines a read
        logging.getLogger(name).setLevel(logging.ERROR)
    ta, tb = interleaved(theirs, ours, repeat * 3)
    return _row("ptu", "`read_ptu_decay` / ptufile `decode_histogram` (v20_t3.ptu)", ta, tb,
                TARGETS["ptu"], unit="ms", scale=1e3)


def bench_decays(repeat: int, n: int = 100) -> dict:
    import numpy as np

    sys.path.insert(0, str(HERE))
    from bench_trpl import _lmfit_model, _start, make_decays

    from multiphoton.analysis.decay_batch import fit_decays

    t, counts, _ = make_decays(n, 2000)
    model = _lmfit_model()
    starts = [_start(t, counts[i]) for i in range(n)]

    def lmfit_loop():
        t1 = time.perf_counter()
        for i in range(n):
            p = model.make_params(**starts[i])
            p["tau_ns"].min = 1e-6
            p["irf_fwhm_ns"].min = 1e-6
            model.fit(counts[i], p, x=t, weights=1.0 / np.sqrt(np.maximum(counts[i], 1.0)))
        return (time.perf_counter() - t1) / n

    def ours():
        # the lmfit loop's own weights (1/√max(y, 1), "poisson"): the same fit, compared fairly;
        # the default "poisson-mle" refits with model weights and costs more (bench_trpl.py)
        t1 = time.perf_counter()
        fit_decays(t, counts, weighting="poisson")
        return (time.perf_counter() - t1) / n

    ta, tb = interleaved(lmfit_loop, ours, repeat)
    return _row("decay fits", f"`fit_decays` (weighting \"poisson\") / `lmfit.Model` loop, same weights and "
                f"start ({n} decays of 2,000 bins, per decay)", ta, tb, unit="ms", scale=1e3)


def machine() -> dict:
    import numpy
    import scipy
    from threadpoolctl import threadpool_info

    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    blas = ", ".join(sorted({f"{i['internal_api']} {i.get('version', '')} ({i.get('architecture', '?')})"
                             for i in threadpool_info() if i["user_api"] == "blas"}))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpu": model or platform.processor(),
            "cores": cores, "memory": mem, "python": platform.python_version(),
            "numpy": numpy.__version__, "scipy": scipy.__version__, "blas": blas,
            "openblas_env": ", ".join(f"{k}={os.environ[k]}" for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
                                      if k in os.environ) or "not set"}


END_MARK = "<!-- end of the make-bench ratios section -->"


def write_results(path: Path, info: dict, rows: list[dict], load: tuple[float, float]) -> None:
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`benchmarks/ratios.py`): every comparison in one run, its two",
        "sides interleaved (A, B, B, A, …) so that both see the same load; ratio = B / A.",
        "\"best-of\" is the ratio of the best times, \"median\" the median of the per-round ratios.",
        "",
        f"## {info['date']}: {info['cpu']}, {info['cores']} cores, {info['memory']}, "
        f"Python {info['python']}, numpy {info['numpy']}, scipy {info['scipy']}",
        "",
        f"BLAS: {info['blas']}; OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE: {info['openblas_env']}. "
        f"Load average (1 min) {load[0]:.1f} at the start, {load[1]:.1f} at the end.",
        "",
        "| comparison | B / A | best A | best B | ratio best-of | ratio median | rounds | target | met |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        target = "" if r["target"] is None else f"≤ {r['target']}"
        lines.append(f"| {r['name']} | {r['label']} | {r['a']:.3g} {r['unit']} | {r['b']:.3g} {r['unit']} | "
                     f"{r['best']:.3f} | {r['median']:.3f} | {r['n']} | {target} | {r['verdict']} |")
    lines += ["", "The sections below this one (other benchmarks, with their own dates) are kept as they "
              "are when `make bench` rewrites this section.", "", END_MARK, ""]
    # keep the other benchmark sections (TA global analysis, Z-scan, …) below the marker
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    rest = old.split(END_MARK, 1)[1].lstrip("\n") if END_MARK in old else ""
    path.write_text("\n".join(lines) + rest, encoding="utf-8")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="rounds per comparison (default 3)")
    ap.add_argument("--results", type=Path, default=HERE / "RESULTS.md", help="file to write")
    ap.add_argument("--only", default="analyze,batch,ptu,decays",
                    help="comma-separated subset of analyze,batch,ptu,decays")
    args = ap.parse_args(argv)
    only = set(args.only.split(","))
    info = machine()
    load0 = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory(prefix="multiphoton-bench-") as tmp:
        work = Path(tmp)
        for name, run in (("analyze", lambda: bench_analyze(work, args.repeat)),
                          ("batch", lambda: bench_batch(work, args.repeat)),
                          ("ptu", lambda: bench_ptu(args.repeat)),
                          ("decays", lambda: bench_decays(args.repeat))):
            if name in only:
                row = run()
                if row is not None:
                    rows.append(row)
                    print(f"{row['name']:11s} {row['label']}: best-of {row['best']:.3f}, median "
                          f"{row['median']:.3f} (A {row['a']:.3g} {row['unit']}, B {row['b']:.3g} "
                          f"{row['unit']}) {row['verdict']}", flush=True)
    write_results(args.results, info, rows, (load0, os.getloadavg()[0]))
    print(f"written: {args.results}")
    return 0 if all(r["verdict"] != "**no**" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
