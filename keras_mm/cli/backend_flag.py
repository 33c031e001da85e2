"""The `--backend` flag of every command that runs a model."""

from keras_mm.backend import BACKENDS


def add_backend_flag(parser, help="Keras backend (default: $KERAS_BACKEND)"):
    """Adds `--backend {jax,tensorflow,torch}` to `parser`; `keras_mm.cli
    .main` sets `KERAS_BACKEND` from it before anything imports Keras.

    Example:
    ```python
    add_backend_flag(subparsers.add_parser("embed"))
    ```
    """
    parser.add_argument("--backend", choices=BACKENDS, help=help)
