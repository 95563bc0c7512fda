"""Sign-in routes (the ``auth`` blueprint): ``sign_in`` for every age, ``cards`` for what staff print."""

from . import cards, lessons, pauses, sign_in  # noqa: F401  (their routes join the blueprint)
from .common import bp

__all__ = ["bp"]
