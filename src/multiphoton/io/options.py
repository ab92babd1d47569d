"""Typed options: one frozen dataclass per manifest table, built once when it is read.

:func:`multiphoton.io.manifest.read_manifest` checks every table of the manifest against
these classes (strictly: an unknown key is bad input, with the nearest known key
suggested) and hands the pipeline the objects; nothing downstream re-parses a value.
Fields are in the units their names say; ``uncertain`` fields hold an ``uncertainties``
number when the manifest gave ``[value, std]`` with std > 0, else a float.

Each measurement class declares, as class variables, the files its kind reads
(:attr:`MeasurementOptions.FILES`: file key → container read from it) and which of them
are required. Adding a measurement kind means adding one class here (and listing it in
:data:`OPTIONS_BY_KIND`), one step in :mod:`multiphoton.pipeline.steps`; see
docs/architecture.md.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ..units import PULSE_SHAPES
from .schema import REQUIRED, opt, record

__all__ = [
    "IcpOptions", "SampleOptions", "SeriesFile", "MeasurementOptions",
    "AbsorptionOptions", "PLSpectrumOptions", "PLFluenceSeriesOptions", "TPEFOptions",
    "TRPLSeriesOptions", "ASESeriesOptions", "TAMapOptions", "LaserSeriesOptions",
    "TimeSeriesOptions", "ZScanOptions", "OPTIONS_BY_KIND", "KINDS", "READER_OPTIONS", "FORMAT_NAMES",
    "nominal",
]

READER_OPTIONS: Mapping[str, tuple[str, ...]] = {
    "irf": ("channel", "block", "gate_ns", "acquisition_window_s"),
    "pl_spectrum": ("frame",),
    "ta_map": ("layout", "spectral_axis", "delay_unit", "encoding"),
    "trpl_series": ("fluence_mJ_cm2", "fluence_per_power_mJ_cm2", "meta_rows", "time_unit"),
}
"""Reader options (docs/formats.md) per container read from a file; a single decay or
spectrum of a ``files = [...]`` series is read as ``irf`` (a decay) or ``pl_spectrum``."""

FORMAT_NAMES = ("csv", "tidy", "vendor", "ptu", "sdt", "sif", "spe", "ta-ascii", "fluotime-dat", "trpl-csv")
"""Values of ``format`` / ``<key>_format``: the contract's CSV, detection, or a vendor format."""


def nominal(value):
    """The nominal value of an option (a float, or an ``uncertainties`` number's value)."""
    return None if value is None else float(getattr(value, "nominal_value", value))


@dataclass(frozen=True, kw_only=True)
class IcpOptions:
    """``[sample.icp]``: Cd concentration and absorbance of the solution measured by ICP-OES."""

    cd_mol_per_L: Any = opt("uncertain", REQUIRED, unit="mol/L", gt=0)
    absorbance: Any = opt("uncertain", REQUIRED, unit="OD (base 10)", gt=0)
    energy_eV: float = opt("number", REQUIRED, unit="eV", photon=True)
    path_cm: Any = opt("uncertain", REQUIRED, unit="cm", gt=0)


@dataclass(frozen=True, kw_only=True)
class SampleOptions:
    """One ``[[sample]]``: its id, layers and TEM sizes, and optionally ICP data.

    Sizes are ``(mean, ensemble std)`` pairs in nm (the std is the spread of the
    ensemble, data contract section 2); ``total_volume_nm3`` and
    ``cd_atoms_per_particle`` are uncertain numbers.
    """

    id: str = opt("text", REQUIRED)
    layers: tuple[str, ...] = opt("texts", ())
    core_diameter_nm: tuple[float, float] | None = field(default=None, metadata={})
    shell_thickness_nm: tuple[tuple[float, float], ...] = field(default=(), metadata={})
    n_particles: int | None = opt("int", None, ge=1, doc="particles sized by TEM")
    total_volume_nm3: Any = opt("uncertain", None, unit="nm3", gt=0)
    cd_atoms_per_particle: Any = opt("uncertain", None, gt=0)
    notes: str = opt("text", "")
    icp: IcpOptions | None = field(default=None, metadata={})

    @property
    def where(self) -> str:
        return f"sample {self.id!r}"


@dataclass(frozen=True)
class SeriesFile:
    """One entry of ``files = [...]``: a path, its fluence (or time) and reader options."""

    path: Path
    value: float
    reader_options: Mapping[str, Any] = field(default_factory=dict)
    format: str | None = None


