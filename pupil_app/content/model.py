"""The loaded content as immutable objects: modules, questions, outcomes, pledges, the parent AUP."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .curriculum import YEAR_BAND
from .rules import CATEGORIES


class ContentError(Exception):
    """Raised when content fails validation; ``problems`` lists ``file: message`` lines."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("Content is invalid:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class Band:
    id: str
    name: str
    ages: str


@dataclass(frozen=True)
class Category:
    id: str
    name: str
    summary: str
    picture: str
    policy: str


@dataclass(frozen=True)
class Outcome:
    id: str
    band: str
    text: str
    policy: str


@dataclass(frozen=True)
class Risk:
    id: str
    category: str
    text: str


@dataclass(frozen=True)
class Screen:
    text: str
    picture: str
    alt: str
    discuss: str = ""  # teach mode: a question for the class (pupils read it on the board)
    notes: str = ""  # teach mode: what the teacher should know or do on this screen


@dataclass(frozen=True)
class Choice:
    """One thing a pupil can tap: an option, an order step, or a fixed answer (yes/no...)."""

    id: str
    text: str
    picture: str
    correct: bool = False


# The fixed answers of the two-choice question types. Texts are marked for translation
# where they are rendered (pupil_app/learning/templates); ids are what the form posts.
FIXED_CHOICES: dict[str, tuple[Choice, Choice]] = {
    "safe_or_not": (Choice("safe", "Safe", "answer-safe.svg"), Choice("not_safe", "Not safe", "answer-not-safe.svg")),
    "yes_no": (Choice("yes", "Yes", "answer-yes.svg"), Choice("no", "No", "answer-no.svg")),
    "true_false": (Choice("true", "True", "answer-true.svg"), Choice("false", "False", "answer-false.svg")),
}


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    prompt: str
    outcome: str
    explain: str
    choices: tuple[Choice, ...]
    picture: str | None = None
    alt: str = ""
    scenario: str = ""
    topic: str = ""  # a curriculum topic (outcomes.toml [[topics]]) this question checks

    @property
    def is_order(self) -> bool:
        return self.type == "order"

    @property
    def correct_answer(self) -> tuple[str, ...]:
        """The answer that scores: one choice id, or for ``order`` every step id in order."""
        if self.is_order:
            return tuple(c.id for c in self.choices)
        return tuple(c.id for c in self.choices if c.correct)

    def choice(self, choice_id: str) -> Choice | None:
        return next((c for c in self.choices if c.id == choice_id), None)

    def is_valid_answer(self, answer: tuple[str, ...]) -> bool:
        """True when ``answer`` names only this question's choices, in the shape its type needs."""
        ids = {c.id for c in self.choices}
        if self.is_order:
            return len(answer) == len(self.choices) and set(answer) == ids
        return len(answer) == 1 and answer[0] in ids

    def is_correct(self, answer: tuple[str, ...]) -> bool:
        return tuple(answer) == self.correct_answer


@dataclass(frozen=True)
class Module:
    id: str
    band: str
    category: str
    version: int
    order: int
    title: str
    summary: str
    picture: str
    outcomes: tuple[str, ...]
    risks: tuple[str, ...]
    screens: tuple[Screen, ...]
    questions: tuple[Question, ...]
    source: str = field(compare=False, default="")
    year: int = -1  # year group it is written for: 0 = Reception ... 6 = Year 6
    foundation: str = ""  # the module of the year before that this one builds on ("" for Reception)
    topics: tuple[str, ...] = ()  # curriculum topics it teaches (outcomes.toml [[topics]])

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def question_index(self, question_id: str) -> int | None:
        for i, q in enumerate(self.questions):
            if q.id == question_id:
                return i
        return None


@dataclass(frozen=True)
class PolicySection:
    """A list of policy statements, word for word (content/pledges/policy.toml)."""

    id: str
    heading: str
    statements: tuple[str, ...]


