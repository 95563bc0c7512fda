"""Sign-in routes (the ``auth`` blueprint): ``sign_in`` for every age, ``cards`` for what staff print,
``mfa`` for second factors."""

from . import cards, lessons, mfa, pauses, sign_in  # noqa: F401  (their routes join the blueprint)
from .common import bp

__all__ = ["bp"]
