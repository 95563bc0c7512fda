"""``load_content``: every content file read and validated at once; the Babel extractor; the CLI check."""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import curriculum
from .checks import _Checker, _load_pictures, _read_toml
from .model import Band, Category, Content, ContentError, Module, Outcome, Risk
from .modules import _load_module
from .pledges import _load_pledges
from .rules import BANDS, CATEGORIES


def _load_base(root: Path, pictures: frozenset[str], check: _Checker):
    """outcomes.toml: the bands, the 4Cs, the curriculum outcomes and the risks, each with a stable id."""
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
    return bands, categories, outcomes, risks


def _load_modules(root: Path, outcomes, risks, pictures: frozenset[str], check: _Checker) -> dict[str, Module]:
    modules: dict[str, Module] = {}
    for path in sorted((root / "modules").glob("*/*.toml")):
        module = _load_module(path, root, outcomes, risks, pictures, check)
        if module is None:
            continue
        if module.id in modules:
            check.fail(module.source, f"duplicate module id '{module.id}' (also {modules[module.id].source})")
            continue
        modules[module.id] = module
    return modules


def _check_coverage(modules: dict[str, Module], outcomes, risks, check: _Checker) -> None:
    """Every band x category has a module; every outcome is checked and every risk taught somewhere."""
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


def load_content(root: str | Path) -> Content:
    """Read and validate every content file under ``root``; raise ``ContentError`` listing all faults."""
    root = Path(root)
    check = _Checker()
    if not root.is_dir():
        raise ContentError([f"{root}: content folder not found"])
    pictures = _load_pictures(root, check)
    bands, categories, outcomes, risks = _load_base(root, pictures, check)
    modules = _load_modules(root, outcomes, risks, pictures, check)
    if not check.problems:
        _check_coverage(modules, outcomes, risks, check)
    plan = None
    if not check.problems:  # the curriculum: frameworks, topics, outcome tags, years, foundations, reading
        base = _read_toml(root / "outcomes.toml", root, _Checker()) or {}
        plan = curriculum.check_curriculum(base, modules, outcomes, check)
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
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[2] / "content"
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
