"""Manifest → steps → Results (the only glue between the layers)."""
from .core import analyze, plan, protected_paths
from .output import check_output, claim_output, write_outputs

__all__ = ["analyze", "plan", "protected_paths", "check_output", "claim_output", "write_outputs"]
