"""Manifests that name instrument files directly (docs/contract-extensions.md, docs/formats.md)."""
from pathlib import Path

import numpy as np
import pytest

from multiphoton.data import DecaySeries, TAMap
from multiphoton.errors import InputError, UnsupportedError
from multiphoton.io.manifest import read_manifest
from multiphoton.pipeline import analyze
from multiphoton.pipeline.loading import Loader

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason="shared/data/real is not beside the repository")

SAMPLE = '''
[[sample]]
id = "S"
layers = ["CdSe"]
core_diameter_nm = 4.0
'''


def _context(tmp_path, measurement: str) -> tuple[Loader, object]:
    p = tmp_path / "experiment.toml"
    p.write_text(SAMPLE + measurement)
    manifest = read_manifest(p)
    return Loader(), manifest.measurements[0]


def test_trpl_series_from_ptu_files_with_an_sdt_irf(tmp_path):
    # ptu/v20_t3.ptu: tsbischof/picoquant-sample-data, hydraharp/v20_t3.ptu (BSD-3-Clause);
    # sdt/IRF.sdt: easunarunachalam/pyTCSPC, examples/fit_from_image/sample_data/IRF.sdt (MIT)
    ctx, m = _context(tmp_path, f'''
[[measurement]]
sample = "S"
kind = "trpl_series"
files = [{{ file = "{REAL}/ptu/v20_t3.ptu", fluence_mJ_cm2 = 0.5 }},
         {{ file = "{REAL}/ptu/v20_t3.ptu", fluence_mJ_cm2 = 0.1 }}]
channel = 1
irf = "{REAL}/sdt/IRF.sdt"
irf_block = 1
excitation_eV = 3.1
''')
    series = ctx.load(m)["file"]
    assert isinstance(series, DecaySeries)
    assert np.array_equal(series.fluence_mJ_cm2, [0.1, 0.5])
    assert series.counts.shape[0] == 2 and np.array_equal(series.counts[0], series.counts[1])
    assert series.counts.sum() == 2 * 32871  # the photons of channel 1 (tests/io/test_ptu.py)
    irf = ctx.load(m)["irf"]
    assert irf.counts.size == 4096 and irf.counts.sum() == pytest.approx(3_700_666)


def test_wrong_reader_option_names_the_measurement(tmp_path):
    ctx, m = _context(tmp_path, f'''
[[measurement]]
sample = "S"
kind = "trpl_series"
files = [{{ file = "{REAL}/sdt/IRF.sdt", fluence_mJ_cm2 = 0.5 }}]
channel = 1
''')
    with pytest.raises(InputError, match=r"measurement #1 \(trpl_series, sample S\), key 'file'.*channel"):
        ctx.load(m)


def test_t2_ptu_is_refused_for_a_decay(tmp_path):
    # ptu/v20_t2.ptu: same repository, hydraharp/v20_t2.ptu
    ctx, m = _context(tmp_path, f'''
[[measurement]]
sample = "S"
kind = "trpl_series"
files = [{{ file = "{REAL}/ptu/v20_t2.ptu", fluence_mJ_cm2 = 0.5 }}]
''')
    with pytest.raises(UnsupportedError, match="T3"):
        ctx.load(m)


def test_real_ta_map_without_ground_state_claims_no_gain(tmp_path):
    # ta/demo_data_Hippius_etal_JPCC2007_111_13988_Figs5_9.ascii: glotaran/pyglotaran-examples (MIT)
    ta = REAL / "ta" / "demo_data_Hippius_etal_JPCC2007_111_13988_Figs5_9.ascii"
    p = tmp_path / "experiment.toml"
    p.write_text(SAMPLE + f'''
[[measurement]]
sample = "S"
kind = "ta_map"
file = "{ta}"
pump_eV = 3.1
fluence_mJ_cm2 = 0.1
''')
    tamap = Loader().load(read_manifest(p).measurements[0])["file"]
    assert isinstance(tamap, TAMap) and tamap.dA.shape == (335, 346)
    results = analyze(p)
    assert "gain_bandwidth_meV" not in results.samples.get("S", {})
    assert {w.quantity for w in results.warnings} >= {"gain_bandwidth_meV", "gain_lifetime_ns"}
    plot = next(pl for pl in results.plots if pl.family == "ta_map")
    from multiphoton.plotdata import plot_from_json
    from multiphoton.report.figures import draw

    fig = draw(plot_from_json(plot.to_json()))  # the figure renders from the plot data as written to disk
    assert len(fig.axes) >= 1
