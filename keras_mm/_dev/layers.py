"""Checks that imports inside keras_mm run one way, down the layer order.

Run `python -m keras_mm._dev.layers` from the repository root: it prints the
import graph between keras_mm's top-level entries and exits 1 on any import
that runs against `LAYERS`, that reaches `keras_mm.datasets` from outside an
application, or that closes a cycle between top-level entries or modules.
Imports inside functions count too: a lazy import is still a dependency.
"""

import ast
import os
import sys
from collections import defaultdict

# Ranked from the bottom up; an entry may import its own rank and lower ranks.
LAYERS = (
    (
        ("backend", "api_export", "constructor_config", "dependency_error",
         "host_cores", "_dev"),
        "base: backend dispatch, the export registry, config mixin, errors, "
        "the usable core count",
    ),
    (
        ("layers", "losses", "heads", "metrics", "optimizers", "distribution"),
        "building blocks on Keras alone; losses call distribution's collectives",
    ),
    (
        ("data",),
        "readers, preprocessors and pipelines for the user's files",
    ),
    (
        ("fusion",),
        "fusion modules assembled from building blocks",
    ),
    (
        ("tasks", "compression"),
        "trainable wrappers: heads, losses and compile defaults on towers",
    ),
    (
        ("models", "checkpoints", "presets"),
        "model families (encoders, preprocessors, converters), readers, presets",
    ),
    (
        (
            "training",
            "evaluation",
            "inference",
            "indexing",
            "export",
            "serving",
        ),
        "library services that run models on the user's data",
    ),
    (
        ("cli", "quickstart", "demos", "testing", "datasets"),
        "applications: the only place the built-in toy data may be used",
    ),
)

# The built-in toy data is an application concern; only these may import it.
DATASETS_IMPORTERS = frozenset(
    {"cli", "quickstart", "demos", "testing", "datasets"})

PACKAGE = "keras_mm"


def rank_of(entry):
    """Returns the index of `entry`'s layer in `LAYERS`, or None if unranked.

    Example:
    ```python
    assert rank_of("tasks") < rank_of("training")
    ```
    """
    for rank, (entries, _reason) in enumerate(LAYERS):
        if entry in entries:
            return rank
    return None


def _module_name(path, root):
    relative = os.path.relpath(path, root)[: -len(".py")].split(os.sep)
    if relative[-1] == "__init__":
        relative = relative[:-1]
    return ".".join(relative)


def _resolve(node, module, is_package):
    """Absolute names an import brings in (`from x import y`: x and x.y)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        parts = module.split(".")
        base = parts if is_package else parts[:-1]
        base = base[: len(base) - (node.level - 1)]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    # `from pkg import sub` imports the submodule when one exists; the caller
    # keeps only names that are real modules.
    return [prefix] + [f"{prefix}.{alias.name}" for alias in node.names]


def collect_imports(root):
    """Every keras_mm-internal import under `root` (which holds keras_mm/).

    Returns a list of (importing module, imported module, file, line).

    Example:
    ```python
    edges = collect_imports(".")
    ```
    """
    files = {}
    for folder, _dirs, names in os.walk(os.path.join(root, PACKAGE)):
        for name in names:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                files[_module_name(path, root)] = path
    modules = set(files)
    edges = []
    for module, path in sorted(files.items()):
        with open(path, encoding="utf-8") as handle:
            tree = ast.parse(handle.read(), filename=path)
        is_package = path.endswith("__init__.py")
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            targets = set()
            for name in _resolve(node, module, is_package):
                if not (name == PACKAGE or name.startswith(PACKAGE + ".")):
                    continue
                # Climb to the deepest real module: `keras_mm.tasks.X` where X
                # is a class resolves to keras_mm.tasks.
                while name not in modules and "." in name:
                    name = name.rsplit(".", 1)[0]
                if name != module:
                    targets.add(name)
            for target in sorted(targets):
                edges.append((module, target, path, node.lineno))
    return edges


def top_entry(module):
    """`keras_mm.training.trainer` -> `training`; `keras_mm` -> ``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _cycles(graph):
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(10000, sys.getrecursionlimit()))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _describe_cycle(component, graph, witness):
    """One shortest cycle through the component's first node, with the
    file and line of each import on it."""
    start = component[0]
    members = set(component)
    parents = {start: None}
    queue = [start]
    end = None
    while queue and end is None:
        node = queue.pop(0)
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                end = node
                break
            if nxt in members and nxt not in parents:
                parents[nxt] = node
                queue.append(nxt)
    path = [end]
    while parents[path[-1]] is not None:
        path.append(parents[path[-1]])
    path.reverse()
    path.append(start)
    return " -> ".join(
        f"{a} ({witness[(a, b)]})" for a, b in zip(path, path[1:])
    ) + f" -> {start}"


def find_violations(root, ignore=()):
    """One line per import against the layer order, datasets rule or a cycle.

    Args:
        root: str. The folder holding `keras_mm/`.
        ignore: imported module names whose imports are left out (a module
            on its way to another layer).

    Returns:
        `(problems, graph)`: the lines, and `{entry: {imported entries}}`.

    Example:
    ```python
    problems, graph = find_violations(".")
    print("\n".join(problems) or "imports follow LAYERS")
    ```
    """
    edges = [e for e in collect_imports(root) if e[1] not in ignore]
    problems = []
    entry_graph = defaultdict(set)
    entry_witness = {}
    module_graph = defaultdict(set)
    module_witness = {}
    for source, target, path, line in sorted(edges,
                                             key=lambda e: (e[2], e[3])):
        where = f"{os.path.relpath(path, root)}:{line}"
        src, dst = top_entry(source), top_entry(target)
        if not src or not dst:
            # keras_mm/__init__.py loads subpackages lazily by design.
            continue
        # Packages' __init__ re-export their own modules: not a module cycle.
        if not target.startswith(source + "."):
            module_graph[source].add(target)
            module_witness.setdefault((source, target), where)
        if src == dst:
            continue
        entry_graph[src].add(dst)
        entry_witness.setdefault((src, dst), where)
        src_rank, dst_rank = rank_of(src), rank_of(dst)
        if src_rank is None:
            problems.append(f"{where}: keras_mm.{src} has no layer in LAYERS")
        elif dst_rank is None:
            problems.append(f"{where}: keras_mm.{dst} has no layer in LAYERS")
        elif dst == "datasets" and src not in DATASETS_IMPORTERS:
            problems.append(
                f"{where}: {source} imports {target}; only applications "
                "may use the built-in toy data"
            )
        elif dst_rank > src_rank:
            problems.append(
                f"{where}: {source} imports {target}, a higher layer "
                f"({src} is rank {src_rank}, {dst} is rank {dst_rank})"
            )
    for component in _cycles(entry_graph):
        problems.append("import cycle between subpackages: " + _describe_cycle(
            component, entry_graph, entry_witness))
    for component in _cycles(module_graph):
        problems.append("import cycle between modules: " + _describe_cycle(
            component, module_graph, module_witness))
    return problems, entry_graph


def main(root="."):
    problems, graph = find_violations(root)
    order = {entry: rank_of(entry) for entry in graph}
    for src in sorted(graph, key=lambda e: (order.get(e) or -1, e)):
        print(f"{src} -> {', '.join(sorted(graph[src]))}")
    print()
    for rank, (entries, reason) in enumerate(LAYERS):
        print(f"rank {rank}: {', '.join(entries)}  # {reason}")
    if problems:
        print()
        for problem in problems:
            print(problem)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
