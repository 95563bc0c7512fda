"""Routes of safeguarding records: ``files`` (attachments), ``tasks`` (tasks, reviews, the DSL's home)."""

from .. import cli  # noqa: F401,E402  (`flask records digest`)
from . import files, record, references, tasks, transfers  # noqa: F401  (their routes join the blueprint)
from .common import bp

__all__ = ["bp"]
