"""The forward physics: excitation statistics, multiexciton cascade, spectra, ASE, TA,
cavity; ``write_campaign`` writes a whole campaign in the data contract's format."""
from .campaign import write_campaign
from .presets import PRESETS, preset_names

__all__ = ["write_campaign", "PRESETS", "preset_names"]
