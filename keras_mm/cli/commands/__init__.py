"""Subcommands of `keras-mm`, discovered by `keras_mm.cli.main`."""
