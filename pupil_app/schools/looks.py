"""A child's look on the class page: a picture and a colour that no classmate has, and a name tile
that tells look-alike names apart.

A four-year-old finds themselves by their picture first, so each class uses every picture once
before any picture comes back in a second colour (40 pictures x 8 colours: 320 looks a class).
Enforced where a pupil joins a class: created, imported, moved, and after a rollover (classes move
up whole, so looks stay unique; ``fix_class`` repairs any class that is not).
"""

from __future__ import annotations

import random
import secrets
from collections import Counter
from collections.abc import Iterable

from sqlalchemy import select

from ..extensions import db
from .models import Pupil, SchoolClass

PICTURES = (
    "fox", "owl", "bear", "rabbit", "frog", "panda", "lion", "penguin", "tiger", "koala", "mouse", "elephant",
    "pig", "cow", "sheep", "duck", "chick", "hedgehog", "monkey", "hippo", "zebra", "horse", "unicorn", "dragon",
    "snail", "bee", "ladybird", "butterfly", "whale", "octopus", "crab", "turtle", "snake", "squirrel", "deer",
    "hamster", "bat", "seal", "parrot", "giraffe",
)
# Each colour is a CSS class (look--<colour>) on the tile: a thick ring and a tint around the picture.
COLOURS = ("blue", "red", "green", "yellow", "purple", "orange", "pink", "grey")
DEFAULT_COLOUR = "blue"

Look = tuple[str, str]


def classmates(school_class_id: int, exclude_id: int | None = None) -> list[Pupil]:
    """The active pupils of a class (the ones whose looks must differ)."""
    query = select(Pupil).where(Pupil.class_id == school_class_id, Pupil.active.is_(True))
    if exclude_id is not None:
        query = query.where(Pupil.id != exclude_id)
    return list(db.session.scalars(query.order_by(Pupil.id)))


def free_look(taken: Iterable[Look], rng: random.Random | None = None) -> Look:
    """A look nobody in ``taken`` has: one of the least-used pictures, in a colour unused with it."""
    taken = set(taken)
    used = Counter(picture for picture, _ in taken)
    fewest = min(used.get(p, 0) for p in PICTURES)
    candidates = [p for p in PICTURES if used.get(p, 0) == fewest]
    choose = rng.choice if rng else secrets.choice
    picture = choose(candidates)
    colours = [c for c in COLOURS if (picture, c) not in taken]
    if not colours:  # every look is taken (a class of more than 320): share the least-used picture's look
        return picture, DEFAULT_COLOUR
    return picture, choose(colours)


def give_look(pupil: Pupil, school_class_id: int | None = None, rng: random.Random | None = None) -> None:
    """Give ``pupil`` a look no active classmate has, keeping theirs when it is already unique."""
    class_id = school_class_id if school_class_id is not None else pupil.class_id
    if class_id is None:
        return
    with db.session.no_autoflush:
        taken = {(p.avatar, p.avatar_colour) for p in classmates(class_id, exclude_id=pupil.id)}
    mine = (pupil.avatar, pupil.avatar_colour or DEFAULT_COLOUR)
    if pupil.avatar in PICTURES and mine not in taken:
        pupil.avatar_colour = mine[1]
        return
    pupil.avatar, pupil.avatar_colour = free_look(taken, rng)


def fix_class(school_class: SchoolClass) -> int:
    """Give a new look to every pupil who shares one with an earlier classmate; returns how many."""
    seen: set[Look] = set()
    changed = 0
    pupils = classmates(school_class.id)
    for pupil in pupils:
        look = (pupil.avatar, pupil.avatar_colour)
        if look in seen or pupil.avatar not in PICTURES:
            pupil.avatar, pupil.avatar_colour = free_look(seen | {(p.avatar, p.avatar_colour) for p in pupils})
            changed += 1
        seen.add((pupil.avatar, pupil.avatar_colour))
    db.session.flush()
    return changed


def tile_names(pupils: Iterable[Pupil]) -> dict[int, str]:
    """First name, plus as much of the surname as tells classmates of the same first name apart.

    "Seren Williams" and "Seren Wyn" become "Seren Wi" and "Seren Wy"; a first name nobody else
    has stays alone; identical full names show in full (their pictures tell them apart).
    """
    pupils = list(pupils)
    by_first: dict[str, list[Pupil]] = {}
    for pupil in pupils:
        by_first.setdefault(pupil.first_name.casefold(), []).append(pupil)
    names: dict[int, str] = {}
    for group in by_first.values():
        if len(group) == 1:
            names[group[0].id] = group[0].first_name
            continue
        for pupil in group:
            last = pupil.last_name
            others = [o.last_name.casefold() for o in group if o.id != pupil.id]
            length = 1
            while length < len(last) and any(o.startswith(last[:length].casefold()) for o in others):
                length += 1
            names[pupil.id] = f"{pupil.first_name} {last[:length]}".strip()
    return names
