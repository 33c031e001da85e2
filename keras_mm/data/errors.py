"""The one error type of the readers: it names the file, line, reason."""


ON_ERROR = ("raise", "skip")


class DataError(ValueError):
    """A bad record: `path`, `line` (1-based, or None) and `reason`.

    A `ValueError`, so the CLI prints it as one line and exits 2.

    Example:
    ```python
    try:
        keras_mm.data.read_manifest("pairs.csv")
    except keras_mm.data.DataError as e:
        print(e.path, e.line, e.reason)
    ```
    """

    def __init__(self, path, line, reason, kind="invalid"):
        self.path = str(path)
        self.line = line
        self.reason = reason
        self.kind = kind
        where = self.path if line is None else f"{self.path}, line {line}"
        super().__init__(f"{where}: {reason}")


def check_on_error(on_error):
    if on_error not in ON_ERROR:
        raise ValueError(
            f"on_error must be one of {ON_ERROR}. Received: {on_error!r}"
        )
