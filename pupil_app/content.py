"""Load and validate the lesson content in ``content/`` into immutable objects.

Content is data: modules, quizzes, outcomes and the Acceptable Use pledges are TOML files (see
``content/README.md``).
``load_content`` reads them once at start-up; every problem is collected and reported together,
each naming the file and the fault, and start-up stops (``ContentError``).
``python -m pupil_app.content [DIR]`` and ``flask content check`` run the same validation.
"""

from __future__ import annotations

import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

from . import curriculum

BANDS = ("ks1", "ks2", "eop")
CATEGORIES = ("content", "contact", "conduct", "commerce")
BAND_TYPES = {
    "ks1": {"pick_picture", "safe_or_not", "yes_no"},
    "ks2": {"multiple_choice", "scenario", "true_false", "order"},
    "eop": {"multiple_choice", "scenario", "true_false", "order"},
}
ID_RE = re.compile(r"^[a-z0-9][a-z0-9.-]*$")
PICTURE_RE = re.compile(r"^[a-z0-9][a-z0-9-]*\.svg$")
MAX_PICTURE_BYTES = 16 * 1024
MAX_TEXT = {"title": 80, "summary": 140, "text": 400, "alt": 200, "prompt": 300, "explain": 400, "scenario": 500,
            "discuss": 200, "notes": 400}
# Pledges: a promise fits one screen for a child; the parent statements are the policy's own sentences.
PLEDGE_IDS = ("ks1", "ks2")
PLEDGE_SIGN = ("tap", "name")
MAX_PLEDGE_TEXT = {"title": 80, "intro": 300, "text": 240, "why": 140, "alt": 200}
MAX_PARENT_TEXT = {"title": 80, "intro": 400, "text": 600}


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
    curriculum: Any = None  # pupil_app.curriculum.Curriculum: frameworks, topics, outcome tags

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
        return [m for m in self.modules_for_band(curriculum.YEAR_BAND.get(year, "")) if m.year == year]

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


