"""`keras-mm`: the command-line entry point.

Arguments are parsed before Keras is imported, so `--backend` can choose the
backend and wrong usage fails at once. Wrong usage prints one line and exits
with status 2. Framework logs and third-party warnings are kept out of the
output unless `--verbose` is given (`keras_mm.cli.quiet`).
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


def version_text():
    """`keras-mm <version>` and the versions of Keras and each installed
    backend (read from the installed packages, nothing imported)."""
    import keras_mm
    from keras_mm.backend import installed

    parts = [f"keras {installed.version('keras') or 'not installed'}"]
    parts += [f"{name} {installed.version(name)}"
              for name in installed.installed_backends()]
    return f"keras-mm {keras_mm.__version__} ({'; '.join(parts)})"


class _Version(argparse.Action):
    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0,
                         default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        print(version_text())
        parser.exit()


def build_parser():
    """One subcommand per module in `keras_mm/cli/commands/`.

    Each module defines `register(subparsers)`, which adds its parser and
    sets `run=` to a function of the parsed arguments. Modules must not
    import Keras at import time.
    """
    parser = _Parser(
        prog="keras-mm",
        description="Multimodal models on Keras 3 (jax, tensorflow, torch): "
        "train, evaluate, export and serve them on your data.",
        epilog="`keras-mm COMMAND --help` describes a command's flags; "
        "`keras-mm doctor` describes this machine.")
    parser.add_argument("--version", action=_Version,
                        help="print the versions of keras-mm, Keras and "
                        "the installed backends, and exit")
    parser.add_argument("-v", "--verbose", dest="show_logs",
                        action="store_true",
                        help="show TensorFlow/absl/CUDA logs and "
                        "third-party warnings (hidden by default)")
    subparsers = parser.add_subparsers(dest="command", parser_class=_Parser,
                                       metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__),
                       key=lambda m: m.name):
        importlib.import_module(f"{commands.__name__}.{info.name}").register(
            subparsers
        )
    return parser


def _prepare(args, console):
    """Picks the backend and quiets the output before the command imports
    anything heavy; in the installed command, a command that runs a model
    also restarts with the tuned allocator (which depends on the backend).
    Returns `(backend, why)`, or None for a command that runs no model."""
    from keras_mm.cli import quiet
    from keras_mm.cli.backend_flag import use_backend

    flag = getattr(args, "backend", None)
    if flag and "keras" in sys.modules and (
        os.environ.get("KERAS_BACKEND") != flag
    ):
        raise UsageError("keras-mm: --backend must be chosen before Keras "
                         "is imported; set KERAS_BACKEND instead")
    # Other commands (and the jobs `launch` starts) keep Keras' own rule.
    uses_backend = getattr(args, "uses_backend", False)
    backend = use_backend(flag) if uses_backend else None
    if not args.show_logs:
        quiet.quiet_environ()
    if console and uses_backend:
        from keras_mm.backend import reexec_with_tuned_allocator

        reexec_with_tuned_allocator()  # Returns only if nothing changes.
    if console and not args.show_logs:
        quiet.filter_native_stderr()
    if not args.show_logs:
        quiet.quiet_python()
    return backend


def main(argv=None, console=False):
    """Runs `keras-mm` with `argv` (default: the process's arguments);
    returns the exit status. `console=True` (the installed command) also
    restarts with the tuned allocator and filters native log lines."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            raise UsageError("keras-mm: a command is required "
                             "(try: keras-mm quickstart, keras-mm doctor)")
        backend = _prepare(args, console)
        if backend is not None:
            from keras_mm.cli.backend_flag import backend_line

            print(backend_line(*backend), flush=True)
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
    """The installed `keras-mm` command: `main`, where a command that runs
    a model restarts itself once, after its backend is chosen, with glibc's
    malloc on transparent huge pages (`keras_mm.backend.host_allocator`;
    fewer page faults for XLA's step buffers)."""
    sys.exit(main(console=True))


if __name__ == "__main__":
    console_main()
