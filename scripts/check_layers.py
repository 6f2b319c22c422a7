"""The layer rule, checked: a module of youju imports only from its own layer or lower ones
(every import counts, also those inside functions and under TYPE_CHECKING). Lowest first:

    ground floor   youju.text, youju.records, youju.errors, youju.i18n, youju.config, youju.modelload,
                   youju.sqlbatch
    1              youju.ingest | youju.embeddings   (siblings: neither imports the other)
    2              youju.retrieval
    3              youju.chat                        (answering)
    4              youju.engine                      (the engine the facade is built on)
    5              youju.evaluation
    6              youju.api                         (the public facade, youju.Youju)
    7              youju.app                         (CLI, web UI, HTTP API, rendering)

`youju` itself (the package root: __version__ and lazy re-exports) may be imported anywhere.
Run: python scripts/check_layers.py  (exit 1 and one line per violation)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "youju"
LAYERS: list[list[str]] = [
    ["youju.text", "youju.records", "youju.errors", "youju.i18n", "youju.config", "youju.modelload", "youju.sqlbatch"],
    ["youju.ingest", "youju.embeddings"],
    ["youju.retrieval"],
    ["youju.chat"],
    ["youju.engine"],
    ["youju.evaluation"],
    ["youju.api"],
    ["youju.app"],
]
SIBLINGS_APART = {"youju.ingest", "youju.embeddings"}  # same layer, independent of each other


def unit_of(module: str) -> str | None:
    """The layer unit (package or module) a dotted module name belongs to."""
    for layer in LAYERS:
        for unit in layer:
            if module == unit or module.startswith(unit + "."):
                return unit
    return None


def level_of(unit: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if unit in layer)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            out += [(node.lineno, f"{base}.{a.name}" if unit_of(f"{base}.{a.name}") else base) for a in node.names]
    return [(line, name) for line, name in out if name.startswith("youju")]


def violations() -> list[str]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        me = unit_of(module_name(path))
        if me is None:
            if module_name(path) not in ("youju", "youju.__main__"):
                found.append(f"{path}: module belongs to no layer; add it to scripts/check_layers.py")
            continue
        for line, name in imports(path):
            other = unit_of(name)
            if other is None or other == me:
                continue
            if level_of(other) > level_of(me) or (other in SIBLINGS_APART and me in SIBLINGS_APART):
                found.append(f"{path.relative_to(ROOT.parent)}:{line}: {me} (layer {level_of(me)}) imports "
                             f"{name} (layer {level_of(other)})")
    return found


if __name__ == "__main__":
    problems = violations()
    print("\n".join(problems) or "layers ok")
    sys.exit(1 if problems else 0)
