"""Content is validated once at start-up; every fault names the file and the problem."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pupil_app import create_app
from pupil_app.content import BANDS, CATEGORIES, ContentError, load_content

from .content_factory import REAL, write_content


@pytest.fixture
def tree(tmp_path) -> Path:
    return write_content(tmp_path / "content")


def _problems(root: Path) -> list[str]:
    with pytest.raises(ContentError) as info:
        load_content(root)
    return info.value.problems


def test_shipped_content_covers_every_band_category_outcome_and_risk():
    content = load_content(REAL)
    for band in BANDS:
        cats = {m.category for m in content.modules_for_band(band)}
        assert cats == set(CATEGORIES), band
    for m in content.modules.values():
        assert 3 <= len(m.screens) <= 6, m.id
        assert len(m.questions) >= 5, m.id
        assert all(q.explain for q in m.questions)
    checked = {q.outcome for m in content.modules.values() for q in m.questions}
    assert checked == set(content.outcomes)
    assert {r for m in content.modules.values() for r in m.risks} == set(content.risks)


def test_shipped_content_uses_each_bands_question_types():
    content = load_content(REAL)
    ks1 = {q.type for m in content.modules_for_band("ks1") for q in m.questions}
    assert ks1 == {"pick_picture", "safe_or_not", "yes_no"}
    for band in ("ks2", "eop"):
        types = {q.type for m in content.modules_for_band(band) for q in m.questions}
        assert types == {"multiple_choice", "scenario", "true_false", "order"}


def test_content_is_immutable():
    content = load_content(REAL)
    module = next(iter(content.modules.values()))
    with pytest.raises(AttributeError):
        module.title = "changed"  # type: ignore[misc]
    assert isinstance(module.questions, tuple)


def test_pictures_are_plain_svg_with_no_text_or_scripts():
    for path in (REAL / "pictures").glob("*.svg"):
        svg = path.read_text()
        assert "<script" not in svg and "<text" not in svg and "style=" not in svg, path.name


def test_valid_factory_tree_loads(tree):
    assert len(load_content(tree).modules) == 28


def test_unknown_outcome_id_is_named_with_its_file(tree):
    f = tree / "modules/ks2/ks2-contact.toml"
    f.write_text(f.read_text().replace('outcome = "ks2.', 'outcome = "ks2.nope-', 1))
    problems = _problems(tree)
    assert any("modules/ks2/ks2-contact.toml" in p and "unknown outcome id 'ks2.nope-" in p for p in problems)


def test_question_without_right_answer_stops_loading(tree):
    f = tree / "modules/ks2/ks2-content.toml"
    f.write_text(f.read_text().replace("correct = true\n", "", 1))
    problems = _problems(tree)
    assert any("ks2-content.toml, question 'q1'" in p and "no right answer" in p for p in problems)


def test_two_way_question_without_answer_stops_loading(tree):
    f = tree / "modules/ks1/ks1-content.toml"
    f.write_text(f.read_text().replace('answer = "safe"\n', "", 1))
    assert any("ks1-content.toml, question 'q2'" in p and "no right answer" in p for p in _problems(tree))


def test_duplicate_question_id_stops_loading(tree):
    f = tree / "modules/eop/eop-commerce.toml"
    f.write_text(f.read_text().replace('id = "q2"', 'id = "q1"'))
    assert any("eop-commerce.toml" in p and "duplicate question id" in p for p in _problems(tree))


def test_duplicate_module_id_stops_loading(tree):
    src = tree / "modules/ks1/ks1-content.toml"
    (tree / "modules/ks1/ks1-content-copy.toml").write_text(src.read_text())
    problems = _problems(tree)
    assert any("ks1-content-copy.toml" in p and "must equal the file name" in p for p in problems)


def test_missing_picture_stops_loading(tree):
    f = tree / "modules/ks1/ks1-contact.toml"
    f.write_text(f.read_text().replace('picture = "p.svg"', 'picture = "nowhere.svg"', 1))
    assert any("ks1-contact.toml" in p and "picture 'nowhere.svg' is missing" in p for p in _problems(tree))


def test_question_type_from_another_band_is_refused(tree):
    f = tree / "modules/ks1/ks1-content.toml"
    f.write_text(f.read_text().replace('type = "pick_picture"', 'type = "order"', 1))
    assert any("type 'order' is not used in band ks1" in p for p in _problems(tree))


def test_html_in_content_is_refused(tree):
    f = tree / "modules/ks2/ks2-conduct.toml"
    f.write_text(f.read_text().replace('text = "Screen 0"', 'text = "<b>Screen</b>"'))
    assert any("plain text, not HTML" in p for p in _problems(tree))


def test_picture_with_script_is_refused(tree):
    (tree / "pictures/p.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    assert any("pictures/p.svg" in p and "<script" in p for p in _problems(tree))


def test_invalid_toml_is_reported(tree):
    (tree / "modules/ks2/ks2-commerce.toml").write_text("id = ")
    assert any("ks2-commerce.toml: is not valid TOML" in p for p in _problems(tree))


def test_untaught_risk_is_reported(tree):
    f = tree / "modules/ks2/ks2-commerce.toml"
    text = f.read_text()
    for g in tree.glob("modules/*/*-commerce.toml"):
        if g == f:
            continue
        g.write_text(re.sub(r'risks = \[[^\]]*\]', 'risks = []', g.read_text()))
    f.write_text(re.sub(r'risks = \[[^\]]*\]', 'risks = ["commerce.phishing"]', text))
    assert any("risk 'commerce.gambling' is not taught" in p for p in _problems(tree))


def test_app_refuses_to_start_with_broken_content(tree):
    (tree / "pictures/p.svg").unlink()
    with pytest.raises(ContentError) as info:
        create_app("testing", CONTENT_DIR=tree)
    assert "missing from content/pictures/" in str(info.value)


def test_flask_content_check_passes_on_shipped_content(runner):
    result = runner.invoke(args=["content", "check"])
    assert result.exit_code == 0, result.output
    assert "Content OK: 28 modules" in result.output


def test_flask_content_check_names_the_fault(app, tree):
    (tree / "modules/ks2/ks2-contact.toml").write_text("id = ")
    old = app.config["CONTENT_DIR"]
    app.config["CONTENT_DIR"] = tree
    try:
        result = app.test_cli_runner().invoke(args=["content", "check"])
    finally:
        app.config["CONTENT_DIR"] = old
    assert result.exit_code != 0
    assert "ks2-contact.toml: is not valid TOML" in result.output


# ---------------------------------------------------------------- pledges (content/pledges/)

def test_shipped_pledges_cover_every_statement_of_the_pupil_and_parent_policies():
    content = load_content(REAL)
    policy = content.policy
    assert len(policy["ks1"].statements) == 8 and len(policy["ks2"].statements) == 18
    ks1, ks2 = content.pledges["ks1"], content.pledges["ks2"]
    assert ks1.bands == ("ks1",) and set(ks2.bands) == {"ks2", "eop"}
    assert content.pledge_for_band("eop") is ks2
    assert sorted(s.policy for s in ks1.statements) == sorted(policy["ks1"].statements)
    assert sorted(s.policy for s in ks2.statements) == sorted(policy["ks2"].statements)
    # Each promise has its own picture, a reason, and rests on modules each of its bands learns.
    for pledge in (ks1, ks2):
        assert len({s.picture for s in pledge.statements}) == len(pledge.statements)
        for s in pledge.statements:
            assert s.why and s.alt and s.outcomes
            for band in pledge.bands:
                assert any(content.modules[m].band == band for m in s.modules), (pledge.id, s.id, band)
    # Every module ends with at least one promise.
    named = {m for p in content.pledges.values() for s in p.statements for m in s.modules}
    assert named == set(content.modules)
    aup = content.parent_aup
    assert len(aup.statements) == len(policy["parent"].statements) == 11
    assert len(aup.acknowledgements) == len(policy["parent-acknowledgement"].statements) == 12


def test_policy_text_is_the_seed_policy_word_for_word():
    text = (REAL.parent / "docs/policies/online-safety-policy-all-saints-trust.txt").read_text().replace("**", "")
    for section in load_content(REAL).policy.values():
        for statement in section.statements:
            assert statement in text, statement


def _pledge_file(tree: Path, key: str = "ks2") -> Path:
    return tree / f"pledges/{key}.toml"


def test_unknown_module_in_a_pledge_is_named_with_its_file(tree):
    f = _pledge_file(tree)
    f.write_text(f.read_text().replace('modules = ["ks2-', 'modules = ["ks2-nope", "ks2-', 1))
    assert any("pledges/ks2.toml, statement 's1'" in p and "unknown module id 'ks2-nope'" in p for p in _problems(tree))


def test_unknown_outcome_in_a_pledge_is_refused(tree):
    f = _pledge_file(tree, "ks1")
    f.write_text(f.read_text().replace('outcomes = ["ks1.', 'outcomes = ["ks1.made-up", "ks1.', 1))
    assert any("pledges/ks1.toml" in p and "unknown outcome id 'ks1.made-up'" in p for p in _problems(tree))


def test_outcome_not_taught_by_the_promises_modules_is_refused(tree):
    f = _pledge_file(tree, "ks1")
    text = f.read_text()
    first = re.search(r'outcomes = \["([^"]+)"\]', text).group(1)
    base = __import__("tomllib").loads((tree / "outcomes.toml").read_text())
    other = next(o["id"] for o in base["outcomes"] if o["band"] == "eop")
    f.write_text(text.replace(f'outcomes = ["{first}"]', f'outcomes = ["{other}"]', 1))
    assert any("pledges/ks1.toml, statement 's1'" in p and f"outcome '{other}' is not taught" in p for p in _problems(tree))


def test_module_of_a_band_that_does_not_use_the_pledge_is_refused(tree):
    f = _pledge_file(tree, "ks1")
    f.write_text(f.read_text().replace('modules = ["ks1-', 'modules = ["ks2-content", "ks1-', 1))
    assert any("module 'ks2-content' is for band ks2, which does not use this pledge" in p for p in _problems(tree))


def test_missing_pledge_picture_stops_loading(tree):
    (tree / "pictures/ks2-promise-3.svg").unlink()
    assert any("pledges/ks2.toml, statement 's3'" in p and "picture 'ks2-promise-3.svg' is missing" in p
               for p in _problems(tree))


def test_duplicate_promise_id_stops_loading(tree):
    f = _pledge_file(tree)
    f.write_text(f.read_text().replace('id = "s2"', 'id = "s1"'))
    assert any("pledges/ks2.toml, statement 's1'" in p and "duplicate statement id" in p for p in _problems(tree))


def test_missing_policy_statement_stops_loading_and_names_it(tree):
    f = _pledge_file(tree, "ks1")
    text = f.read_text()
    last = text.rindex("[[statements]]")
    f.write_text(text[:last])  # drop the last promise: its policy statement is no longer covered
    problems = _problems(tree)
    assert any("pledges/ks1.toml: missing policy statement" in p and "I always tell an adult/teacher" in p
               for p in problems), problems


def test_policy_statement_must_be_word_for_word(tree):
    f = _pledge_file(tree, "ks1")
    f.write_text(f.read_text().replace("I only use the Internet when an adult is with me.",
                                       "I only use the internet when an adult is with me."))
    problems = _problems(tree)
    assert any("statement 's1'" in p and "is not word for word in policy.toml section 'ks1'" in p for p in problems)
    assert any("missing policy statement" in p and "I only use the Internet when an adult" in p for p in problems)


def test_module_without_a_promise_is_reported(tree):
    f = _pledge_file(tree, "ks1")
    f.write_text(f.read_text().replace('"ks1-commerce"', '"ks1-content"'))
    assert any("no statement names module 'ks1-commerce'" in p for p in _problems(tree))


def test_parent_acknowledgement_must_cover_the_form(tree):
    f = tree / "pledges/parent.toml"
    text = f.read_text()
    f.write_text(text[:text.rindex("[[acknowledgements]]")])
    assert any("pledges/parent.toml: missing policy statement" in p and "role modelling" in p for p in _problems(tree))


def test_html_in_a_promise_is_refused(tree):
    f = _pledge_file(tree)
    f.write_text(f.read_text().replace('text = "Promise 1"', 'text = "<b>Promise</b>"'))
    assert any("pledges/ks2.toml, statement 's1'" in p and "plain text, not HTML" in p for p in _problems(tree))


def test_app_refuses_to_start_with_a_broken_pledge(tree):
    _pledge_file(tree).unlink()
    with pytest.raises(ContentError) as info:
        create_app("testing", CONTENT_DIR=tree)
    assert "band ks2 must use exactly one pledge" in str(info.value)


def test_flask_content_check_names_a_pledge_fault(app, tree):
    f = _pledge_file(tree, "ks1")
    f.write_text(f.read_text().replace('modules = ["ks1-', 'modules = ["ks1-gone", "ks1-', 1))
    old = app.config["CONTENT_DIR"]
    app.config["CONTENT_DIR"] = tree
    try:
        result = app.test_cli_runner().invoke(args=["content", "check"])
    finally:
        app.config["CONTENT_DIR"] = old
    assert result.exit_code != 0
    assert "pledges/ks1.toml, statement 's1': unknown module id 'ks1-gone'" in result.output


def test_pledge_strings_are_extracted_for_translation():
    from pupil_app.content import extract_content_strings

    with open(REAL / "pledges/ks2.toml", "rb") as fh:
        strings = {s for _n, _f, s, _c in extract_content_strings(fh, None, None, None)}
    pledge = load_content(REAL).pledges["ks2"]
    for s in pledge.statements:
        assert {s.text, s.why, s.alt} <= strings
        assert s.policy not in strings  # the policy's own words are evidence, not shown to pupils
    with open(REAL / "pledges/policy.toml", "rb") as fh:
        assert list(extract_content_strings(fh, None, None, None)) == []
