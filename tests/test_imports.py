"""The package's imports form no cycle, and the trainer's rooms import one way (down the layer list)."""

import ast
from pathlib import Path

import convexgan

ROOT = Path(convexgan.__file__).parent
# convexgan.progressive's rooms, lowest first: a module may import its own room and the rooms before it
LAYERS = ["runtime", "linalg", "model", "pipeline", "stages", "config", "runs", "trainer", "evaluation"]


def module_name(path):
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path):
    """Every convexgan module imported by ``path``, at module level or inside functions."""
    found = set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return {m for m in found if m.split(".")[0] == "convexgan"}


def graph():
    modules = {module_name(p): p for p in ROOT.rglob("*.py")}
    edges = {}
    for name, path in modules.items():
        targets = {m for m in imported(path) if m in modules and m != name}
        # importing a.b.c runs a/__init__ and a/b/__init__ first: those are edges too
        targets |= {".".join(m.split(".")[:i]) for m in set(targets) for i in range(2, m.count(".") + 1)}
        edges[name] = {t for t in targets if t in modules and t != name and not name.startswith(t + ".")}
    return edges


def find_cycle(edges):
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_import_graph_has_no_cycle():
    edges = graph()
    assert len(edges) > 80 and "convexgan.progressive.stages.principled" in edges
    assert find_cycle(edges) is None, " -> ".join(find_cycle(edges))


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def layer(name):
    parts = name.split(".")
    return LAYERS.index(parts[2]) if len(parts) > 2 and parts[1] == "progressive" else None


def test_the_trainers_rooms_import_downwards_only():
    upward = []
    for name, targets in graph().items():
        if layer(name) is None:
            continue
        upward += [f"{name} -> {t}" for t in targets if layer(t) is not None and layer(t) > layer(name)]
    assert upward == []


def test_the_progressive_package_holds_at_most_eight_modules_directly():
    modules = sorted(p.name for p in (ROOT / "progressive").glob("*.py"))
    assert len(modules) <= 8, modules
    assert {p.name for p in (ROOT / "progressive").iterdir() if p.is_dir() and p.name != "__pycache__"} == {
        "runtime", "linalg", "model", "pipeline", "stages", "runs"}


def public_functions():
    """``(name, annotated)`` for every public function and method of the package (names without ``_``)."""
    found = []
    for path in ROOT.rglob("*.py"):
        if any(part.startswith("_") and part != "__init__.py" for part in path.relative_to(ROOT).parts):
            continue
        tree = ast.parse(path.read_text())
        scopes = [(module_name(path), tree.body)]
        for prefix, body in scopes:
            for node in body:
                if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                    scopes.append((f"{prefix}.{node.name}", node.body))
                elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
                    args = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
                    args += [a for a in (node.args.vararg, node.args.kwarg) if a is not None]
                    params = [a for a in args if a.arg not in ("self", "cls")]
                    annotated = node.returns is not None and all(a.annotation is not None for a in params)
                    found.append((f"{prefix}.{node.name}", annotated))
    return found


def test_at_least_95_percent_of_public_functions_are_annotated():
    found = public_functions()
    missing = sorted(name for name, annotated in found if not annotated)
    assert len(found) > 200
    assert len(missing) <= 0.05 * len(found), f"{len(missing)} of {len(found)} unannotated: {missing[:40]}"