@dataclass(frozen=True, kw_only=True)
class MeasurementOptions:
    """What every ``[[measurement]]`` has; one subclass per kind adds its options.

    Attributes (not manifest keys)
    ------------------------------
    sample, kind : str
    index : int
        0-based position in the manifest (messages number from 1).
    files : mapping of str to Path
        Absolute paths of the file keys given.
    series : tuple of SeriesFile
        The ``files = [...]`` entries, if given instead of ``file``.
    formats : mapping of str to str
        ``format`` (key ``"file"``) and ``<key>_format`` values given.
    reader_options : mapping of str to mapping
        Reader options per file key (``irf_block = 1`` → ``{"irf": {"block": 1}}``).
    manifest : Path
        The manifest file.
    """

    KIND: ClassVar[str] = ""
    FILES: ClassVar[Mapping[str, str]] = {"file": ""}
    """File key → container read from it ("" = the measurement's own kind)."""
    REQUIRED_FILES: ClassVar[tuple[str, ...]] = ("file",)
    SERIES: ClassVar[str | None] = None
    """Key of the value beside each ``files = [...]`` entry, or None when the kind takes one file."""

    sample: str
    kind: str
    index: int
    manifest: Path
    files: Mapping[str, Path] = field(default_factory=dict)
    series: tuple[SeriesFile, ...] = ()
    formats: Mapping[str, str] = field(default_factory=dict)
    reader_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    name: str | None = opt("text", None, doc="label, unique in the manifest")
    notes: str = opt("text", "")
    provides: tuple[str, ...] | None = opt("texts", None,
                                           doc="the quantities this measurement gives (default: all its kind gives)")

    @property
    def where(self) -> str:
        """Where this measurement is in the manifest, for messages."""
        return f"measurement #{self.index + 1} ({self.kind}, sample {self.sample})"

    def container(self, key: str) -> str:
        """The container read from file key ``key``."""
        return self.FILES[key] or self.kind

    def record(self) -> dict[str, Any]:
        """The options as used, JSON-safe (for a quantity's ``details.options``)."""
        out = {"measurement": self.index + 1, "kind": self.kind}
        out.update({k: v for k, v in record(self).items() if k not in ("notes",)})
        return out


@dataclass(frozen=True, kw_only=True)
class _Pulsed(MeasurementOptions):
    """Excitation of a spectroscopic measurement: photon energy and pulse."""

    excitation_eV: float | None = opt("number", None, unit="eV", photon=True)
    pulse_fwhm_fs: Any = opt("uncertain", None, unit="fs", gt=0)
    pulse_shape: str = opt("choice", "gaussian", choices=PULSE_SHAPES)
    beam_radius_um: Any = opt("uncertain", None, unit="um", gt=0)
    beam_profile: str = opt("choice", "gaussian", choices=("gaussian", "flat-top"))


@dataclass(frozen=True, kw_only=True)
class AbsorptionOptions(MeasurementOptions):
    """``absorption``: a ground-state spectrum (figures, σ₁ scaling, TA)."""

    KIND: ClassVar[str] = "absorption"
    path_cm: Any = opt("uncertain", None, unit="cm", gt=0)


@dataclass(frozen=True, kw_only=True)
class PLSpectrumOptions(_Pulsed):
    """``pl_spectrum``: one PL spectrum (peak energy, FWHM)."""

    KIND: ClassVar[str] = "pl_spectrum"


@dataclass(frozen=True, kw_only=True)
class PLFluenceSeriesOptions(_Pulsed):
    """``pl_fluence_series``: PL spectra vs fluence (power-law order, PL peak)."""

    KIND: ClassVar[str] = "pl_fluence_series"
    SERIES: ClassVar[str | None] = "fluence_mJ_cm2"

    saturation: bool = opt("bool", False, doc="spectra under identical collection: fit sigma2 from saturation")
    fluence_rel_uncertainty: float = opt("number", 0.0, ge=0, doc="relative std of the fluence calibration")


@dataclass(frozen=True, kw_only=True)
class TPEFOptions(_Pulsed):
    """``tpef``: σ₂ by relative two-photon excited fluorescence against a reference dye."""

    KIND: ClassVar[str] = "tpef"
    FILES: ClassVar[Mapping[str, str]] = {"sample_2p": "pl_fluence_series", "reference_2p": "pl_fluence_series",
                                          "sample_1p": "pl_spectrum", "reference_1p": "pl_spectrum"}
    REQUIRED_FILES: ClassVar[tuple[str, ...]] = ("sample_2p", "reference_2p", "sample_1p", "reference_1p")

    excitation_eV: float = opt("number", REQUIRED, unit="eV", photon=True)
    excitation_1p_eV: float = opt("number", REQUIRED, unit="eV", photon=True)
    reference: str = opt("text", REQUIRED, doc="a dye of the standards library")
    reference_sigma2_GM: Any = opt("uncertain", None, unit="GM", gt=0)
    reference_sigma1_cm2: Any = opt("uncertain", None, unit="cm2", gt=0)
    sample_sigma1_cm2: Any = opt("uncertain", None, unit="cm2", gt=0)
    absorption: str | None = opt("text", None, doc="name of the absorption measurement that scales σ₁")


@dataclass(frozen=True, kw_only=True)
class TRPLSeriesOptions(_Pulsed):
    """``trpl_series``: decays vs fluence (τ_XX, τ_X), optionally with an IRF."""

    KIND: ClassVar[str] = "trpl_series"
    FILES: ClassVar[Mapping[str, str]] = {"file": "", "irf": "irf"}
    SERIES: ClassVar[str | None] = "fluence_mJ_cm2"

    window_ns: tuple[float, float] | None = opt("pair", None, unit="ns", ge=0)
    n_low: int | None = opt("int", None, ge=1)
    high_index: int | None = opt("int", None, ge=0)
    saturation: bool = opt("bool", False, doc="traces under identical collection: fit sigma from saturation")
    fluence_rel_uncertainty: float = opt("number", 0.0, ge=0, doc="relative std of the fluence calibration")
    late_start_ns: float | None = opt("number", None, unit="ns", gt=0,
                                      doc="start of the late window of the saturation amplitudes")


