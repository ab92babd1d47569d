"""Manifest → steps → Results (the only glue between the layers)."""
from .core import analyze, plan, write_outputs

__all__ = ["analyze", "plan", "write_outputs"]
