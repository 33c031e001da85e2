"""`keras-mm`: the command-line entry point.

Arguments are parsed before Keras is imported, so `--backend` can choose the
backend. Wrong usage prints one line and exits with status 2.
"""

import argparse
import importlib
import os
import pkgutil
import sys

from keras_mm.cli import commands
from keras_mm.cli.errors import UsageError
from keras_mm.dependency_error import MissingDependencyError

USAGE_ERROR = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{self.prog}: {message}")


def build_parser():
    """One subcommand per module in `keras_mm/cli/commands/`.

    Each module defines `register(subparsers)`, which adds its parser and
    sets `run=` to a function of the parsed arguments. Modules must not
    import Keras at import time.
    """
    parser = _Parser(prog="keras-mm", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", parser_class=_Parser)
    for info in sorted(pkgutil.iter_modules(commands.__path__),
                       key=lambda m: m.name):
        importlib.import_module(f"{commands.__name__}.{info.name}").register(
            subparsers
        )
    return parser


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            raise UsageError("keras-mm: a command is required "
                             "(try: keras-mm quickstart)")
        if getattr(args, "backend", None):
            if "keras" in sys.modules and (
                os.environ.get("KERAS_BACKEND") != args.backend
            ):
                raise UsageError(
                    "keras-mm: --backend must be chosen before Keras is "
                    "imported; set KERAS_BACKEND instead"
                )
            os.environ["KERAS_BACKEND"] = args.backend
        code = args.run(args)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except (FileNotFoundError, ValueError) as error:
        print(f"error: keras-mm: {error}", file=sys.stderr)
        return USAGE_ERROR
    except MissingDependencyError as error:
        print(f"error: keras-mm: {error}", file=sys.stderr)
        return USAGE_ERROR
    return code or 0


def console_main():
    """The installed `keras-mm` command: restarts itself once with glibc's
    malloc on transparent huge pages (`keras_mm.backend.host_allocator`;
    fewer page faults for XLA's step buffers), then runs `main`."""
    from keras_mm.backend import reexec_with_tuned_allocator

    reexec_with_tuned_allocator()
    sys.exit(main())


if __name__ == "__main__":
    console_main()
