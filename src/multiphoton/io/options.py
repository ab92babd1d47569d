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

from ..units import PULSE_SHAPES, TWO_PHOTON_COUNTINGS
from .schema import REQUIRED, opt, record

__all__ = [
    "IcpOptions", "SampleOptions", "SeriesFile", "MeasurementOptions",
    "AbsorptionOptions", "PLSpectrumOptions", "PLFluenceSeriesOptions", "TPEFOptions",
    "TRPLSeriesOptions", "ASESeriesOptions", "TAMapOptions", "LaserSeriesOptions",
    "TimeSeriesOptions", "QuantumYieldOptions", "DilutionFile", "KnifeEdgeOptions", "ZScanOptions", "OPTIONS_BY_KIND", "KINDS", "READER_OPTIONS", "FORMAT_NAMES",
    "nominal",
]

READER_OPTIONS: Mapping[str, tuple[str, ...]] = {
    "irf": ("channel", "block", "gate_ns", "acquisition_window_s"),
    "pl_spectrum": ("frame",),
    "ta_map": ("layout", "spectral_axis", "delay_unit", "encoding"),
    "trpl_series": ("fluence_mJ_cm2", "fluence_per_power_mJ_cm2", "meta_rows", "time_unit", "layout",
                    "header_values"),
    "pl_fluence_series": ("layout", "header_values"),
    "ase_series": ("layout", "header_values"),
    "laser_series": ("layout", "header_values"),
    "time_series": ("layout", "header_values"),
}
"""Reader options (docs/formats.md) per container read from a file; a single decay or
spectrum of a ``files = [...]`` series is read as ``irf`` (a decay) or ``pl_spectrum``.
``layout = "wide"`` (with optional ``header_values``) reads a series kind's file as a wide
table (:mod:`multiphoton.io.wide`)."""

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
    standards : Path or None
        The lab's standards file named at the manifest's top level (``standards = …``).
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
    standards: Path | None = None

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
    # fluence from what the lab measured (data contract section 5; used when a series file
    # gives pulse_energy_uJ or power_mW instead of fluence_mJ_cm2)
    beam_radius_from: str | None = opt("text", None, doc="name of a knife_edge measurement of this sample")
    rep_rate_Hz: float | None = opt("number", None, unit="Hz", gt=0)
    stripe_length_um: Any = opt("uncertain", None, unit="um", gt=0)
    stripe_width_um: Any = opt("uncertain", None, unit="um", gt=0)


@dataclass(frozen=True, kw_only=True)
class KnifeEdgeOptions(MeasurementOptions):
    """``knife_edge``: blade position vs transmitted power → the pump's 1/e² radius."""

    KIND: ClassVar[str] = "knife_edge"


@dataclass(frozen=True, kw_only=True)
class AbsorptionOptions(MeasurementOptions):
    """``absorption``: a ground-state spectrum (figures, σ₁ scaling, TA)."""

    KIND: ClassVar[str] = "absorption"
    path_cm: Any = opt("uncertain", None, unit="cm", gt=0)


@dataclass(frozen=True, kw_only=True)
class _Spectral(_Pulsed):
    """Baseline and integration window of an emission measurement (docs/trpl-and-ase.md §4)."""

    baseline: str = opt("choice", "wings", choices=("wings", "none"),
                        doc="without a background file: subtract a line through the wings, or nothing")
    integration_eV: tuple[float, float] | None = opt("pair", None, unit="eV", gt=0,
                                                     doc="energy window of every integral and fit")


@dataclass(frozen=True, kw_only=True)
class PLSpectrumOptions(_Spectral):
    """``pl_spectrum``: one PL spectrum (peak energy, FWHM)."""

    KIND: ClassVar[str] = "pl_spectrum"
    FILES: ClassVar[Mapping[str, str]] = {"file": "", "background": "pl_spectrum"}


@dataclass(frozen=True, kw_only=True)
class PLFluenceSeriesOptions(_Spectral):
    """``pl_fluence_series``: PL spectra vs fluence (power-law order, PL peak)."""

    KIND: ClassVar[str] = "pl_fluence_series"
    FILES: ClassVar[Mapping[str, str]] = {"file": "", "background": "pl_spectrum"}
    SERIES: ClassVar[str | None] = "fluence_mJ_cm2"

    saturation: bool = opt("bool", False, doc="spectra under identical collection: fit sigma2 from saturation")
    fluence_rel_uncertainty: float = opt("number", 0.0, ge=0, doc="relative std of the fluence calibration")


