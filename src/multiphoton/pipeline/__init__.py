"""Manifest → measurements → analyses → Results (the only glue between the layers)."""
from .core import Context, analyze, write_outputs

__all__ = ["Context", "analyze", "write_outputs"]
