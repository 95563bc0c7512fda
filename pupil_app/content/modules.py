"""Reading one module file: its lesson screens and quiz questions, every fault named."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import curriculum
from .checks import _Checker, _read_toml, whole_from_1
from .model import FIXED_CHOICES, Choice, Module, Outcome, Question, Risk, Screen
from .rules import BAND_TYPES, BANDS, CATEGORIES


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


def _place(path: Path, rel: str, data: Mapping[str, Any], check: _Checker) -> tuple[str, Any, Any]:
    """The module's id, band and category, each checked against its file name, folder and the 4Cs."""
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
    return mid, band, category


def _tags(rel: str, data: Mapping[str, Any], band: Any, category: Any, outcomes: Mapping[str, Outcome],
          risks: Mapping[str, Risk], check: _Checker) -> tuple[list[str], list[str]]:
    """The outcomes (of the module's band) and risks (of its category) the module teaches."""
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
    return mod_outcomes, mod_risks


def _list_of(rel: str, data: Mapping[str, Any], key: str, ok, message: str, check: _Checker) -> list:
    raw = data.get(key)
    if not isinstance(raw, list) or not ok(len(raw)):
        check.fail(rel, message)
        return raw if isinstance(raw, list) else []
    return raw


def _screens(rel: str, data: Mapping[str, Any], pictures: frozenset[str], check: _Checker) -> list[Screen]:
    screens: list[Screen] = []
    for i, s in enumerate(_list_of(rel, data, "screens", lambda n: 3 <= n <= 6, "needs 3 to 6 lesson [[screens]]",
                                   check), 1):
        w = f"{rel}, screen {i}"
        if not isinstance(s, dict):
            check.fail(w, "must be a table")
            continue
        screens.append(Screen(check.text(w, s, "text"), check.picture(w, s.get("picture"), pictures),
                              check.text(w, s, "alt"), *curriculum.screen_fields(w, s, check)))
    return screens


def _question(w: str, q: Mapping[str, Any], qid: str, band: Any, mod_outcomes: list[str],
              outcomes: Mapping[str, Outcome], pictures: frozenset[str], check: _Checker) -> Question | None:
    allowed = BAND_TYPES.get(band, set())
    qtype = q.get("type")
    if qtype not in allowed:
        check.fail(w, f"type {qtype!r} is not used in band {band}; use one of {', '.join(sorted(allowed))}")
        return None
    outcome = q.get("outcome")
    if outcome not in outcomes:
        check.fail(w, f"unknown outcome id {outcome!r}")
    elif outcome not in mod_outcomes:
        check.fail(w, f"outcome '{outcome}' is not in the module's outcomes")
    picture, alt = None, ""
    if qtype in ("safe_or_not", "yes_no", "true_false", "scenario") or "picture" in q:
        picture = check.picture(w, q.get("picture"), pictures)
        alt = check.text(w, q, "alt")
    scenario = check.text(w, q, "scenario") if qtype == "scenario" else ""
    return Question(
        id=qid, type=qtype, prompt=check.text(w, q, "prompt"), outcome=str(outcome),
        explain=check.text(w, q, "explain"), choices=_choices(w, q, qtype, pictures, check),
        picture=picture, alt=alt, scenario=scenario, topic=curriculum.question_topic(w, q, check),
    )


def _questions(rel: str, data: Mapping[str, Any], band: Any, mod_outcomes: list[str], outcomes: Mapping[str, Outcome],
               pictures: frozenset[str], check: _Checker) -> list[Question]:
    questions: list[Question] = []
    seen: set[str] = set()
    raw = _list_of(rel, data, "questions", lambda n: n >= 5, "needs a quiz of at least 5 [[questions]]", check)
    for i, q in enumerate(raw, 1):
        if not isinstance(q, dict):
            check.fail(f"{rel}, question {i}", "must be a table")
            continue
        qid = check.ident(f"{rel}, question {i}", q)
        w = f"{rel}, question '{qid}'"
        if qid in seen:
            check.fail(w, "duplicate question id")
        seen.add(qid)
        question = _question(w, q, qid, band, mod_outcomes, outcomes, pictures, check)
        if question is not None:
            questions.append(question)
    taught = {q.outcome for q in questions}
    for oid in mod_outcomes:
        if oid in outcomes and oid not in taught:
            check.fail(rel, f"outcome '{oid}' is listed but no question checks it")
    return questions


def _load_module(path: Path, root: Path, outcomes: Mapping[str, Outcome], risks: Mapping[str, Risk],
                 pictures: frozenset[str], check: _Checker) -> Module | None:
    """One module file, or None when it has any fault (each reported with the file's name)."""
    rel = str(path.relative_to(root))
    data = _read_toml(path, root, check)
    if data is None:
        return None
    before = len(check.problems)
    mid, band, category = _place(path, rel, data, check)
    version = whole_from_1(check, rel, data, "version")
    order = whole_from_1(check, rel, data, "order", 1)
    mod_outcomes, mod_risks = _tags(rel, data, band, category, outcomes, risks, check)
    screens = _screens(rel, data, pictures, check)
    questions = _questions(rel, data, band, mod_outcomes, outcomes, pictures, check)
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