@dataclass(frozen=True, kw_only=True)
class TPEFOptions(_Spectral):
    """``tpef``: σ₂ by relative two-photon excited fluorescence against a reference dye."""

    KIND: ClassVar[str] = "tpef"
    # decay_1p / decay_2p (optional): the sample's decays under one- and two-photon
    # excitation (time_ns, counts, as an IRF file), for the lifetime half of η₂ = η₁
    FILES: ClassVar[Mapping[str, str]] = {"sample_2p": "pl_fluence_series", "reference_2p": "pl_fluence_series",
                                          "sample_1p": "pl_spectrum", "reference_1p": "pl_spectrum",
                                          "decay_1p": "irf", "decay_2p": "irf"}
    REQUIRED_FILES: ClassVar[tuple[str, ...]] = ("sample_2p", "reference_2p", "sample_1p", "reference_1p")

    excitation_eV: float = opt("number", REQUIRED, unit="eV", photon=True)
    excitation_1p_eV: float = opt("number", REQUIRED, unit="eV", photon=True)
    reference: str = opt("text", REQUIRED, doc="a dye of the standards library")
    reference_sigma2_GM: Any = opt("uncertain", None, unit="GM", gt=0)
    reference_sigma1_cm2: Any = opt("uncertain", None, unit="cm2", gt=0)
    sample_sigma1_cm2: Any = opt("uncertain", None, unit="cm2", gt=0)
    absorption: str | None = opt("text", None, doc="name of the absorption measurement that scales σ₁")
    # quantum-yield cross-check from the one-photon files (gives quantum_yield_tpef)
    sample_absorbance_1p: Any = opt("uncertain", None, unit="OD (base 10)", gt=0)
    reference_absorbance_1p: Any = opt("uncertain", None, unit="OD (base 10)", gt=0)
    reference_qy: Any = opt("uncertain", None, gt=0, le=1)
    sample_solvent: str | None = opt("text", None, doc="a solvent of the standards library")
    reference_solvent: str | None = opt("text", None, doc="a solvent of the standards library")
    sample_n: Any = opt("uncertain", None, gt=0)
    reference_n: Any = opt("uncertain", None, gt=0)


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

    two_photon_counting: str = opt("choice", "events", choices=TWO_PHOTON_COUNTINGS,
                                   doc="excitons per σ₂ event: one (events) or ½ (photons)")


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
    global_components: int | str | None = opt(
        "int_or_auto", None, ge=1, le=6, doc="global lifetime analysis: K exponentials, or \"auto\"")
    global_offset: bool = opt("bool", True, doc="global analysis: add a long-lived spectrum")
    global_artefact: bool = opt("bool", True, doc="global analysis: add a coherent-artefact (IRF-shaped) spectrum")
    global_chirp_order: int = opt("int", 2, ge=0, le=4, doc="global analysis: order of the fitted chirp t0(E)")


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


@dataclass(frozen=True)
class DilutionFile:
    """One entry of ``sample_files``/``reference_files`` (gradient method): a PL spectrum
    file and the base-10 absorbance of that dilution at the excitation energy."""

    path: Path
    absorbance: Any


def _dilutions(raw, key: str, base: Path, where: str) -> tuple[DilutionFile, ...]:
    from ..errors import InputError
    from .schema import unknown_key_error

    entries = raw[key]
    if not isinstance(entries, list):
        raise InputError(f"{where}, key {key!r}: must be a list of tables "
                         "[{ file = \"…\", absorbance = [v, s] }, …].")
    out = []
    for k, e in enumerate(entries):
        w = f"{where}, {key}[{k}]"
        if not isinstance(e, dict) or "file" not in e or "absorbance" not in e:
            raise InputError(f"{w}: needs `file` and `absorbance` ({{ file = \"…\", absorbance = [v, s] }}).")
        for extra in e:
            if extra not in ("file", "absorbance"):
                raise unknown_key_error(extra, w, ("file", "absorbance"))
        a = e["absorbance"]
        pair = list(a) if isinstance(a, list) else [a, 0.0]
        if len(pair) != 2 or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in pair) \
                or not pair[0] > 0 or pair[1] < 0:
            raise InputError(f"{w}, key 'absorbance': expected a positive number or [value, std ≥ 0], got {a!r}.")
        path = (base / str(e["file"])).resolve()
        if not path.is_file():
            raise InputError(f"{w}: file {e['file']!r} not found (looked for {path}).")
        from uncertainties import ufloat
        out.append(DilutionFile(path, ufloat(*pair) if pair[1] > 0 else float(pair[0])))
    if len(out) < 3:
        raise InputError(f"{where}, key {key!r}: the gradient method needs at least 3 dilutions, got {len(out)}.")
    return tuple(out)


