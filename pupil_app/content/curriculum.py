"""The curriculum from Reception to Year 6, checked as content loads.

Every year group (0 = Reception ... 6 = Year 6) has a module for each of the four risks; each
module after Reception names its foundation, the module of the same risk from the year before, so
a pupil meets each risk again every year at a new depth. The topics the frameworks add (age
ratings, scams, location and privacy, images and consent, misinformation, AI, screen time and
sleep, bullying as a bystander) are each taught by a module and checked by a quiz question. Every
outcome is tagged with the frameworks a school reports against (Education for a Connected World,
RSHE 2026, the Wales Digital Competence Framework, the 4Cs), and every module stays under its
band's reading-level ceiling.

``modules.py`` calls ``module_fields``, ``screen_fields`` and ``question_topic`` while reading
a module, and ``loader.py`` calls ``check_curriculum`` once every module has loaded; problems go
to the same checker, so ``flask content check`` reports them together with every other fault.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

YEARS = tuple(range(7))
YEAR_NAMES = {0: "Reception", 1: "Year 1", 2: "Year 2", 3: "Year 3", 4: "Year 4", 5: "Year 5", 6: "Year 6"}
YEAR_BAND = {0: "ks1", 1: "ks1", 2: "ks1", 3: "ks2", 4: "ks2", 5: "ks2", 6: "eop"}
CATEGORIES = ("content", "contact", "conduct", "commerce")
EFCW_AGES = ("4-7", "7-11")
DCF_STEPS = (1, 2, 3)
# Reading-level ceilings: the Flesch-Kincaid grade (see ``reading_grade``) of all of a module's
# pupil-facing words read together. EYFS/KS1 lessons are read aloud to most children, but a
# child who reads them alone should manage: grade 3.0 means short sentences of mostly one- and
# two-syllable words (US grade 3 is about age 8, the top of the band). KS2 (ages 7-10) stays
# at 5.5 and Year 6 at 7.0: a little longer sentences and words, never an adult's text.
READING_CEILING = {"ks1": 3.0, "ks2": 5.5, "eop": 7.0}
TAG_KEYS = ("efcw", "efcw_ages", "efcw_says", "rshe", "dcf", "dcf_step", "four_c")


@dataclass(frozen=True)
class Topic:
    id: str
    name: str
    source: str  # the framework that asks for it, e.g. "RSHE 2026"


@dataclass(frozen=True)
class OutcomeTags:
    """Where an outcome sits in the frameworks a school reports against."""

    efcw: str  # Education for a Connected World strand id
    efcw_ages: str  # its age statement band: "4-7" or "7-11"
    efcw_says: str  # what a pupil can do, in our words
    rshe: str  # the RSHE 2026 statement it serves, in our words
    dcf: str  # Wales DCF citizenship element id
    dcf_step: int  # DCF progression step (1 about age 5, 2 about age 8, 3 about age 11)
    four_c: tuple[str, ...]  # the risks (4Cs) it is about


@dataclass(frozen=True)
class Curriculum:
    strands: Mapping[str, str]  # EfCW strand id -> name
    elements: Mapping[str, str]  # DCF citizenship element id -> name
    topics: Mapping[str, Topic]
    tags: Mapping[str, OutcomeTags]  # outcome id -> tags
    reading: Mapping[str, float]  # module id -> reading grade
    grid: Mapping[tuple[int, str], tuple[str, ...]]  # (year, category) -> module ids in order

    def modules_for(self, year: int, category: str) -> tuple[str, ...]:
        return self.grid.get((year, category), ())


# --- Reading level ---------------------------------------------------------------------------

_WORD = re.compile(r"[A-Za-z0-9']+")
_SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")
_VOWELS = re.compile(r"[aeiouy]+")


def syllables(word: str) -> int:
    """Syllables in one English word, by vowel groups with the common silent endings removed."""
    w = word.lower().strip("'")
    if not w:
        return 0
    if any(ch.isdigit() for ch in w):
        return 2  # numbers such as 13 or 0800 are read as a word or two
    if len(w) <= 3:
        return 1
    w = re.sub(r"'s$", "", w)
    w = re.sub(r"(?:[^laeiouy]es|[^laeiouy]ed|[^laeiouy]e)$", lambda m: m.group(0)[0], w)
    w = re.sub(r"^y", "", w)
    return max(1, len(_VOWELS.findall(w)))


def reading_grade(texts: list[str]) -> float:
    """The Flesch-Kincaid grade of ``texts`` read together (every text is at least one sentence).

    0.39 x words per sentence + 11.8 x syllables per word - 15.59.
    """
    words = sentences = sylls = 0
    for text in texts:
        found = _WORD.findall(text)
        if not found:
            continue
        words += len(found)
        sylls += sum(syllables(w) for w in found)
        sentences += max(1, len(_SENTENCE_END.findall(text.strip() + " ")))
    if not words:
        return 0.0
    return round(0.39 * words / sentences + 11.8 * sylls / words - 15.59, 1)


def pupil_texts(module: Any) -> list[str]:
    """Every word of a module a pupil reads: lesson screens, questions, answers, explanations."""
    texts = [s.text for s in module.screens]
    for q in module.questions:
        texts += [t for t in (q.scenario, q.prompt, q.explain) if t]
        if q.type in ("pick_picture", "multiple_choice", "scenario", "order"):
            texts += [c.text for c in q.choices]
    return texts


# --- Reading the extra fields of a module ------------------------------------------------------

def module_fields(where: str, data: Mapping[str, Any], check: Any) -> dict[str, Any]:
    """``year``, ``foundation`` and ``topics`` of one module file."""
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or year not in YEARS:
        check.fail(where, f"year must be a year group from 0 (Reception) to 6 (got {year!r})")
        year = -1
    elif YEAR_BAND[year] != data.get("band"):
        check.fail(where, f"{YEAR_NAMES[year]} belongs to band {YEAR_BAND[year]}, not {data.get('band')!r}")
    foundation = data.get("foundation", "")
    if not isinstance(foundation, str):
        check.fail(where, "foundation must be the id of a module")
        foundation = ""
    if year > 0 and not foundation:
        check.fail(where, "names no foundation: every module after Reception builds on one from the year before")
    if year == 0 and foundation:
        check.fail(where, "is for Reception, where the curriculum starts: it has no foundation")
    topics = data.get("topics", [])
    if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
        check.fail(where, "topics must be a list of topic ids")
        topics = []
    return {"year": year, "foundation": foundation, "topics": tuple(topics)}


def screen_fields(where: str, data: Mapping[str, Any], check: Any) -> tuple[str, str]:
    """A lesson screen's discussion prompt and teacher notes (teach mode shows them)."""
    return check.text(where, data, "discuss"), check.text(where, data, "notes")


