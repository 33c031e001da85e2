"""Counts of skipped records, per reason, reported at the end of each epoch."""

import threading


class ErrorReport:
    """Collects the records skipped under `on_error="skip"`.

    Records dropped while reading (missing file, empty caption…) are counted
    once in `read_counts` and belong to every epoch; records dropped while
    decoding are counted per epoch. At the end of each epoch the pipeline
    calls `end_epoch()`, which appends `{reason: count}` to `epochs` and
    prints one line (`verbose=True`, for a report asked for), only when the
    epoch skipped a record (`verbose="if_skipped"`, the pipelines' own
    report) or never (`verbose=False`).

    Example:
    ```python
    report = keras_mm.data.ErrorReport()
    ds = keras_mm.data.make_dataset(pairs, pre, on_error="skip",
                                    report=report)
    model.fit(ds, epochs=2)
    report.epochs  # [{'missing_file': 1, 'undecodable': 1}, ...]
    ```
    """

    def __init__(self, verbose=True):
        self.verbose = verbose
        self.read_counts = {}
        self.epoch_counts = {}
        self.epochs = []
        self.examples = []  # (kind, message), the first few, for the log.
        self._lock = threading.Lock()

    def add(self, error, at_read=False):
        with self._lock:
            counts = self.read_counts if at_read else self.epoch_counts
            counts[error.kind] = counts.get(error.kind, 0) + 1
            if len(self.examples) < 20:
                self.examples.append((error.kind, str(error)))

    def totals(self):
        with self._lock:
            merged = dict(self.read_counts)
            for k, v in self.epoch_counts.items():
                merged[k] = merged.get(k, 0) + v
            return merged

    def end_epoch(self, cached=False):
        """Closes an epoch: records and prints its counts, returns them.

        With `cached=True` the decoders did not run after the first epoch,
        so the first epoch's decode counts are carried over.
        """
        with self._lock:
            if cached and self.epochs and not self.epoch_counts:
                self.epoch_counts = dict(self._first_decode_counts)
            if not self.epochs:
                self._first_decode_counts = dict(self.epoch_counts)
        counts = self.totals()
        with self._lock:
            self.epochs.append(counts)
            self.epoch_counts = {}
        skipped = sum(counts.values())
        if self.verbose is True or (self.verbose == "if_skipped"
                                    and skipped):
            text = ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))
            print(f"\n[keras_mm.data] epoch {len(self.epochs)}: skipped "
                  f"{skipped} records ({text or 'none'})",
                  flush=True)
        return counts
