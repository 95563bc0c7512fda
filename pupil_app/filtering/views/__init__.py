"""Routes of filtering: reports and the filtering lead's record, the yearly review (reports), and
monitoring alerts: the JSON endpoint, tokens, CSV upload and the DSL's triage (monitoring)."""

from . import monitoring, reports  # noqa: F401  (their routes join the blueprint)
from .common import bp

__all__ = ["bp"]
