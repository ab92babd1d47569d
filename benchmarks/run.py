"""``make bench``: the end-to-end ratios (written to RESULTS.md), then every ``bench_*.py``.

:mod:`ratios` measures, interleaved in one run, analyze with vs without its report,
batch with 2 vs 1 workers, PTU reading vs ptufile, and the decay fitter vs an lmfit
loop, and writes RESULTS.md with the machine and the date. Each ``bench_*.py`` has a
``main()`` that prints what it measured (not recorded).
"""
from __future__ import annotations

import importlib.util
import platform
import sys
import time
from pathlib import Path


def main() -> int:
    here = Path(__file__).resolve().parent
    print(f"# {time.strftime('%Y-%m-%d')}  {platform.machine()}  {platform.processor() or ''}  "
          f"Python {platform.python_version()}")
    sys.path.insert(0, str(here))
    import ratios

    status = ratios.main([])
    for path in sorted(here.glob("bench_*.py")):
        print(f"\n## {path.stem}")
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
            module.main()
        except Exception as exc:  # report and go on with the other benchmarks
            print(f"FAILED: {exc!r}")
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