@dataclass(frozen=True, kw_only=True)
class QuantumYieldOptions(_Pulsed):
    """``quantum_yield``: relative PL quantum yield against a reference (data contract section 5).

    Single point: files ``sample_file`` and ``reference_file`` (the contract's ``sample`` and
    ``reference`` clash with the sample id and the reference dye; docs/contract-extensions.md) with ``sample_absorbance`` and
    ``reference_absorbance``; gradient: ``sample_files`` and ``reference_files`` (≥ 3
    dilutions each, :class:`DilutionFile`, held in ``sample_dilutions`` /
    ``reference_dilutions``).
    """

    KIND: ClassVar[str] = "quantum_yield"
    FILES: ClassVar[Mapping[str, str]] = {"sample_file": "pl_spectrum", "reference_file": "pl_spectrum"}
    REQUIRED_FILES: ClassVar[tuple[str, ...]] = ()
    EXTRA_KEYS: ClassVar[tuple[str, ...]] = ("sample_files", "reference_files")

    sample_dilutions: tuple[DilutionFile, ...] = ()
    reference_dilutions: tuple[DilutionFile, ...] = ()
    sample_absorbance: Any = opt("uncertain", None, unit="OD (base 10)", gt=0)
    reference_absorbance: Any = opt("uncertain", None, unit="OD (base 10)", gt=0)
    reference: str | None = opt("text", None, doc="a dye of the standards library with a cited quantum yield")
    reference_qy: Any = opt("uncertain", None, gt=0, le=1)
    sample_solvent: str | None = opt("text", None, doc="a solvent of the standards library")
    reference_solvent: str | None = opt("text", None, doc="a solvent of the standards library")
    sample_n: Any = opt("uncertain", None, gt=0, doc="refractive index of the sample's solvent")
    reference_n: Any = opt("uncertain", None, gt=0, doc="refractive index of the reference's solvent")

    @classmethod
    def parse_extra(cls, raw, base: Path, where: str) -> dict[str, Any]:
        """Check the form (single point or gradient) and read the dilution lists."""
        from ..errors import InputError

        single = [k for k in ("sample_file", "reference_file") if k in raw]
        gradient = [k for k in cls.EXTRA_KEYS if k in raw]
        if single and gradient:
            raise InputError(f"{where}: give `sample_file`/`reference_file` (single point) or `sample_files`/"
                             "`reference_files` (gradient), not both.")
        if gradient:
            if len(gradient) != 2:
                raise InputError(f"{where}: the gradient method needs both `sample_files` and `reference_files`.")
            out = {"sample_dilutions": _dilutions(raw, "sample_files", base, where),
                   "reference_dilutions": _dilutions(raw, "reference_files", base, where)}
        else:
            missing = [k for k in ("sample_file", "reference_file", "sample_absorbance", "reference_absorbance")
                       if k not in raw]
            if missing:
                raise InputError(f"{where}: a single-point quantum_yield needs {', '.join(missing)} (or the "
                                 "gradient form: sample_files and reference_files).")
            out = {}
        if "reference" not in raw and "reference_qy" not in raw:
            raise InputError(f"{where}: name the reference's quantum yield: `reference = \"rhodamine-6g\"` "
                             "(a dye of the standards library) or `reference_qy = [value, std]`.")
        for who in ("sample", "reference"):
            if f"{who}_solvent" not in raw and f"{who}_n" not in raw and not (who == "reference" and "reference" in raw):
                raise InputError(f"{where}: give `{who}_solvent` (a solvent the standards library knows) or "
                                 f"`{who}_n` (its refractive index).")
        return out

    @property
    def extra_files(self) -> dict[str, Path]:
        """The dilution files by key (``sample_files[0]``, …), read as ``pl_spectrum``."""
        return {f"{who}_files[{k}]": d.path for who in ("sample", "reference")
                for k, d in enumerate(getattr(self, f"{who}_dilutions"))}


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
        QuantumYieldOptions, KnifeEdgeOptions, ZScanOptions,
    )
}
"""Measurement kind → its options class."""

KINDS: tuple[str, ...] = tuple(OPTIONS_BY_KIND)
"""The measurement kinds the manifest accepts."""
