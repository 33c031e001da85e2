"""Train → evaluate → export a small CLIP on the built-in data.

Run: python examples/quickstart.py [--tiny] [--out DIR]
"""

import argparse

import keras_mm.quickstart


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true",
                        help="a seconds-long run (CI)")
    parser.add_argument("--out", default="quickstart_out")
    args = parser.parse_args(argv)
    summary = keras_mm.quickstart.run_quickstart(
        out_dir=args.out, size="tiny" if args.tiny else "full"
    )
    r5 = summary["retrieval"]["image_to_text"]["R@5"]
    print(f"image→text R@5 = {r5:.3f}")
    return summary


if __name__ == "__main__":
    main()
