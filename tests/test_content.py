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
    assert len(load_content(tree).modules) == 12


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
    for other in ("ks1", "eop"):
        g = tree / f"modules/{other}/{other}-commerce.toml"
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
    assert "Content OK: 12 modules" in result.output


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
