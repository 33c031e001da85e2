"""The built-in demos: recipes, exports and servers on the built-in data.

An application package, like `keras_mm.cli` and `keras_mm.quickstart`: it
feeds the library `keras_mm.datasets`' toy data, which no library module
imports. `keras-mm train/eval/export/serve ... builtin` run through here.
"""
