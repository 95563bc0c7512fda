"""For teachers: the curriculum at a glance, a module's outcomes as evidence, and the teach-mode deck.

Nothing here writes to the database: previewing or teaching a lesson records nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..content import CATEGORIES, Choice, Content, Module, Outcome, Question, Screen, current_content
from ..content.curriculum import YEAR_NAMES, YEARS
from .service import shuffled_steps


@dataclass(frozen=True)
class YearRow:
    year: int
    name: str  # "Reception", "Year 1" ... (translated where shown)
    cells: list[list[Module]]  # one list per risk, in the 4Cs order


@dataclass(frozen=True)
class OutcomeEvidence:
    """An outcome with the frameworks it is evidence for, by readable name (never an id)."""

    outcome: Outcome
    efcw_strand: str
    efcw_ages: str
    efcw_says: str
    rshe: str
    dcf_element: str
    dcf_step: int
    four_c: list[str]  # category names


@dataclass(frozen=True)
class Slide:
    kind: str  # "title" | "screen" | "question" | "end"
    number: int  # 1-based position in the deck
    screen: Screen | None = None
    question: Question | None = None
    # A question's choices as shown, with each one's place in the right order (order questions are mixed up).
    choices: tuple[tuple[Choice, int], ...] = ()


def curriculum_rows(content: Content | None = None) -> list[YearRow]:
    """Every year group from Reception to Year 6 with its modules per risk."""
    content = content or current_content()
    rows = []
    for year in YEARS:
        mods = content.modules_for_year(year)
        rows.append(YearRow(year, YEAR_NAMES[year], [[m for m in mods if m.category == c] for c in CATEGORIES]))
    return rows


def any_module(module_id: str) -> Module | None:
    """Any module of any band or year: staff may preview and teach them all."""
    return current_content().modules.get(module_id)


def evidence(module: Module) -> list[OutcomeEvidence]:
    """The module's outcomes with their framework tags, named for people."""
    content = current_content()
    cur: Any = content.curriculum
    out = []
    for oid in module.outcomes:
        tags = cur.tags[oid]
        out.append(OutcomeEvidence(
            outcome=content.outcomes[oid], efcw_strand=cur.strands[tags.efcw], efcw_ages=tags.efcw_ages,
            efcw_says=tags.efcw_says, rshe=tags.rshe, dcf_element=cur.elements[tags.dcf], dcf_step=tags.dcf_step,
            four_c=[content.categories[c].name for c in tags.four_c]))
    return out


def deck(module: Module) -> list[Slide]:
    """Teach mode: a title slide, each lesson screen, each quiz question to ask the class, an end slide."""
    slides = [Slide("title", 1)]
    slides += [Slide("screen", len(slides) + i, screen=s) for i, s in enumerate(module.screens, 1)]
    first_question = len(slides) + 1
    for i, q in enumerate(module.questions):
        shown = shuffled_steps(q, first_question + i) if q.is_order else list(q.choices)
        place = {c.id: n for n, c in enumerate(q.choices, 1)}
        slides.append(Slide("question", first_question + i, question=q,
                            choices=tuple((c, place[c.id]) for c in shown)))
    slides.append(Slide("end", len(slides) + 1))
    return slides
