"""The Acceptable Use pledge's pages (the ``pledge`` blueprint): pupils, staff, admins and parents."""

from .. import coverage  # noqa: F401  (the pledge columns and history on the coverage pages)
from . import admin, parents, pupil, staff  # noqa: F401  (their routes join the blueprint)
from .common import bp

__all__ = ["bp"]
