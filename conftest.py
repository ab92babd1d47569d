"""Repository-level pytest configuration."""
import matplotlib

# Figures are rendered off-screen everywhere (tests, doctests, CI without a display).
matplotlib.use("Agg")

# `python -m multiphoton` runs the CLI on import: never collect it as a doctest module.
collect_ignore = ["src/multiphoton/__main__.py"]
