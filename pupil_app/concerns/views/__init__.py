"""Routes of "Tell an adult" (pupils), logging a concern (all staff), the DSL dashboard and the incident log."""

from . import dsl, log, pupil, staff  # noqa: F401  (their routes join the blueprint)
from .common import bp

__all__ = ["bp"]