@dataclass(frozen=True, kw_only=True)
class ASESeriesOptions(_Pulsed):
    """``ase_series``: emission spectra vs fluence through the ASE threshold."""

    KIND: ClassVar[str] = "ase_series"
    SERIES: ClassVar[str | None] = "fluence_mJ_cm2"


@dataclass(frozen=True, kw_only=True)
class TAMapOptions(MeasurementOptions):
    """``ta_map``: transient absorption ΔA(delay, energy) and the film's ground state."""

    KIND: ClassVar[str] = "ta_map"
    FILES: ClassVar[Mapping[str, str]] = {"file": "", "ground_state": "absorption"}

    pump_eV: float | None = opt("number", None, unit="eV", photon=True)
    pulse_fwhm_fs: Any = opt("uncertain", None, unit="fs", gt=0)
    pulse_shape: str = opt("choice", "gaussian", choices=PULSE_SHAPES)
    fluence_mJ_cm2: Any = opt("uncertain", None, unit="mJ/cm2", gt=0)
    bandwidth_delay_ps: float = opt("number", 10.0, unit="ps")
    k_sigma: float | None = opt("number", None, gt=0, doc="detection floor in noise σ (default: Bonferroni)")
    t0_ps: float = opt("number", 0.0, unit="ps")
    noise_margin_ps: float = opt("number", 0.3, unit="ps", ge=0)
    chirp_t0_coeffs_ps: tuple[float, ...] | None = opt("numbers", None, unit="ps, ps/eV, …")
    chirp_energy_ref_eV: float = opt("number", 0.0, unit="eV")


@dataclass(frozen=True, kw_only=True)
class LaserSeriesOptions(_Pulsed):
    """``laser_series``: emission spectra vs fluence through the lasing threshold."""

    KIND: ClassVar[str] = "laser_series"
    SERIES: ClassVar[str | None] = "fluence_mJ_cm2"

    k_sigma: float = opt("number", 6.0, gt=0)
    max_width_ratio: float = opt("number", 0.1, gt=0, le=1)
    background_window_eV: float = opt("number", 0.03, unit="eV", gt=0)
    line_model: str = opt("choice", "lorentzian", choices=("lorentzian", "voigt"))


@dataclass(frozen=True, kw_only=True)
class TimeSeriesOptions(_Pulsed):
    """``time_series``: spectra vs time at fixed fluence (stability, mode drift)."""

    KIND: ClassVar[str] = "time_series"
    SERIES: ClassVar[str | None] = "time_s"

    fluence_mJ_cm2: Any = opt("uncertain", None, unit="mJ/cm2", gt=0)
    rep_rate_Hz: float | None = opt("number", None, unit="Hz", gt=0)
    n_average: int = opt("int", 3, ge=1)
    mode_gate_meV: float = opt("number", 3.0, unit="meV", gt=0)
    k_sigma: float = opt("number", 6.0, gt=0)
    max_width_ratio: float = opt("number", 0.1, gt=0, le=1)


@dataclass(frozen=True, kw_only=True)
class ZScanOptions(_Pulsed):
    """``zscan``: open-aperture Z-scan of a solution (β and σ₂ without a reference dye)."""

    KIND: ClassVar[str] = "zscan"

    excitation_eV: float = opt("number", REQUIRED, unit="eV", photon=True)
    pulse_fwhm_fs: Any = opt("uncertain", REQUIRED, unit="fs", gt=0)
    pulse_energy_nJ: Any = opt("uncertain", REQUIRED, unit="nJ", gt=0)
    beam_waist_um: Any = opt("uncertain", REQUIRED, unit="um", gt=0, doc="1/e² intensity radius at focus")
    path_cm: Any = opt("uncertain", REQUIRED, unit="cm", gt=0)
    particle_concentration_M: Any = opt("uncertain", REQUIRED, unit="mol/L", gt=0)
    linear_absorbance: Any = opt("uncertain", 0.0, unit="OD (base 10)", ge=0)
    focus_mm: float | None = opt("number", None, unit="mm", doc="focus position (fitted when absent)")
    rayleigh_range_mm: float | None = opt("number", None, unit="mm", gt=0,
                                          doc="Rayleigh range (fitted when absent)")


OPTIONS_BY_KIND: Mapping[str, type[MeasurementOptions]] = {
    cls.KIND: cls for cls in (
        AbsorptionOptions, PLSpectrumOptions, PLFluenceSeriesOptions, TPEFOptions,
        TRPLSeriesOptions, ASESeriesOptions, TAMapOptions, LaserSeriesOptions, TimeSeriesOptions,
        ZScanOptions,
    )
}
"""Measurement kind → its options class."""

KINDS: tuple[str, ...] = tuple(OPTIONS_BY_KIND)
"""The measurement kinds the manifest accepts."""