@dataclass(frozen=True)
class PledgeStatement:
    """One promise: child-friendly words, why it matters, its picture, where it comes from."""

    id: str
    text: str
    why: str
    picture: str
    alt: str
    policy: str  # the exact policy statement it comes from
    modules: tuple[str, ...]  # the modules that teach it
    outcomes: tuple[str, ...]  # the curriculum outcomes it rests on


@dataclass(frozen=True)
class Pledge:
    """A pupil Acceptable Use pledge as shipped (schools publish their own versions of it)."""

    id: str
    bands: tuple[str, ...]
    version: int
    policy: str  # the policy.toml section it covers
    sign: str  # "tap": a big "I promise" button; "name": the pupil types their first name
    title: str
    intro: str
    picture: str
    alt: str
    statements: tuple[PledgeStatement, ...]
    source: str = field(compare=False, default="")

    def statement(self, statement_id: str) -> PledgeStatement | None:
        return next((s for s in self.statements if s.id == statement_id), None)


@dataclass(frozen=True)
class ParentStatement:
    id: str
    text: str
    policy: str


@dataclass(frozen=True)
class ParentAup:
    """The Parent/Carer Acceptable Use Policy and the statements a parent ticks to acknowledge it."""

    version: int
    title: str
    intro: str
    statements: tuple[ParentStatement, ...]
    acknowledgements: tuple[ParentStatement, ...]
    source: str = field(compare=False, default="")


@dataclass(frozen=True)
class Content:
    bands: Mapping[str, Band]
    categories: Mapping[str, Category]
    outcomes: Mapping[str, Outcome]
    risks: Mapping[str, Risk]
    modules: Mapping[str, Module]
    pictures: frozenset[str]
    root: Path
    pledges: Mapping[str, Pledge] = field(default_factory=dict)
    parent_aup: ParentAup | None = None
    policy: Mapping[str, PolicySection] = field(default_factory=dict)
    curriculum: Any = None  # content.curriculum.Curriculum: frameworks, topics, outcome tags

    def pledge_for_band(self, band: str | None) -> Pledge | None:
        """The pledge a pupil of ``band`` makes (end of primary uses the KS2 pledge)."""
        return next((p for p in self.pledges.values() if band in p.bands), None)

    def modules_for_band(self, band: str) -> list[Module]:
        """The band's modules in teaching order: by category (4Cs order), then ``order``."""
        return sorted(
            (m for m in self.modules.values() if m.band == band),
            key=lambda m: (CATEGORIES.index(m.category), m.year, m.order, m.id),
        )

    def modules_for_year(self, year: int) -> list[Module]:
        """A year group's modules (0 = Reception), in teaching order: the curriculum of that year."""
        return [m for m in self.modules_for_band(YEAR_BAND.get(year, "")) if m.year == year]

    def outcomes_for_band(self, band: str) -> list[Outcome]:
        return [o for o in self.outcomes.values() if o.band == band]

    def strings(self) -> Iterator[tuple[str, str]]:
        """Every translatable string with the file it comes from (for the Babel extractor)."""
        for c in self.categories.values():
            yield "outcomes.toml", c.name
            yield "outcomes.toml", c.summary
        for m in self.modules.values():
            yield m.source, m.title
            yield m.source, m.summary
            for s in m.screens:
                yield m.source, s.text
                yield m.source, s.alt
                yield from ((m.source, t) for t in (s.discuss, s.notes) if t)
            for q in m.questions:
                for text in (q.scenario, q.prompt, q.alt, q.explain):
                    if text:
                        yield m.source, text
                if q.type not in FIXED_CHOICES:
                    for c in q.choices:
                        yield m.source, c.text
        for p in self.pledges.values():
            for text in (p.title, p.intro, p.alt):
                yield p.source, text
            for st in p.statements:
                for text in (st.text, st.why, st.alt):
                    yield p.source, text
        if self.parent_aup:
            aup = self.parent_aup
            yield aup.source, aup.title
            yield aup.source, aup.intro
            for st in aup.statements + aup.acknowledgements:
                yield aup.source, st.text
