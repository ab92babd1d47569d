"""The forward physics: excitation statistics, multiexciton cascade, spectra, ASE, TA,
cavity; ``write_campaign`` writes a whole campaign in the data contract's format."""
from .presets import PRESETS, preset_names

__all__ = ["write_campaign", "PRESETS", "preset_names"]


def __getattr__(name: str):
    # write_campaign on first use: the campaign writer imports the whole physics (scipy.stats
    # and the models, ~1 s), which the command line's parser, needing the preset names only,
    # should not pay for
    if name == "write_campaign":
        from .campaign import write_campaign

        return write_campaign
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
