"""Imports point one way: cli → evals → run lifecycle / hitl → graph → nodes → agents / tools → context → executors →
backends / serving → media / run primitives → schema and other primitives. Function-level imports count too, and no
module imports itself back through others (no cycles)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import reelgraph

ROOT = Path(reelgraph.__file__).parent

# The rooms from the top down: a module may import its own room and the rooms below it, never one above.
LAYERS: list[tuple[str, ...]] = [
    ("reelgraph", "reelgraph.__main__", "reelgraph.cli", "reelgraph.evals.__main__", "reelgraph.web"),
    ("reelgraph.evals",),
    ("reelgraph.run.lifecycle", "reelgraph.hitl.api", "reelgraph.serving.cli"),
    ("reelgraph.graph",),
    ("reelgraph.nodes",),
    ("reelgraph.agents", "reelgraph.tools", "reelgraph.steps", "reelgraph.story", "reelgraph.hitl"),
    ("reelgraph.context",),
    ("reelgraph.executors",),
    ("reelgraph.backends", "reelgraph.serving"),
    ("reelgraph.media", "reelgraph.run"),
    ("reelgraph.state",),
    ("reelgraph.schema", "reelgraph.config", "reelgraph.errors", "reelgraph.languages", "reelgraph.progress",
     "reelgraph.extras", "reelgraph.run.hold"),
]
NO_LANGCHAIN = ("reelgraph.backends", "reelgraph.executors", "reelgraph.media", "reelgraph.schema")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in ROOT.rglob("*.py")}


def layer(module: str) -> int:
    """The index of the most specific room that holds `module`."""
    best, depth = len(LAYERS), -1
    for i, rooms in enumerate(LAYERS):
        for room in rooms:
            if (module == room or module.startswith(room + ".")) and room.count(".") > depth:
                best, depth = i, room.count(".")
    return best


def imports_of(module: str) -> set[str]:
    """The reelgraph modules `module` imports anywhere in its body (a name imported from a package counts as the
    submodule when there is one)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("reelgraph")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("reelgraph") \
                and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in MODULES else node.module)
    return {m for m in found if m in MODULES and m != module}


GRAPH = {m: imports_of(m) for m in MODULES}


def test_every_module_has_a_room() -> None:
    assert [m for m in MODULES if layer(m) == len(LAYERS)] == []


def test_imports_point_down() -> None:
    upward = sorted(f"{a} imports {b}" for a, deps in GRAPH.items() for b in deps if layer(b) < layer(a))
    assert upward == []


def test_no_import_cycles() -> None:
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for d in sorted(GRAPH[m]):
            if d.startswith(m + ".") or m.startswith(d + ".") and MODULES[d].name == "__init__.py":
                continue  # a package and its own modules (the package's __init__ names them)
            if state.get(d) == 1:
                cycles.append(stack[stack.index(d):] + [d])
            elif d not in state:
                visit(d)
        stack.pop()
        state[m] = 2

    for m in sorted(GRAPH):
        if m not in state:
            visit(m)
    assert cycles == []


def test_no_langchain_in_backends_executors_media_or_schema() -> None:
    offenders = []
    for m in (m for m in MODULES if m.startswith(NO_LANGCHAIN)):
        for node in ast.walk(ast.parse(MODULES[m].read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{m}: {n}" for n in names if n.split(".")[0] in LANGCHAIN]
    assert offenders == []


LANGCHAIN = ("langchain_core", "langgraph", "langchain_openai")
BLOCK = """
import importlib, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ImportError("not installed: " + name)
sys.meta_path.insert(0, Block())
for m in {modules!r}:
    importlib.import_module(m)
print("imported", len({modules!r}))
"""


def test_backends_import_without_langchain_installed() -> None:
    modules = sorted(m for m in MODULES if m.startswith(NO_LANGCHAIN) and "ray" not in m)
    code = BLOCK.format(blocked=LANGCHAIN, modules=modules)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == f"imported {len(modules)}"
