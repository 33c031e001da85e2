"""Staged training: unimodal pretraining → alignment → fine-tuning.

    python examples/staged_training.py --tiny

Runs the three stages of `keras_mm.demos.staged_recipe` on the built-in
shapes data (the same as `keras-mm train --recipe staged`), each with its own
learning rate and freezing, and prints each stage's metric before and after.
"""

import argparse
import tempfile

from keras_mm.demos.staged_recipe import run_staged


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    out = args.out or tempfile.mkdtemp(prefix="staged_")
    overrides = []
    return run_staged(out, size="tiny" if args.tiny else "small",
                      overrides=overrides)


if __name__ == "__main__":
    main()
