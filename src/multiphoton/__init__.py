"""multiphoton: nonlinear photophysics of colloidal nanocrystals.

From a folder of measurements (a TOML manifest and the files it names) to the
two-photon cross section, multiexciton lifetimes, optical gain and lasing
figures of merit of Diroll et al., Nanoscale 2023, with uncertainties, figures
and a report.
"""
from importlib.metadata import PackageNotFoundError, version

from .errors import FitError, InputError, MultiphotonError
from .results import Estimate

try:
    __version__ = version("multiphoton")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = ["Estimate", "FitError", "InputError", "MultiphotonError", "__version__"]
