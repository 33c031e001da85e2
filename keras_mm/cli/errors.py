"""The CLI's error type, in its own module so that `python -m
keras_mm.cli.main` and the subcommand modules share one class."""


class UsageError(Exception):
    """A problem with what the user asked for: one line, exit status 2."""
