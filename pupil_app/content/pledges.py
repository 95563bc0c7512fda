"""Reading the pledges, the policy they trace to, and the Parent/Carer AUP."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .checks import _Checker, _read_toml, whole_from_1
from .model import Module, Outcome, ParentAup, ParentStatement, Pledge, PledgeStatement, PolicySection
from .rules import BANDS, MAX_PARENT_TEXT, MAX_PLEDGE_TEXT, PLEDGE_IDS, PLEDGE_SIGN


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


def _pledge_head(path: Path, rel: str, data: Mapping[str, Any], policy: Mapping[str, PolicySection],
                 check: _Checker) -> tuple[str, list[str], Any, PolicySection | None]:
    """The pledge's id (from its file name), the bands using it, how it is signed, its policy section."""
    pid = check.ident(rel, data)
    if pid != path.stem:
        check.fail(rel, f"id '{pid}' must equal the file name '{path.stem}'")
    if pid not in PLEDGE_IDS:
        check.fail(rel, f"pledge id must be one of {', '.join(PLEDGE_IDS)} (got {pid!r})")
    bands = data.get("bands")
    if not isinstance(bands, list) or not bands or any(b not in BANDS for b in bands):
        check.fail(rel, f"bands must be a non-empty list of {', '.join(BANDS)} (got {bands!r})")
        bands = [b for b in bands if b in BANDS] if isinstance(bands, list) else []
    sign = data.get("sign")
    if sign not in PLEDGE_SIGN:
        check.fail(rel, f"sign must be one of {', '.join(PLEDGE_SIGN)} (got {sign!r})")
    section_id = data.get("policy")
    section = policy.get(section_id) if isinstance(section_id, str) else None
    if section is None and policy:
        check.fail(rel, f"policy must name a section of policy.toml (got {section_id!r})")
    return pid, bands, sign, section


def _rests_on(w: str, item: Mapping[str, Any], bands: list[str], modules: Mapping[str, Module],
              outcomes: Mapping[str, Outcome], check: _Checker) -> tuple[list[str], list[str]]:
    """The modules (one at least of each band) and outcomes a promise rests on."""
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
    return mods, outs


def _statements(rel: str, data: Mapping[str, Any], bands: list[str], modules: Mapping[str, Module],
                outcomes: Mapping[str, Outcome], pictures: frozenset[str],
                check: _Checker) -> tuple[list[PledgeStatement], list[tuple[str, str]]]:
    raw = data.get("statements")
    if not isinstance(raw, list) or not raw:
        check.fail(rel, "needs a list of [[statements]]")
        raw = []
    statements: list[PledgeStatement] = []
    ids: set[str] = set()
    pictures_used: dict[str, str] = {}
    used_policy: list[tuple[str, str]] = []
    for i, item in enumerate(raw, 1):
        if not isinstance(item, dict):
            check.fail(f"{rel}, statement {i}", "must be a table")
            continue
        sid = check.ident(f"{rel}, statement {i}", item)
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
        mods, outs = _rests_on(w, item, bands, modules, outcomes, check)
        statements.append(PledgeStatement(
            id=sid, text=check.text(w, item, "text", limits=MAX_PLEDGE_TEXT),
            why=check.text(w, item, "why", limits=MAX_PLEDGE_TEXT), picture=pic,
            alt=check.text(w, item, "alt", limits=MAX_PLEDGE_TEXT), policy=text_policy.strip(),
            modules=tuple(mods), outcomes=tuple(outs),
        ))
    return statements, used_policy


def _load_pledge(path: Path, root: Path, policy: Mapping[str, PolicySection], modules: Mapping[str, Module],
                 outcomes: Mapping[str, Outcome], pictures: frozenset[str], check: _Checker) -> Pledge | None:
    """One pledge file, or None when it has any fault (each reported with the file's name)."""
    rel = str(path.relative_to(root))
    data = _read_toml(path, root, check)
    if data is None:
        return None
    before = len(check.problems)
    pid, bands, sign, section = _pledge_head(path, rel, data, policy, check)
    version = whole_from_1(check, rel, data, "version")
    title = check.text(rel, data, "title", limits=MAX_PLEDGE_TEXT)
    intro = check.text(rel, data, "intro", limits=MAX_PLEDGE_TEXT)
    picture = check.picture(rel, data.get("picture"), pictures)
    alt = check.text(rel, data, "alt", limits=MAX_PLEDGE_TEXT)
    statements, used_policy = _statements(rel, data, bands, modules, outcomes, pictures, check)
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
    version = whole_from_1(check, rel, data, "version")
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
