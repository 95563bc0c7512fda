"""Writes a small, valid content tree for loader tests, which then break one thing at a time."""

from __future__ import annotations

import shutil
from pathlib import Path

REAL = Path(__file__).resolve().parent.parent / "content"
SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200"><circle cx="100" cy="100" r="80" fill="#4a90d9"/></svg>'
TYPES = {
    "ks1": ("pick_picture", "safe_or_not", "yes_no", "pick_picture", "yes_no"),
    "ks2": ("multiple_choice", "scenario", "true_false", "order", "multiple_choice"),
    "eop": ("multiple_choice", "scenario", "true_false", "order", "multiple_choice"),
}


def _question(n: int, qtype: str, outcome: str) -> str:
    head = f'[[questions]]\nid = "q{n}"\ntype = "{qtype}"\nprompt = "Is it safe?"\noutcome = "{outcome}"\nexplain = "It is fine."\n'
    if qtype in ("safe_or_not", "yes_no", "true_false", "scenario"):
        head += 'picture = "p.svg"\nalt = "A picture"\n'
    if qtype == "safe_or_not":
        return head + 'answer = "safe"\n'
    if qtype in ("yes_no", "true_false"):
        return head + "answer = true\n"
    if qtype == "scenario":
        head += 'scenario = "Sam sees a message."\n'
    if qtype == "order":
        return head + "".join(
            f'[[questions.steps]]\nid = "s{i}"\ntext = "Step {"abcd"[i]}"\npicture = "p.svg"\n' for i in range(1, 4))
    return head + "".join(
        f'[[questions.options]]\nid = "{o}"\ntext = "Pick {o}"\npicture = "p.svg"\n'
        + ("correct = true\n" if o == "a" else "") for o in "abc")


YEAR_BAND = {0: "ks1", 1: "ks1", 2: "ks1", 3: "ks2", 4: "ks2", 5: "ks2", 6: "eop"}
# The year each band's "<band>-<category>" module is for; the other years get "y<n>-<category>".
BAND_YEAR = {"ks1": 1, "ks2": 4, "eop": 6}


def module_id(year: int, cat: str) -> str:
    band = YEAR_BAND[year]
    return f"{band}-{cat}" if BAND_YEAR[band] == year else f"y{year}-{cat}"


def write_content(root: Path) -> Path:
    """A minimal valid tree: the real outcomes.toml, one 5-question module per year x category
    (each after Reception founded on the year before's), topics taught and checked by the Reception
    and Year 2 content modules, and pledges that cover the real policy statements (one promise each,
    naming every module of its category in each band)."""
    import tomllib

    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(REAL / "outcomes.toml", root / "outcomes.toml")
    base = tomllib.loads((REAL / "outcomes.toml").read_text())
    topics = [t["id"] for t in base["topics"]]
    pictures = root / "pictures"
    pictures.mkdir(exist_ok=True)
    names = {"p.svg"} | {c["picture"] for c in base["categories"]}
    for name in names:
        (pictures / name).write_text(SVG)
    module_outcomes: dict[str, list[str]] = {}
    for year, band in YEAR_BAND.items():
        outcomes = [o["id"] for o in base["outcomes"] if o["band"] == band]
        (root / "modules" / band).mkdir(parents=True, exist_ok=True)
        for c, cat in enumerate(("content", "contact", "conduct", "commerce")):
            mid = module_id(year, cat)
            risks = [r["id"] for r in base["risks"] if r["category"] == cat]
            asked = [outcomes[(n + c * 5) % len(outcomes)] for n in range(5)]
            taught = {(0, "content"): topics[:4], (2, "content"): topics[4:]}.get((year, cat), [])
            body = (f'id = "{mid}"\nband = "{band}"\ncategory = "{cat}"\nversion = 1\norder = 1\nyear = {year}\n'
                    + (f'foundation = "{module_id(year - 1, cat)}"\n' if year else "")
                    + f'title = "{band} {cat}"\nsummary = "About {cat}"\npicture = "p.svg"\n'
                    f"outcomes = {sorted(set(asked))!r}\nrisks = {risks!r}\ntopics = {taught!r}\n".replace("'", '"'))
            body += "".join(f'[[screens]]\ntext = "Screen {i}"\npicture = "p.svg"\nalt = "A picture"\n'
                            f'discuss = "What do you think?"\nnotes = "Listen to the class."\n' for i in range(3))
            for n, qtype in enumerate(TYPES[band], 1):
                q = _question(n, qtype, asked[n - 1])
                if n <= len(taught):
                    q = q.replace(f'id = "q{n}"\n', f'id = "q{n}"\ntopic = "{taught[n - 1]}"\n', 1)
                body += q
            (root / "modules" / band / f"{mid}.toml").write_text(body)
            module_outcomes[mid] = sorted(set(asked))
    write_pledges(root, module_outcomes)
    return root


PLEDGE_BANDS = {"ks1": ("ks1",), "ks2": ("ks2", "eop")}
CATEGORIES = ("content", "contact", "conduct", "commerce")
YEAR_BAND_OF = {f"y{year}": band for year, band in YEAR_BAND.items()}


def write_pledges(root: Path, module_outcomes: dict[str, list[str]]) -> None:
    """pledges/: the real policy.toml and parent.toml, and a ks1 and ks2 pledge built from the policy."""
    import json
    import tomllib

    (root / "pledges").mkdir(exist_ok=True)
    shutil.copy(REAL / "pledges/policy.toml", root / "pledges/policy.toml")
    shutil.copy(REAL / "pledges/parent.toml", root / "pledges/parent.toml")
    policy = {s["id"]: s["statements"] for s in tomllib.loads((REAL / "pledges/policy.toml").read_text())["sections"]}
    for key, bands in PLEDGE_BANDS.items():
        body = (f'id = "{key}"\nbands = {json.dumps(list(bands))}\nversion = 1\npolicy = "{key}"\n'
                f'sign = "{"tap" if key == "ks1" else "name"}"\ntitle = "Promises"\nintro = "Make them."\n'
                'picture = "p.svg"\nalt = "A picture"\n')
        for n, statement in enumerate(policy[key], 1):
            modules = sorted((m for m in module_outcomes
                              if YEAR_BAND_OF.get(m.split("-")[0], m.split("-")[0]) in bands
                              and m.endswith("-" + CATEGORIES[n % 4])),
                             key=lambda m: (m.startswith("y"), m.startswith("eop"), m))
            outcomes = sorted({module_outcomes[m][0] for m in modules})
            picture = f"{key}-promise-{n}.svg"
            (root / "pictures" / picture).write_text(SVG)
            body += (f'[[statements]]\nid = "s{n}"\ntext = "Promise {n}"\nwhy = "Because {n}."\n'
                     f'picture = "{picture}"\nalt = "A picture"\npolicy = {json.dumps(statement)}\n'
                     f"modules = {json.dumps(modules)}\noutcomes = {json.dumps(outcomes)}\n")
        (root / "pledges" / f"{key}.toml").write_text(body)
