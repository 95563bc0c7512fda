"""Coverage pages (the ``coverage`` blueprint): a teacher's classes and pupils, the school and trust
heat maps, the report to governors."""

from . import class_pages, evidence_pages, overview_pages  # noqa: F401  (their routes join the blueprint)
from .common import bp

__all__ = ["bp"]
