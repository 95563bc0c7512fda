"""The curriculum Reception to Year 6: every year x risk, foundations, topics, framework tags,
reading levels, and the README map generated from content."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pupil_app.content import CATEGORIES, ContentError, load_content
from pupil_app.content.curriculum import READING_CEILING, YEAR_NAMES, YEARS, curriculum_map, reading_grade, syllables

from .content_factory import REAL, write_content

CONTENT = load_content(REAL)
README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.fixture
def tree(tmp_path) -> Path:
    return write_content(tmp_path / "content")


def _problems(root: Path) -> list[str]:
    with pytest.raises(ContentError) as info:
        load_content(root)
    return info.value.problems


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


# ------------------------------------------------------------------ the shipped curriculum

def test_every_year_from_reception_to_year_6_has_a_module_for_each_risk():
    assert len(CONTENT.modules) >= 28
    for year in YEARS:
        assert {m.category for m in CONTENT.modules_for_year(year)} == set(CATEGORIES), YEAR_NAMES[year]


def test_every_module_names_its_foundation_of_the_same_risk_from_the_year_before():
    for m in CONTENT.modules.values():
        if m.year == 0:
            assert m.foundation == "", m.id
            continue
        base = CONTENT.modules[m.foundation]
        assert (base.year, base.category) == (m.year - 1, m.category), m.id
    # Following foundations back from Year 6 reaches Reception for every risk: one strand a year.
    for m in CONTENT.modules_for_year(6):
        chain = [m]
        while chain[-1].foundation:
            chain.append(CONTENT.modules[chain[-1].foundation])
        assert [c.year for c in chain] == [6, 5, 4, 3, 2, 1, 0]


def test_reading_levels_stay_under_each_bands_ceiling():
    assert READING_CEILING["ks1"] == 3.0  # the stated EYFS/KS1 ceiling
    for m in CONTENT.modules.values():
        assert CONTENT.curriculum.reading[m.id] <= READING_CEILING[m.band], m.id


def test_every_new_topic_is_taught_and_checked_by_a_question():
    topics = CONTENT.curriculum.topics
    assert set(topics) == {"age-ratings", "scams-spending", "location-privacy", "images-consent",
                           "misinformation", "ai", "screen-time", "bystander"}
    for tid in topics:
        teaching = [m for m in CONTENT.modules.values() if tid in m.topics]
        assert teaching, tid
        assert any(q.topic == tid for m in teaching for q in m.questions), tid


def test_every_outcome_is_tagged_for_each_framework_with_readable_names():
    cur = CONTENT.curriculum
    for oid, outcome in CONTENT.outcomes.items():
        tags = cur.tags[oid]
        assert cur.strands[tags.efcw] and cur.elements[tags.dcf]
        assert tags.efcw_ages == ("4-7" if outcome.band == "ks1" else "7-11")
        assert tags.dcf_step in (1, 2, 3) and tags.rshe and tags.efcw_says and tags.four_c


def test_review_corrections_are_in_the_content():
    loot = " ".join([s.text for s in CONTENT.modules["ks2-commerce"].screens]
                    + [q.prompt for q in CONTENT.modules["ks2-commerce"].questions])
    assert "is a kind of gambling" not in loot and "law does not call it gambling" in loot
    assert CONTENT.bands["ks2"].ages == "7-10"
    ks1 = CONTENT.pledge_for_band("ks1")
    assert ks1.statement("tell-a-grown-up").why == "Telling a grown-up is always right. I will not be in trouble."
    titles = [m.title for m in CONTENT.modules_for_band("ks1")]
    assert CONTENT.categories["content"].summary not in titles
    for mid in ("eop-contact", "y5-contact"):
        words = " ".join(s.text for s in CONTENT.modules[mid].screens)
        assert "Childline on 0800 1111" in words and "CEOP" in words, mid
    assert "Report Remove" in " ".join(s.text for s in CONTENT.modules["eop-conduct"].screens)


def test_every_lesson_screen_has_a_discussion_question_and_teacher_notes():
    for m in CONTENT.modules.values():
        assert all(s.discuss and s.notes for s in m.screens), m.id


def test_readme_curriculum_map_is_generated_from_content(runner):
    result = runner.invoke(args=["content", "map"])
    assert result.exit_code == 0, result.output
    assert result.output == curriculum_map(CONTENT)
    assert "| Reception | Screens can be fun (`r-content`)" in result.output
    block = re.search(r"<!-- curriculum-map:start -->\n(.*?)<!-- curriculum-map:end -->", README.read_text(), re.S)
    assert block and block.group(1) == result.output, "README is out of date: paste `flask content map` into it"


# ------------------------------------------------------------------ the reading measure

def test_syllables_and_reading_grade():
    assert [syllables(w) for w in ("cat", "tablet", "grown-up", "safe", "internet", "13")] == [1, 2, 2, 1, 3, 2]
    easy = reading_grade(["We can play on a tablet.", "Tell a grown-up."])
    hard = reading_grade(["Consequently, unauthorised communication necessitates comprehensive investigation "
                          "by appropriately qualified organisational representatives."])
    assert easy < 3.0 < hard


# ------------------------------------------------------------------ the validator refuses

def test_missing_year_and_risk_is_reported(tree):
    (tree / "modules/ks2/y5-conduct.toml").unlink()
    _edit(tree / "modules/eop/eop-conduct.toml", 'foundation = "y5-conduct"', 'foundation = "ks2-conduct"')
    problems = _problems(tree)
    assert "modules/: no conduct module for Year 5" in problems
    assert any("eop-conduct.toml: foundation 'ks2-conduct' must be a conduct module of Year 5" in p for p in problems)


def test_module_without_foundation_is_refused(tree):
    _edit(tree / "modules/ks2/ks2-contact.toml", 'foundation = "y3-contact"\n', "")
    assert "modules/ks2/ks2-contact.toml: names no foundation: every module after Reception builds on one " \
           "from the year before" in _problems(tree)


def test_foundation_of_another_risk_is_refused(tree):
    _edit(tree / "modules/ks1/y2-commerce.toml", 'foundation = "ks1-commerce"', 'foundation = "ks1-content"')
    assert any("y2-commerce.toml: foundation 'ks1-content' must be a commerce module of Year 1" in p
               for p in _problems(tree))


def test_year_of_another_band_is_refused(tree):
    _edit(tree / "modules/ks1/y2-contact.toml", "year = 2", "year = 3")
    assert any("y2-contact.toml: Year 3 belongs to band ks2, not 'ks1'" in p for p in _problems(tree))


def test_topic_taught_but_never_checked_is_reported(tree):
    f = tree / "modules/ks1/y0-content.toml"
    f.write_text(re.sub(r'topic = "age-ratings"\n', "", f.read_text()))
    assert "outcomes.toml: topic 'age-ratings' is not checked by any quiz question" in _problems(tree)


def test_unknown_topic_is_refused(tree):
    _edit(tree / "modules/ks1/y0-content.toml", 'topics = ["', 'topics = ["dragons", "')
    assert "modules/ks1/y0-content.toml: unknown topic 'dragons'" in _problems(tree)


def test_untagged_outcome_is_refused(tree):
    _edit(tree / "outcomes.toml", 'dcf_step = 3\n', "")
    assert any("is not tagged with dcf_step" in p for p in _problems(tree))


def test_screen_without_teacher_notes_is_refused(tree):
    _edit(tree / "modules/ks2/y3-content.toml", 'notes = "Listen to the class."\n', "")
    assert "modules/ks2/y3-content.toml, screen 1: 'notes' must be non-empty text" in _problems(tree)


def test_text_above_the_eyfs_ks1_reading_ceiling_is_refused(tree):
    long = ("Unauthorised communication necessitates comprehensive investigation by appropriately "
            "qualified organisational representatives immediately.")
    _edit(tree / "modules/ks1/y0-contact.toml", 'text = "Screen 0"', f'text = "{long}"')
    assert any(p.startswith("modules/ks1/y0-contact.toml: reads at grade") and "above the ks1 ceiling of 3.0" in p
               for p in _problems(tree))
