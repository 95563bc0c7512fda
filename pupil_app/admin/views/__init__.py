"""Administration pages (the ``admin`` blueprint): schools, classes, staff, pupils, MIS import, rollover."""

from . import classes, imports, pupils, rollover, schools, staff  # noqa: F401  (their routes join the blueprint)
from .common import bp

__all__ = ["bp"]
