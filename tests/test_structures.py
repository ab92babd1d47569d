"""Layered spheres and materials: volumes and Cd atoms with propagated uncertainty."""
import math

import pytest
from uncertainties import ufloat

from multiphoton import structures
from multiphoton.errors import InputError
from multiphoton.materials import get_material


@pytest.mark.parametrize("outer_nm, v_paper", [(10.9, 678), (14.6, 1630), (19.3, 3764)])
def test_total_volumes_of_table1(outer_nm, v_paper):
    # Table 1 gives V_total from TEM sizing; outer diameters of 10.9, 14.6, 19.3 nm (one
    # decimal, as TEM sizes are reported) reproduce them to 1 %.
    core = {10.9: 4.5, 14.6: 6.0, 19.3: 8.2}[outer_nm]
    t_cdse = 1.5
    t_cds = (outer_nm - core) / 2 - t_cdse
    v = structures.total_volume_nm3(core, [t_cdse, t_cds])
    assert v == pytest.approx(v_paper, rel=0.01)


def test_volume_uncertainty_propagates():
    # V = π/6 D³ with D = d + 2t1 + 2t2: σ_V = π/2 D² σ_D, σ_D² = σ_d² + 4σ_t1² + 4σ_t2²
    d, t1, t2 = ufloat(4.5, 0.3), ufloat(2.1, 0.3), ufloat(1.1, 0.4)
    v = structures.total_volume_nm3(d, [t1, t2])
    D = 4.5 + 2 * 2.1 + 2 * 1.1
    sd = math.sqrt(0.3**2 + 4 * 0.3**2 + 4 * 0.4**2)
    assert v.nominal_value == pytest.approx(math.pi / 6 * D**3)
    assert v.std_dev == pytest.approx(math.pi / 2 * D**2 * sd)


def test_layer_volumes_sum_to_total():
    vols = structures.layer_volumes_nm3(4.5, [2.1, 1.1])
    assert sum(vols) == pytest.approx(structures.total_volume_nm3(4.5, [2.1, 1.1]))


def test_cd_densities_from_lattice_constants():
    # 2 Cd per hexagonal cell of (√3/2)a²c
    cds = get_material("CdS")
    assert cds.cd_density_per_nm3 == pytest.approx(2 / (math.sqrt(3) / 2 * 0.4136**2 * 0.6714))
    assert get_material("cdse").cd_density_per_nm3 == pytest.approx(17.83, abs=0.01)


def test_cd_atoms_per_particle():
    n = structures.cd_atoms_per_particle(["CdS", "CdSe", "CdS"], 4.5, [2.1, 1.1])
    vols = structures.layer_volumes_nm3(4.5, [2.1, 1.1])
    expect = (vols[0] + vols[2]) * get_material("CdS").cd_density_per_nm3 + vols[1] * get_material("CdSe").cd_density_per_nm3
    assert n == pytest.approx(expect)
    assert 10000 < n < 16000


def test_bad_structures():
    with pytest.raises(InputError, match="core_diameter_nm must be > 0"):
        structures.total_volume_nm3(0.0)
    with pytest.raises(InputError, match="shell_thickness_nm\\[1\\] must be ≥ 0"):
        structures.total_volume_nm3(4.0, [1.0, -1.0])
    with pytest.raises(InputError, match="one shell_thickness_nm per layer"):
        structures.cd_atoms_per_particle(["CdS", "CdSe"], 4.0, [1.0, 1.0])
    with pytest.raises(InputError, match="material 'ZnS' is not known"):
        structures.cd_atoms_per_particle(["ZnS"], 4.0)
