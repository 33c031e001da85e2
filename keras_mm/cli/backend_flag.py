"""The `--backend` flag of every command that runs a model, and the
backend a command runs on when no flag or `KERAS_BACKEND` says."""

import os
import sys

from keras_mm.backend import BACKENDS
from keras_mm.backend import installed

# Set beside KERAS_BACKEND when the command line chose the backend itself,
# so the restarted process (and its children) can say so.
CHOSEN_ENV = "KERAS_MM_DEFAULT_BACKEND"


def add_backend_flag(parser, help="Keras backend (default: "
                     "$KERAS_BACKEND, else the fastest installed: torch, "
                     "then jax, then tensorflow)"):
    """Adds `--backend {jax,tensorflow,torch}` to `parser`; `keras_mm.cli
    .main` sets `KERAS_BACKEND` from it before anything imports Keras.

    Example:
    ```python
    add_backend_flag(subparsers.add_parser("embed"))
    ```
    """
    parser.add_argument("--backend", choices=BACKENDS, help=help)
    parser.set_defaults(uses_backend=True)


def choose_backend(flag=None, environ=None):
    """`(backend, why)`: `--backend`, else `$KERAS_BACKEND`, else the
    fastest installed backend (`keras_mm.backend.installed`). Keras' own
    rule (keras.json, else tensorflow) is the Python API's; the command
    line ignores keras.json, which Keras writes itself on first use.

    Example:
    ```python
    choose_backend(None, {})  # ('torch', 'the fastest installed; ...')
    ```
    """
    environ = os.environ if environ is None else environ
    fastest = ("the fastest installed; pick another with --backend or "
               "KERAS_BACKEND")
    if flag:
        return flag, "--backend"
    if "keras" in sys.modules:
        from keras_mm import backend

        return backend.name(), "Keras was already loaded"
    chosen = environ.get("KERAS_BACKEND")
    if chosen:
        if environ.get(CHOSEN_ENV) == chosen:
            return chosen, fastest
        return chosen, "KERAS_BACKEND"
    return installed.fastest_installed(), fastest


def use_backend(flag=None, environ=None):
    """Sets `KERAS_BACKEND` in `environ` (default: this process's) to
    `choose_backend`'s pick; returns `(backend, why)`."""
    environ = os.environ if environ is None else environ
    name, why = choose_backend(flag, environ)
    if not environ.get("KERAS_BACKEND") or flag:
        if why != "--backend":
            environ[CHOSEN_ENV] = name
        environ["KERAS_BACKEND"] = name
    return name, why


def backend_line(name, why):
    """The first line of a command that runs a model: the backend, why it
    was picked, and the device it runs on."""
    from keras_mm.cli.host_info import cpu_info

    device = installed.expected_device(name)
    if device == "cpu":
        cpu = cpu_info()
        device = f"cpu ({cpu['model']}, {cpu['cores']} cores)"
    return f"[keras-mm] backend {name} ({why}) on {device}"
