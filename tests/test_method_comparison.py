"""Method comparison: the three σ₂ methods on a simulated campaign, and a campaign whose
reference dye value is wrong by 30 % (the disagreement and the warning must show)."""
import json
import re

import pytest

from multiphoton.cli import main
from multiphoton.report.comparison import Z_WARN, compare_methods
from multiphoton.results import Estimate, Results


def test_z_and_warning_threshold():
    a = Estimate(value=10.0, stderr=0.3, method="a")
    b = Estimate(value=8.0, stderr=0.4, method="b")
    (c,) = compare_methods(Results(samples={"S": {"tau_xx_ns": a, "tau_xx_global_ns": b}}))
    assert c.z == pytest.approx(2.0 / 0.5) and c.warning and Z_WARN == 3.0
    (c,) = compare_methods(Results(samples={"S": {"tau_xx_ns": a, "tau_xx_global_ns": Estimate(
        value=9.0, stderr=0.4, method="b")}}))
    assert c.z == pytest.approx(2.0) and not c.warning


def test_the_two_biexciton_definitions_are_shown_side_by_side_without_a_warning():
    # the ASE-peak proxy and E_X − E_XX are different quantities (contract section 5): a z of 27
    # between them (the bundled campaign's) is the proxy's offset, not a failed method
    from multiphoton.report.comparison import comparison_html

    q = {"biexciton_binding_meV": Estimate(value=-24.6, stderr=0.5, method="ase-peak"),
         "biexciton_binding_pl_meV": Estimate(value=-10.7, stderr=0.2, method="pl-decomposition"),
         "sigma2_GM": Estimate(value=2.2e6, stderr=0.1e6, method="tpef"),
         "sigma2_zscan_GM": Estimate(value=1.7e6, stderr=0.1e6, method="zscan")}
    rows = {c.key_a: c for c in compare_methods(Results(samples={"S": q}))}
    eb = rows["biexciton_binding_meV"]
    assert eb.z == pytest.approx(-13.9 / (0.29**0.5 * 1.0), rel=1e-3) and abs(eb.z) > Z_WARN
    assert not eb.warning and "ASE-peak proxy" in eb.definition and "E_X - E_XX" in eb.definition
    assert rows["sigma2_GM"].warning and not rows["sigma2_GM"].definition  # σ₂ keeps its 3σ warning
    html = comparison_html(Results(samples={"S": q}))
    eb_row = next(r for r in html.split("<tr>") if "biexciton_binding_pl_meV" in r)
    assert "⚠" not in eb_row and "different quantities by definition" in eb_row and "-13.9" not in eb_row
    assert "1 pair(s) of methods disagree" in html


def _blocks(text):
    head, *blocks = text.split("[[measurement]]")
    return head, blocks


def _wrong_dye_manifest(path, sample="QS-6.0"):
    """The dye's σ₂ 30 % high, stated precisely (2 %), with precise one-photon cross sections of
    sample and reference (1-2 %), as a lab that trusts a wrong literature value would write it.
    (With the ICP σ₁, whose TEM-spread uncertainty is ≈ 26 %, a 30 % error hides in the noise.)"""
    sigma1 = json.loads((path.parent / "truth.json").read_text())["samples"][sample]["sigma1_cm2"]
    head, blocks = _blocks(path.read_text())
    out = []
    keep = ('kind = "tpef"', 'kind = "zscan"', 'kind = "trpl_series"', 'kind = "pl_fluence_series"')
    for b in blocks:
        if f'sample = "{sample}"' not in b or not any(k in b for k in keep):
            continue  # only what the three σ₂ methods need, to keep the test short
        if 'kind = "tpef"' in b:
            b = re.sub(r"reference_sigma1_cm2 = \[([^,]+), [^\]]+\]",
                       lambda m: f"reference_sigma1_cm2 = [{m.group(1)}, {float(m.group(1)) * 0.01:.4g}]", b)
            b = b.rstrip("\n") + ("\nreference_sigma2_GM = [21.06, 0.42]"  # 16.2 GM × 1.3
                                   f"\nsample_sigma1_cm2 = [{sigma1:.6g}, {0.02 * sigma1:.3g}]\n\n")
        out.append(b)
    path.write_text("[[measurement]]".join([head, *out]))


@pytest.fixture(scope="module")
def wrong_dye(tmp_path_factory):
    root = tmp_path_factory.mktemp("wrongdye")
    assert main(["simulate", "paper-2023", str(root / "c"), "--seed", "0"]) == 0
    _wrong_dye_manifest(root / "c" / "experiment.toml")
    assert main(["analyze", str(root / "c" / "experiment.toml"), "--out", str(root / "r"), "--quiet",
                 "--sample", "QS-6.0"]) == 0
    return root


@pytest.mark.slow  # simulates and analyses a campaign (≈ 20 s of CPU)
def test_wrong_reference_dye_shows_the_disagreement_and_the_warning(wrong_dye):
    results = Results.from_json(json.loads((wrong_dye / "r" / "results.json").read_text()))
    q = results.samples["QS-6.0"]
    assert q["sigma2_GM"].value == pytest.approx(1.3 * 0.4e6, rel=0.08)  # TPEF follows the dye, 30 % high
    pairs = {(c.key_a, c.key_b): c for c in compare_methods(results)}
    for other in ("sigma2_zscan_GM", "sigma2_saturation_GM"):
        c = pairs[("sigma2_GM", other)]
        assert c.z > Z_WARN and c.warning, (other, c.z)
    # the two dye-free methods still agree with each other
    assert abs(pairs[("sigma2_zscan_GM", "sigma2_saturation_GM")].z) < Z_WARN
    html = (wrong_dye / "r" / "report.html").read_text(encoding="utf-8")
    table = html[html.index('id="method-comparison"'):]
    assert "⚠" in table and "differ by" in table and "disagree beyond 3" in html
