"""Checks that backend-specific code stays inside `keras_mm/backend/`.

Outside `keras_mm/backend/` no module may

- read the active backend (`keras.config.backend`,
  `keras.backend.backend`): it calls `keras_mm.backend.name()` or, for a
  fast path, `keras_mm.backend.native(topic)`;
- compare anything with a backend's name ("jax", "torch", "tensorflow");
- import torch, jax, jaxlib or tensorflow, at the top or inside a
  function, except where `ALLOWLIST` names the module and framework: a
  framework used as a file-format tool whatever the backend is.

`python -m keras_mm._dev.backend_boundary [root]` prints each violation
and exits 1 if there is one.

Example:
```python
from keras_mm._dev.backend_boundary import violations

assert violations("/path/to/repo") == []
```
"""

import ast
import os
import sys

FRAMEWORKS = ("torch", "jax", "jaxlib", "tensorflow")
BACKEND_NAMES = ("jax", "torch", "tensorflow")
BACKEND_QUERIES = ("keras.config.backend", "keras.backend.backend")
PACKAGE = "keras_mm"
BACKEND_PACKAGE = "keras_mm/backend/"

# Module path -> framework -> why it may import that framework.
ALLOWLIST = {
    "keras_mm/data/audio_features.py": {
        "tensorflow": "tf.signal ops inside tf.data input pipelines"},
    "keras_mm/data/autotune_thread.py": {
        "tensorflow": "tf.data options of every input pipeline"},
    "keras_mm/data/chunked_decode.py": {
        "tensorflow": "the decoding stage of the tf.data input pipelines"},
    "keras_mm/data/data_error_dataset.py": {
        "tensorflow": "tf.data iterators that raise the readers' errors"},
    "keras_mm/data/image_augmentation.py": {
        "tensorflow": "tf.image ops inside tf.data input pipelines"},
    "keras_mm/data/model_dataset.py": {
        "tensorflow": "builds the tf.data input pipeline"},
    "keras_mm/data/pipeline.py": {
        "tensorflow": "builds the tf.data input pipeline"},
    "keras_mm/data/tf_graph.py": {
        "tensorflow": "TF ops of text preprocessing (keras-hub, tf.data)"},
    "keras_mm/export/tflite_converter.py": {
        "tensorflow": "the LiteRT converter writes .tflite files"},
    "keras_mm/export/onnx_converter.py": {
        "torch": "torch.onnx writes .onnx files"},
    "keras_mm/checkpoints/lazy_tensors.py": {
        "torch": "reads torch checkpoint files"},
    "keras_mm/models/clip/open_clip_checkpoint.py": {
        "torch": "reads open_clip .pt checkpoint files"},
    "keras_mm/models/bert/random_hf_bert.py": {
        "torch": "writes a Hugging Face torch checkpoint fixture"},
}


class _Checker(ast.NodeVisitor):
    def __init__(self, path, allowed):
        self.path = path
        self.allowed = allowed
        self.aliases = {}  # local name -> the dotted name it stands for
        self.found = []

    def _report(self, node, message):
        self.found.append(f"{self.path}:{node.lineno}: {message}")

    def _check_framework(self, node, module):
        top = module.split(".")[0]
        if top in FRAMEWORKS and top not in self.allowed:
            self._report(node, f"imports {module} (only keras_mm/backend/ "
                               f"may, or an ALLOWLIST entry)")

    def visit_Import(self, node):
        for alias in node.names:
            self._check_framework(node, alias.name)
            if alias.asname:
                self.aliases[alias.asname] = alias.name
            else:
                top = alias.name.split(".")[0]
                self.aliases[top] = top
            self._check_query(node, alias.name)
        self.generic_visit(node)

    def visit_ImportFrom(self, node):
        if node.level == 0 and node.module:
            self._check_framework(node, node.module)
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                self.aliases[alias.asname or alias.name] = full
                self._check_query(node, full)
        self.generic_visit(node)

    def _dotted(self, node):
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        parts.append(self.aliases.get(node.id, node.id))
        return ".".join(reversed(parts))

    def _check_query(self, node, dotted):
        if dotted in BACKEND_QUERIES:
            self._report(node, f"reads {dotted} (use keras_mm.backend.name() "
                               f"or keras_mm.backend.native(topic))")

    def visit_Attribute(self, node):
        dotted = self._dotted(node)
        if dotted is not None:
            self._check_query(node, dotted)
            return  # The chain's inner attributes are part of this one.
        self.generic_visit(node)

    def visit_Name(self, node):
        if node.id in self.aliases:
            self._check_query(node, self.aliases[node.id])

    def visit_Compare(self, node):
        for operand in [node.left, *node.comparators]:
            names = _backend_constants(operand)
            if names:
                self._report(node, f"compares with the backend name "
                                   f"{names[0]!r} (add a "
                                   f"keras_mm.backend.native topic)")
                break
        self.generic_visit(node)

    def visit_Call(self, node):
        target = self._dotted(node.func)
        if (target in ("importlib.import_module", "__import__")
                and node.args and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)):
            self._check_framework(node, node.args[0].value)
        self.generic_visit(node)


def _backend_constants(node):
    if isinstance(node, ast.Constant):
        return [node.value] if node.value in BACKEND_NAMES else []
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [e.value for e in node.elts if isinstance(e, ast.Constant)
                and e.value in BACKEND_NAMES]
    return []


def check_source(source, path, allowlist=None):
    """The violations in one module's `source`, as `path:line: message`."""
    allowlist = ALLOWLIST if allowlist is None else allowlist
    checker = _Checker(path, allowlist.get(path, {}))
    checker.visit(ast.parse(source, filename=path))
    return checker.found


def violations(root, allowlist=None):
    """Every violation under `root/keras_mm` outside `keras_mm/backend/`.

    Args:
        root: str. The repository root (the folder holding `keras_mm/`).
        allowlist: dict or None. Module path -> framework -> reason;
            default `ALLOWLIST`.

    Returns:
        A sorted list of `"keras_mm/path.py:line: message"` strings.
    """
    found = []
    for path in _modules(root):
        if path.startswith(BACKEND_PACKAGE):
            continue
        with open(os.path.join(root, path), encoding="utf-8") as f:
            found += check_source(f.read(), path, allowlist)
    return sorted(found, key=_sort_key)


def stale_allowlist(root, allowlist=None):
    """ALLOWLIST entries whose module no longer imports that framework."""
    allowlist = ALLOWLIST if allowlist is None else allowlist
    stale = []
    for path, frameworks in sorted(allowlist.items()):
        full = os.path.join(root, path)
        if not os.path.exists(full):
            stale.append(f"{path}: no such module")
            continue
        with open(full, encoding="utf-8") as f:
            unallowed = check_source(f.read(), path, allowlist={})
        for framework in frameworks:
            if not any(f"imports {framework}" in v for v in unallowed):
                stale.append(f"{path}: does not import {framework}")
    return stale


def _modules(root):
    base = os.path.join(root, PACKAGE)
    for folder, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                full = os.path.join(folder, name)
                yield os.path.relpath(full, root).replace(os.sep, "/")


def _sort_key(violation):
    path, line, _ = violation.split(":", 2)
    return path, int(line)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    root = argv[0] if argv else os.path.dirname(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    found = violations(root) + [
        f"ALLOWLIST: {entry}" for entry in stale_allowlist(root)]
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