def question_topic(where: str, data: Mapping[str, Any], check: Any) -> str:
    topic = data.get("topic", "")
    if not isinstance(topic, str):
        check.fail(where, "topic must be a topic id")
        return ""
    return topic


# --- The whole curriculum ----------------------------------------------------------------------

def _named(base: Mapping[str, Any], key: str, check: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in base.get(key, []) or []:
        w = f"outcomes.toml, {key} {item.get('id')!r}"
        out[check.ident(w, item)] = check.text(w, item, "name")
    if not out:
        check.fail("outcomes.toml", f"needs a list of [[{key}]]")
    return out


def _tags(base: Mapping[str, Any], strands: Mapping[str, str], elements: Mapping[str, str],
          check: Any) -> dict[str, OutcomeTags]:
    tags: dict[str, OutcomeTags] = {}
    for o in base.get("outcomes", []):
        w = f"outcomes.toml, outcome {o.get('id')!r}"
        missing = [k for k in TAG_KEYS if k not in o]
        if missing:
            check.fail(w, f"is not tagged with {', '.join(missing)}: every outcome is evidence for the frameworks")
            continue
        if o["efcw"] not in strands:
            check.fail(w, f"unknown Education for a Connected World strand {o['efcw']!r}")
        if o["efcw_ages"] not in EFCW_AGES:
            check.fail(w, f"efcw_ages must be one of {', '.join(EFCW_AGES)}")
        if o["dcf"] not in elements:
            check.fail(w, f"unknown DCF citizenship element {o['dcf']!r}")
        if o["dcf_step"] not in DCF_STEPS:
            check.fail(w, "dcf_step must be a progression step from 1 to 3")
        four_c = o["four_c"]
        if not isinstance(four_c, list) or not four_c or any(c not in CATEGORIES for c in four_c):
            check.fail(w, "four_c must list one or more of content, contact, conduct, commerce")
            four_c = []
        tags[o["id"]] = OutcomeTags(o["efcw"], o["efcw_ages"], check.text(w, o, "efcw_says"),
                                    check.text(w, o, "rshe"), o["dcf"], o["dcf_step"], tuple(four_c))
    return tags


def _check_module(m: Any, modules: Mapping[str, Any], topics: Mapping[str, Topic], check: Any) -> float:
    """One module's foundation, topics and reading level; returns its reading grade."""
    if m.year > 0:
        base_module = modules.get(m.foundation)
        if base_module is None:
            check.fail(m.source, f"foundation '{m.foundation}' is not a module")
        elif base_module.year != m.year - 1 or base_module.category != m.category:
            check.fail(m.source, f"foundation '{m.foundation}' must be a {m.category} module of "
                                 f"{YEAR_NAMES.get(m.year - 1, 'the year before')}")
    for tid in m.topics:
        if tid not in topics:
            check.fail(m.source, f"unknown topic '{tid}'")
    for q in m.questions:
        if q.topic and q.topic not in m.topics:
            check.fail(m.source, f"question '{q.id}' checks topic '{q.topic}', which the module does not list")
    grade = reading_grade(pupil_texts(m))
    ceiling = READING_CEILING.get(m.band)
    if ceiling is not None and grade > ceiling:
        check.fail(m.source, f"reads at grade {grade}, above the {m.band} ceiling of {ceiling}: "
                             "use shorter sentences and shorter words")
    return grade


def _check_coverage(grid: Mapping[tuple[int, str], list[str]], modules: Mapping[str, Any],
                    topics: Mapping[str, Topic], check: Any) -> None:
    """Every year x risk has a module; every topic is taught and checked by a question."""
    for year in YEARS:
        for cat in CATEGORIES:
            if (year, cat) not in grid:
                check.fail("modules/", f"no {cat} module for {YEAR_NAMES[year]}")
    for tid in topics:
        if not any(tid in m.topics for m in modules.values()):
            check.fail("outcomes.toml", f"topic '{tid}' is not taught by any module")
        elif not any(q.topic == tid for m in modules.values() for q in m.questions):
            check.fail("outcomes.toml", f"topic '{tid}' is not checked by any quiz question")


def check_curriculum(base: Mapping[str, Any], modules: Mapping[str, Any], outcomes: Mapping[str, Any],
                     check: Any) -> Curriculum:
    """Year x risk coverage, foundations, topics taught and checked, outcome tags, reading levels."""
    strands = _named(base, "efcw_strands", check)
    elements = _named(base, "dcf_elements", check)
    topics: dict[str, Topic] = {}
    for t in base.get("topics", []) or []:
        w = f"outcomes.toml, topic {t.get('id')!r}"
        tid = check.ident(w, t)
        topics[tid] = Topic(tid, check.text(w, t, "name"), check.text(w, t, "source"))
    if not topics:
        check.fail("outcomes.toml", "needs a list of [[topics]]")
    tags = _tags(base, strands, elements, check)
    for oid in outcomes:
        if oid not in tags and not any(oid in p for p in check.problems):
            check.fail("outcomes.toml", f"outcome '{oid}' has no framework tags")

    grid: dict[tuple[int, str], list[str]] = {}
    reading: dict[str, float] = {}
    for m in sorted(modules.values(), key=lambda m: (m.year, m.order, m.id)):
        grid.setdefault((m.year, m.category), []).append(m.id)
        reading[m.id] = _check_module(m, modules, topics, check)
    _check_coverage(grid, modules, topics, check)
    return Curriculum(strands=strands, elements=elements, topics=topics, tags=tags, reading=reading,
                      grid={k: tuple(v) for k, v in grid.items()})


def curriculum_map(content: Any) -> str:
    """The README's curriculum table: a row per year group, a column per risk, module titles."""
    names = [content.categories[c].name for c in CATEGORIES]
    lines = ["| Year | " + " | ".join(names) + " |", "| --- |" + " --- |" * len(CATEGORIES)]
    for year in YEARS:
        cells = []
        for cat in CATEGORIES:
            ids = content.curriculum.modules_for(year, cat)
            cells.append("<br>".join(f"{content.modules[m].title} (`{m}`)" for m in ids) or "-")
        lines.append(f"| {YEAR_NAMES[year]} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