class _Checker:
    """Collects problems as ``file: message`` so one run reports all of them."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def text(self, where: str, data: Mapping[str, Any], key: str, limit_key: str | None = None,
             limits: Mapping[str, int] = MAX_TEXT) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(where, f"'{key}' must be non-empty text")
            return ""
        limit = limits.get(limit_key or key)
        if limit and len(value) > limit:
            self.fail(where, f"'{key}' is {len(value)} characters; the limit is {limit}")
        if "<" in value or ">" in value:
            self.fail(where, f"'{key}' contains '<' or '>': content is plain text, not HTML")
        return value.strip()

    def ident(self, where: str, data: Mapping[str, Any], key: str = "id") -> str:
        value = data.get(key)
        if not isinstance(value, str) or not ID_RE.match(value):
            self.fail(where, f"'{key}' must be lower-case letters, digits, '.' or '-' (got {value!r})")
            return str(value)
        return value

    def picture(self, where: str, name: Any, pictures: frozenset[str]) -> str:
        if not isinstance(name, str) or not PICTURE_RE.match(name):
            self.fail(where, f"picture must be a file name like 'name.svg' (got {name!r})")
            return str(name)
        if name not in pictures:
            self.fail(where, f"picture '{name}' is missing from content/pictures/")
        return name


def _read_toml(path: Path, root: Path, check: _Checker) -> dict[str, Any] | None:
    rel = str(path.relative_to(root))
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        check.fail(rel, f"is not valid TOML: {exc}")
    except OSError as exc:
        check.fail(rel, f"cannot be read: {exc}")
    return None


def _load_pictures(root: Path, check: _Checker) -> frozenset[str]:
    names = set()
    pic_dir = root / "pictures"
    for path in sorted(pic_dir.glob("*.svg")):
        rel = f"pictures/{path.name}"
        data = path.read_bytes()
        if len(data) > MAX_PICTURE_BYTES:
            check.fail(rel, f"is {len(data)} bytes; pictures must be under {MAX_PICTURE_BYTES}")
        head = data[:2000].decode("utf-8", "replace").lower()
        body = data.decode("utf-8", "replace").lower()
        if "<svg" not in head:
            check.fail(rel, "is not an SVG file")
        for bad in ("<script", "href=\"http", "href='http", "url(http", "@import", "<foreignobject"):
            if bad in body:
                check.fail(rel, f"contains '{bad}': pictures must not load or run anything")
        names.add(path.name)
    return frozenset(names)


def _choices(where: str, q: Mapping[str, Any], qtype: str, pictures: frozenset[str], check: _Checker) -> tuple[Choice, ...]:
    if qtype in FIXED_CHOICES:
        first, second = FIXED_CHOICES[qtype]
        answer = q.get("answer")
        if qtype == "safe_or_not":
            if answer not in ("safe", "not_safe"):
                check.fail(where, "has no right answer: 'answer' must be \"safe\" or \"not_safe\"")
                return (first, second)
            right = answer == "safe"
        else:
            if not isinstance(answer, bool):
                check.fail(where, "has no right answer: 'answer' must be true or false")
                return (first, second)
            right = answer
        return (
            Choice(first.id, first.text, first.picture, correct=right),
            Choice(second.id, second.text, second.picture, correct=not right),
        )

    key = "steps" if qtype == "order" else "options"
    raw = q.get(key)
    if not isinstance(raw, list) or not raw:
        check.fail(where, f"needs a list of '{key}'")
        return ()
    low, high = (2, 4) if qtype == "pick_picture" else (3, 4)
    if not low <= len(raw) <= high:
        check.fail(where, f"has {len(raw)} {key}; a {qtype} question needs {low} to {high}")
    out: list[Choice] = []
    seen: set[str] = set()
    for i, item in enumerate(raw, 1):
        w = f"{where}, {key[:-1]} {i}"
        if not isinstance(item, dict):
            check.fail(w, "must be a table")
            continue
        cid = check.ident(w, item)
        if cid in seen:
            check.fail(w, f"duplicate {key[:-1]} id '{cid}'")
        seen.add(cid)
        correct = item.get("correct", False)
        if not isinstance(correct, bool):
            check.fail(w, "'correct' must be true or false")
            correct = False
        if qtype == "order" and "correct" in item:
            check.fail(w, "order steps have no 'correct': list them in the right order")
        out.append(Choice(cid, check.text(w, item, "text"), check.picture(w, item.get("picture"), pictures), correct))
    if qtype != "order":
        right = sum(c.correct for c in out)
        if right == 0:
            check.fail(where, "has no right answer: mark one option 'correct = true'")
        elif right > 1:
            check.fail(where, f"has {right} options marked correct; exactly one must be")
    return tuple(out)


def _load_module(path: Path, root: Path, outcomes: Mapping[str, Outcome], risks: Mapping[str, Risk],
                 pictures: frozenset[str], check: _Checker) -> Module | None:
    rel = str(path.relative_to(root))
    data = _read_toml(path, root, check)
    if data is None:
        return None
    before = len(check.problems)
    mid = check.ident(rel, data)
    if mid != path.stem:
        check.fail(rel, f"id '{mid}' must equal the file name '{path.stem}'")
    band = data.get("band")
    if band not in BANDS:
        check.fail(rel, f"band must be one of {', '.join(BANDS)} (got {band!r})")
    if path.parent.name != band:
        check.fail(rel, f"is in folder '{path.parent.name}' but its band is {band!r}")
    category = data.get("category")
    if category not in CATEGORIES:
        check.fail(rel, f"category must be one of {', '.join(CATEGORIES)} (got {category!r})")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        check.fail(rel, "version must be a whole number from 1")
        version = 1
    order = data.get("order", 1)
    if not isinstance(order, int) or isinstance(order, bool) or order < 1:
        check.fail(rel, "order must be a whole number from 1")
        order = 1

    mod_outcomes = data.get("outcomes")
    if not isinstance(mod_outcomes, list) or not mod_outcomes:
        check.fail(rel, "needs a non-empty list of 'outcomes'")
        mod_outcomes = []
    for oid in mod_outcomes:
        if oid not in outcomes:
            check.fail(rel, f"unknown outcome id '{oid}'")
        elif outcomes[oid].band != band:
            check.fail(rel, f"outcome '{oid}' belongs to band {outcomes[oid].band}, not {band}")
    mod_risks = data.get("risks", [])
    if not isinstance(mod_risks, list):
        check.fail(rel, "'risks' must be a list of risk ids")
        mod_risks = []
    for rid in mod_risks:
        if rid not in risks:
            check.fail(rel, f"unknown risk id '{rid}'")
        elif risks[rid].category != category:
            check.fail(rel, f"risk '{rid}' is a {risks[rid].category} risk, but the module is about {category}")

    raw_screens = data.get("screens")
    screens: list[Screen] = []
    if not isinstance(raw_screens, list) or not 3 <= len(raw_screens) <= 6:
        check.fail(rel, "needs 3 to 6 lesson [[screens]]")
        raw_screens = raw_screens if isinstance(raw_screens, list) else []
    for i, s in enumerate(raw_screens, 1):
        w = f"{rel}, screen {i}"
        if not isinstance(s, dict):
            check.fail(w, "must be a table")
            continue
        screens.append(Screen(check.text(w, s, "text"), check.picture(w, s.get("picture"), pictures), check.text(w, s, "alt"),
                              *curriculum.screen_fields(w, s, check)))

    raw_questions = data.get("questions")
    questions: list[Question] = []
    if not isinstance(raw_questions, list) or len(raw_questions) < 5:
        check.fail(rel, "needs a quiz of at least 5 [[questions]]")
        raw_questions = raw_questions if isinstance(raw_questions, list) else []
    seen: set[str] = set()
    allowed = BAND_TYPES.get(band, set())
    for i, q in enumerate(raw_questions, 1):
        w = f"{rel}, question {i}"
        if not isinstance(q, dict):
            check.fail(w, "must be a table")
            continue
        qid = check.ident(w, q)
        w = f"{rel}, question '{qid}'"
        if qid in seen:
            check.fail(w, "duplicate question id")
        seen.add(qid)
        qtype = q.get("type")
        if qtype not in allowed:
            check.fail(w, f"type {qtype!r} is not used in band {band}; use one of {', '.join(sorted(allowed))}")
            continue
        outcome = q.get("outcome")
        if outcome not in outcomes:
            check.fail(w, f"unknown outcome id {outcome!r}")
        elif outcome not in mod_outcomes:
            check.fail(w, f"outcome '{outcome}' is not in the module's outcomes")
        picture = None
        alt = ""
        if qtype in ("safe_or_not", "yes_no", "true_false", "scenario") or "picture" in q:
            picture = check.picture(w, q.get("picture"), pictures)
            alt = check.text(w, q, "alt")
        scenario = check.text(w, q, "scenario") if qtype == "scenario" else ""
        questions.append(Question(
            id=qid, type=qtype, prompt=check.text(w, q, "prompt"), outcome=str(outcome),
            explain=check.text(w, q, "explain"), choices=_choices(w, q, qtype, pictures, check),
            picture=picture, alt=alt, scenario=scenario, topic=curriculum.question_topic(w, q, check),
        ))
    taught = {q.outcome for q in questions}
    for oid in mod_outcomes:
        if oid in outcomes and oid not in taught:
            check.fail(rel, f"outcome '{oid}' is listed but no question checks it")

    if len(check.problems) > before:
        return None
    return Module(
        id=mid, band=band, category=category, version=version, order=order,
        title=check.text(rel, data, "title"), summary=check.text(rel, data, "summary"),
        picture=check.picture(rel, data.get("picture"), pictures),
        outcomes=tuple(mod_outcomes), risks=tuple(mod_risks),
        screens=tuple(screens), questions=tuple(questions), source=rel,
        **curriculum.module_fields(rel, data, check),
    )


def _int_from_1(check: _Checker, where: str, data: Mapping[str, Any], key: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        check.fail(where, f"{key} must be a whole number from 1")
        return 1
    return value


def _id_list(check: _Checker, where: str, data: Mapping[str, Any], key: str) -> list[str]:
    value = data.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        check.fail(where, f"needs a non-empty list of '{key}'")
        return []
    if len(set(value)) != len(value):
        check.fail(where, f"'{key}' lists an id twice")
    return value


def _load_policy(root: Path, check: _Checker) -> dict[str, PolicySection]:
    """The policy statements pledges must cover, word for word (pledges/policy.toml)."""
    rel = "pledges/policy.toml"
    if not (root / rel).is_file():
        check.fail(rel, "is missing: it lists the policy statements the pledges must cover")
        return {}
    data = _read_toml(root / rel, root, check) or {}
    sections: dict[str, PolicySection] = {}
    raw = data.get("sections")
    if not isinstance(raw, list) or not raw:
        check.fail(rel, "needs a list of [[sections]]")
        return {}
    for i, sec in enumerate(raw, 1):
        w = f"{rel}, section {i}"
        if not isinstance(sec, dict):
            check.fail(w, "must be a table")
            continue
        sid = check.ident(w, sec)
        statements = sec.get("statements")
        if not isinstance(statements, list) or not statements or not all(
                isinstance(t, str) and t.strip() for t in statements):
            check.fail(f"{rel}, section '{sid}'", "needs a non-empty list of 'statements' (text)")
            statements = []
        if len(set(statements)) != len(statements):
            check.fail(f"{rel}, section '{sid}'", "lists a statement twice")
        if sid in sections:
            check.fail(f"{rel}, section '{sid}'", "duplicate section id")
        heading = sec.get("heading") if isinstance(sec.get("heading"), str) else ""
        sections[sid] = PolicySection(sid, heading, tuple(statements))
    for needed in (*PLEDGE_IDS, "parent", "parent-acknowledgement"):
        if needed not in sections:
            check.fail(rel, f"has no section '{needed}'")
    return sections


def _covers(check: _Checker, rel: str, section: PolicySection | None, used: list[tuple[str, str]]) -> None:
    """Each statement names a policy statement of ``section``; together they cover each exactly once."""
    if section is None:
        return
    seen: dict[str, str] = {}
    for where, policy in used:
        if policy not in section.statements:
            check.fail(where, f"policy statement {policy[:60]!r}... is not word for word in policy.toml "
                              f"section '{section.id}'" if len(policy) > 60 else
                       f"policy statement {policy!r} is not word for word in policy.toml section '{section.id}'")
        elif policy in seen:
            check.fail(where, f"comes from the same policy statement as {seen[policy]}")
        else:
            seen[policy] = where
    for statement in section.statements:
        if statement not in seen:
            check.fail(rel, f"missing policy statement: no statement comes from {statement!r} "
                            f"(policy.toml section '{section.id}')")


def _load_pledge(path: Path, root: Path, policy: Mapping[str, PolicySection], modules: Mapping[str, Module],
                 outcomes: Mapping[str, Outcome], pictures: frozenset[str], check: _Checker) -> Pledge | None:
    rel = str(path.relative_to(root))
    data = _read_toml(path, root, check)
    if data is None:
        return None
    before = len(check.problems)
    pid = check.ident(rel, data)
    if pid != path.stem:
        check.fail(rel, f"id '{pid}' must equal the file name '{path.stem}'")
    if pid not in PLEDGE_IDS:
        check.fail(rel, f"pledge id must be one of {', '.join(PLEDGE_IDS)} (got {pid!r})")
    bands = data.get("bands")
    if not isinstance(bands, list) or not bands or any(b not in BANDS for b in bands):
        check.fail(rel, f"bands must be a non-empty list of {', '.join(BANDS)} (got {bands!r})")
        bands = [b for b in bands if b in BANDS] if isinstance(bands, list) else []
    version = _int_from_1(check, rel, data, "version")
    sign = data.get("sign")
    if sign not in PLEDGE_SIGN:
        check.fail(rel, f"sign must be one of {', '.join(PLEDGE_SIGN)} (got {sign!r})")
    section_id = data.get("policy")
    section = policy.get(section_id) if isinstance(section_id, str) else None
    if section is None and policy:
        check.fail(rel, f"policy must name a section of policy.toml (got {section_id!r})")
    title = check.text(rel, data, "title", limits=MAX_PLEDGE_TEXT)
    intro = check.text(rel, data, "intro", limits=MAX_PLEDGE_TEXT)
    picture = check.picture(rel, data.get("picture"), pictures)
    alt = check.text(rel, data, "alt", limits=MAX_PLEDGE_TEXT)

    raw = data.get("statements")
    if not isinstance(raw, list) or not raw:
        check.fail(rel, "needs a list of [[statements]]")
        raw = []
    statements: list[PledgeStatement] = []
    ids: set[str] = set()
    pictures_used: dict[str, str] = {}
    used_policy: list[tuple[str, str]] = []
    for i, item in enumerate(raw, 1):
        w = f"{rel}, statement {i}"
        if not isinstance(item, dict):
            check.fail(w, "must be a table")
            continue
        sid = check.ident(w, item)
        w = f"{rel}, statement '{sid}'"
        if sid in ids:
            check.fail(w, "duplicate statement id")
        ids.add(sid)
        pic = check.picture(w, item.get("picture"), pictures)
        if pic in pictures_used:
            check.fail(w, f"picture '{pic}' is already the picture of statement '{pictures_used[pic]}': "
                          "each promise has its own picture")
        pictures_used.setdefault(pic, sid)
        text_policy = item.get("policy")
        if not isinstance(text_policy, str) or not text_policy.strip():
            check.fail(w, "'policy' must be the policy statement it comes from, word for word")
            text_policy = ""
        else:
            used_policy.append((w, text_policy))
        mods = _id_list(check, w, item, "modules")
        for mid in mods:
            module = modules.get(mid)
            if module is None:
                check.fail(w, f"unknown module id '{mid}'")
            elif module.band not in bands:
                check.fail(w, f"module '{mid}' is for band {module.band}, which does not use this pledge")
        for band in bands:
            if not any(modules[m].band == band for m in mods if m in modules):
                check.fail(w, f"names no module of band {band}: every promise rests on something each band learns")
        outs = _id_list(check, w, item, "outcomes")
        for oid in outs:
            if oid not in outcomes:
                check.fail(w, f"unknown outcome id '{oid}'")
            elif not any(oid in modules[m].outcomes for m in mods if m in modules):
                check.fail(w, f"outcome '{oid}' is not taught by any of the statement's modules")
        statements.append(PledgeStatement(
            id=sid, text=check.text(w, item, "text", limits=MAX_PLEDGE_TEXT),
            why=check.text(w, item, "why", limits=MAX_PLEDGE_TEXT), picture=pic,
            alt=check.text(w, item, "alt", limits=MAX_PLEDGE_TEXT), policy=text_policy.strip(),
            modules=tuple(mods), outcomes=tuple(outs),
        ))
    _covers(check, rel, section, used_policy)
    # The modules lead to the pledge: every module of the pledge's bands ends with a promise.
    named = {m for st in statements for m in st.modules}
    for module in modules.values():
        if module.band in bands and module.id not in named:
            check.fail(rel, f"no statement names module '{module.id}': each module ends with its promises")
    if len(check.problems) > before:
        return None
    return Pledge(id=pid, bands=tuple(bands), version=version, policy=section.id if section else "", sign=sign,
                  title=title, intro=intro, picture=picture, alt=alt, statements=tuple(statements), source=rel)


def _load_parent_aup(root: Path, policy: Mapping[str, PolicySection], check: _Checker) -> ParentAup | None:
    rel = "pledges/parent.toml"
    if not (root / rel).is_file():
        check.fail(rel, "is missing: the Parent/Carer Acceptable Use Policy")
        return None
    data = _read_toml(root / rel, root, check)
    if data is None:
        return None
    before = len(check.problems)
    if data.get("id") != "parent":
        check.fail(rel, f"id must be 'parent' (got {data.get('id')!r})")
    version = _int_from_1(check, rel, data, "version")
    title = check.text(rel, data, "title", limits=MAX_PARENT_TEXT)
    intro = check.text(rel, data, "intro", limits=MAX_PARENT_TEXT)
    lists: dict[str, tuple[ParentStatement, ...]] = {}
    for key, section_id in (("statements", "parent"), ("acknowledgements", "parent-acknowledgement")):
        raw = data.get(key)
        if not isinstance(raw, list) or not raw:
            check.fail(rel, f"needs a list of [[{key}]]")
            raw = []
        items: list[ParentStatement] = []
        ids: set[str] = set()
        used: list[tuple[str, str]] = []
        for i, item in enumerate(raw, 1):
            w = f"{rel}, {key[:-1]} {i}"
            if not isinstance(item, dict):
                check.fail(w, "must be a table")
                continue
            sid = check.ident(w, item)
            w = f"{rel}, {key[:-1]} '{sid}'"
            if sid in ids:
                check.fail(w, f"duplicate {key[:-1]} id")
            ids.add(sid)
            text_policy = item.get("policy")
            if not isinstance(text_policy, str) or not text_policy.strip():
                check.fail(w, "'policy' must be the policy statement it comes from, word for word")
                text_policy = ""
            else:
                used.append((w, text_policy))
            items.append(ParentStatement(sid, check.text(w, item, "text", limits=MAX_PARENT_TEXT), text_policy))
        _covers(check, rel, policy.get(section_id), used)
        lists[key] = tuple(items)
    if len(check.problems) > before:
        return None
    return ParentAup(version=version, title=title, intro=intro, statements=lists["statements"],
                     acknowledgements=lists["acknowledgements"], source=rel)


def _load_pledges(root: Path, modules: Mapping[str, Module], outcomes: Mapping[str, Outcome],
                  pictures: frozenset[str], check: _Checker
                  ) -> tuple[dict[str, PolicySection], dict[str, Pledge], ParentAup | None]:
    policy = _load_policy(root, check)
    pledges: dict[str, Pledge] = {}
    for path in sorted((root / "pledges").glob("*.toml")):
        if path.name in ("policy.toml", "parent.toml"):
            continue
        pledge = _load_pledge(path, root, policy, modules, outcomes, pictures, check)
        if pledge is not None:
            pledges[pledge.id] = pledge
    parent = _load_parent_aup(root, policy, check)
    if not check.problems:
        for band in BANDS:
            users = [p.id for p in pledges.values() if band in p.bands]
            if len(users) != 1:
                check.fail("pledges/", f"band {band} must use exactly one pledge (found {users or 'none'})")
    return policy, pledges, parent


def check_pledge_wording(pledge: Pledge, wording: Mapping[str, Mapping[str, str]]) -> list[str]:
    """Validate a school's own wording of ``pledge`` ({statement id: {"text", "why"}}) like content.

    Returns problems as "statement N: message"; empty when the wording may be published.
    """
    check = _Checker()
    if set(wording) != {s.id for s in pledge.statements}:
        check.fail("pledge", "every promise needs its wording, and only the pledge's own promises")
    for n, statement in enumerate(pledge.statements, 1):
        data = wording.get(statement.id, {})
        for key in ("text", "why"):
            check.text(f"statement {n}", data, key, limits=MAX_PLEDGE_TEXT)
    return check.problems


def load_content(root: str | Path) -> Content:
    """Read and validate every content file under ``root``; raise ``ContentError`` listing all faults."""
    root = Path(root)
    check = _Checker()
    if not root.is_dir():
        raise ContentError([f"{root}: content folder not found"])
    pictures = _load_pictures(root, check)

    base = _read_toml(root / "outcomes.toml", root, check) or {}
    bands = {b["id"]: Band(b["id"], b["name"], b["ages"]) for b in base.get("bands", [])}
    if set(bands) != set(BANDS):
        check.fail("outcomes.toml", f"[[bands]] must be exactly {', '.join(BANDS)}")
    categories: dict[str, Category] = {}
    for c in base.get("categories", []):
        w = f"outcomes.toml, category {c.get('id')!r}"
        categories[c.get("id")] = Category(c.get("id"), check.text(w, c, "name"), check.text(w, c, "summary"),
                                           check.picture(w, c.get("picture"), pictures), c.get("policy", ""))
    if set(categories) != set(CATEGORIES):
        check.fail("outcomes.toml", f"[[categories]] must be exactly {', '.join(CATEGORIES)}")
    outcomes: dict[str, Outcome] = {}
    for o in base.get("outcomes", []):
        w = f"outcomes.toml, outcome {o.get('id')!r}"
        oid = check.ident(w, o)
        if oid in outcomes:
            check.fail(w, "duplicate outcome id")
        if o.get("band") not in BANDS or not oid.startswith(f"{o.get('band')}."):
            check.fail(w, "band must be ks1, ks2 or eop and the id must start with it")
        outcomes[oid] = Outcome(oid, o.get("band"), check.text(w, o, "text", "text"), o.get("policy", ""))
    risks: dict[str, Risk] = {}
    for r in base.get("risks", []):
        w = f"outcomes.toml, risk {r.get('id')!r}"
        rid = check.ident(w, r)
        if rid in risks:
            check.fail(w, "duplicate risk id")
        if r.get("category") not in CATEGORIES:
            check.fail(w, "category must be content, contact, conduct or commerce")
        risks[rid] = Risk(rid, r.get("category"), check.text(w, r, "text"))

    modules: dict[str, Module] = {}
    for path in sorted((root / "modules").glob("*/*.toml")):
        module = _load_module(path, root, outcomes, risks, pictures, check)
        if module is None:
            continue
        if module.id in modules:
            check.fail(module.source, f"duplicate module id '{module.id}' (also {modules[module.id].source})")
            continue
        modules[module.id] = module

    # Coverage: every band x category has a module; every outcome and risk is taught somewhere.
    if not check.problems:
        have = {(m.band, m.category) for m in modules.values()}
        for band in BANDS:
            for cat in CATEGORIES:
                if (band, cat) not in have:
                    check.fail("modules/", f"no module for band {band}, category {cat}")
        checked = {q.outcome for m in modules.values() for q in m.questions}
        for oid in outcomes:
            if oid not in checked:
                check.fail("outcomes.toml", f"outcome '{oid}' is not checked by any quiz question")
        taught = {r for m in modules.values() for r in m.risks}
        for rid in risks:
            if rid not in taught:
                check.fail("outcomes.toml", f"risk '{rid}' is not taught by any module")

    # The curriculum: frameworks, topics, outcome tags, years, foundations, reading levels.
    plan = curriculum.check_curriculum(base, modules, outcomes, check) if not check.problems else None

    # Pledges rest on modules and outcomes, so they are checked once those have loaded.
    policy, pledges, parent_aup = _load_pledges(root, modules, outcomes, pictures, check)

    if check.problems:
        raise ContentError(check.problems)
    return Content(bands=bands, categories=categories, outcomes=outcomes, risks=risks,
                   modules=modules, pictures=pictures, root=root, pledges=pledges, parent_aup=parent_aup,
                   policy=policy, curriculum=plan)


def extract_content_strings(fileobj, keywords, comment_tags, options):  # pragma: no cover - run by pybabel
    """Babel extractor: yields every translatable string of one content TOML file."""
    data = tomllib.loads(fileobj.read().decode("utf-8"))
    keys = ("name", "summary", "title", "text", "alt", "prompt", "explain", "scenario", "why", "intro",
            "discuss", "notes", "efcw_says", "rshe")

    def walk(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for k, v in node.items():
                if k in keys and isinstance(v, str):
                    yield v
                elif k in ("policy",):
                    continue
                else:
                    yield from walk(v)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    for text in walk(data):
        yield 0, "gettext", text.strip(), []


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent / "content"
    try:
        content = load_content(root)
    except ContentError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"Content OK: {len(content.modules)} modules, {sum(len(m.questions) for m in content.modules.values())} "
          f"questions, {len(content.outcomes)} outcomes, {len(content.pledges)} pledges "
          f"({sum(len(p.statements) for p in content.pledges.values())} promises), {len(content.pictures)} pictures.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
