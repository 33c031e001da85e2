"""Embed images with the backend's fastest call, and time it.

Builds (or loads with `--model`) a CLIP, wraps its image tower in
`keras_mm.inference.CompiledPredictor`, checks it against
`predict_on_batch`, and prints the per-call latency of both at batch 1
and 32.

    python examples/fast_inference.py --model quickstart_out/model.keras
    python examples/fast_inference.py --tiny
"""

import argparse
import time

import numpy as np


def _latency_ms(fn, inputs, calls):
    fn(inputs)  # compile / warm up
    start = time.perf_counter()
    for _ in range(calls):
        fn(inputs)
    return (time.perf_counter() - start) / calls * 1000


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a saved ContrastiveModel .keras")
    parser.add_argument("--tiny", action="store_true",
                        help="a tiny random model and few calls")
    parser.add_argument("--calls", type=int, default=50)
    args = parser.parse_args(argv)

    import keras_mm
    from keras_mm.models.clip.quickstart_clip import (
        build_quickstart_clip as build_model,
    )

    if args.model:
        model = keras_mm.load_model(args.model, compile=False)
    else:
        model = build_model(
            64, 16 if args.tiny else 64, 1 if args.tiny else 2, 2,
            projection_dim=16 if args.tiny else 64)
    calls = 3 if args.tiny else args.calls
    tower = model.tower("image")
    embed = keras_mm.inference.CompiledPredictor(tower)
    size = tower.input["images"].shape[1]
    rng = np.random.default_rng(0)
    report = {}
    for batch in (1, 32):
        images = {"images": rng.uniform(0, 255, (batch, size, size, 3))
                  .astype("float32")}
        gap = np.abs(embed(images) - np.asarray(
            tower.predict_on_batch(images))).max()
        report[batch] = {
            "compiled_ms": _latency_ms(embed, images, calls),
            "predict_on_batch_ms": _latency_ms(tower.predict_on_batch,
                                               images, calls),
            "max_abs_diff": float(gap),
        }
        r = report[batch]
        print(f"batch {batch:2d}: CompiledPredictor {r['compiled_ms']:.2f} ms"
              f", predict_on_batch {r['predict_on_batch_ms']:.2f} ms, "
              f"max |diff| {gap:.1e}")
    return report


if __name__ == "__main__":
    main()
