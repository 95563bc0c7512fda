"""The shape of the code, as README "How it is built" says.

- No import circle anywhere in ``pupil_app``.
- A domain never imports another domain's views, nor another package's private names.
- No module over 500 lines; no view function over 30 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "pupil_app"
DOMAINS = {"auth", "learning", "pledge", "concerns", "coverage", "admin", "schools", "content", "filtering"}
MAX_MODULE_LINES = 500
MAX_VIEW_LINES = 30


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str, path: Path) -> list[tuple[str, str, int]]:
    """(imported module, name taken from it or "", line) for every import of ``module``, nested ones included."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [(alias.name, "", node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, path, node)
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.append((sub, "", node.lineno) if sub in MODULES else (target, alias.name, node.lineno))
    return [i for i in out if i[0].startswith("pupil_app")]


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        targets = {t for t, _name, _line in _imports(module, path) if t in MODULES and t != module}
        graph[module] = targets
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _domain(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in DOMAINS else None


def test_no_module_imports_itself_in_a_circle():
    assert _circles(_graph()) == []


def test_the_circle_finder_finds_a_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_domain_imports_another_domains_views_or_private_names():
    wrong = []
    for module, path in MODULES.items():
        mine = _domain(module)
        for target, name, line in _imports(module, path):
            theirs = _domain(target)
            if mine and theirs and theirs != mine and ".views" in target:
                wrong.append(f"{path.name}:{line} {module} imports {target} (another domain's views)")
            other_package = target.split(".")[:2] != module.split(".")[:2]
            if other_package and (name.startswith("_") or target.rsplit(".", 1)[-1].startswith("_")):
                wrong.append(f"{path.name}:{line} {module} takes private {name or target} from {target}")
    assert wrong == []


def test_no_module_is_too_long_to_read_in_one_sitting():
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert long == {}


def _routes(tree: ast.Module):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for deco in node.decorator_list:
                call = deco.func if isinstance(deco, ast.Call) else deco
                if isinstance(call, ast.Attribute) and call.attr in ("route", "get", "post"):
                    yield node
                    break


def test_no_view_function_is_longer_than_thirty_lines():
    long = {}
    for module, path in MODULES.items():
        for fn in _routes(ast.parse(path.read_text())):
            lines = fn.end_lineno - fn.lineno + 1
            if lines > MAX_VIEW_LINES:
                long[f"{module}.{fn.name}"] = lines
    assert long == {}
