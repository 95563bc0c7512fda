"""A pupil's sign-in secrets as staff hand them out: typed passwords a child can read off a card,
picture passwords, and printable sign-in cards (a new QR badge each). Functions flush; the view commits.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from ..extensions import db
from ..schools.models import Pupil, StaffUser
from ..timeutil import utcnow
from . import service

# Words a 7-year-old can read and type: a pupil password is two of them and a number.
CHILD_WORDS = (
    "apple bear bird boat book cake cat cloud cow dog duck egg fish frog goat hat hill kite lamb "
    "leaf lion moon nest owl panda pear pig rain river rock seal ship sock star sun tiger train tree "
    "van whale wolf yak zebra"
).split()


def new_child_password() -> str:
    """A password a child can read off their card and type: 'tiger-cloud-47'."""
    return f"{secrets.choice(CHILD_WORDS)}-{secrets.choice(CHILD_WORDS)}-{secrets.randbelow(90) + 10}"


def reset_pupil_password(pupil: Pupil) -> str:
    password = new_child_password()
    pupil.password_hash = service.hash_password(password)
    pupil.session_version += 1
    pupil.failed_signins = 0
    pupil.locked_until = None
    db.session.flush()
    return password


def new_picture_password(pupil: Pupil) -> tuple[str, ...]:
    pictures = service.random_picture_password()
    service.set_picture_password(pupil, pictures)
    pupil.session_version += 1
    db.session.flush()
    return pictures


def card_passwords(pupils: list[Pupil]) -> dict[int, str]:
    """Typed passwords for card printing: KS2 and up without one get one now (shown once, on the card)."""
    out = {}
    for pupil in pupils:
        if pupil.password_hash is None and pupil.band not in (None, "ks1"):
            out[pupil.id] = reset_pupil_password(pupil)
    return out


def unlock(pupil: Pupil) -> None:
    """Let a pupil who made too many wrong tries sign in again straight away."""
    from .throttle import lift

    lift(pupil)


@dataclass(frozen=True)
class Card:
    """One printable sign-in card: the badge token and any new password are shown only on it."""

    pupil: Pupil
    token: str
    pictures: tuple[str, ...] | None
    password: str | None


@dataclass(frozen=True)
class CardSheet:
    cards: list[Card]
    valid_until: datetime


def issue_cards(pupils: list[Pupil], issued_by: StaffUser | None,
                passwords: dict[int, str] | None = None) -> CardSheet:
    """Issue each pupil a new badge (their older cards stop working) for printing.

    KS2 pupils who have no password yet get one now, printed on their card (also shown only there);
    ``passwords`` carries any the caller has just set.
    """
    valid_until = utcnow() + current_app.config["BADGE_LIFETIME"]
    passwords = dict(passwords or {})
    passwords.update(card_passwords([p for p in pupils if p.id not in passwords]))
    cards = [Card(pupil, service.issue_badge(pupil, issued_by), service.picture_password_of(pupil),
                  passwords.get(pupil.id)) for pupil in pupils]
    return CardSheet(cards, valid_until)
