"""Serve a keras_mm model with Ray Serve: service replicas behind
Ray's proxy, the same HTTP API as `keras-mm serve` (needs the ray-serve
extra: pip install 'keras_mm[ray-serve]').

    python examples/serve_on_ray.py --tiny          # untrained demo model
    python examples/serve_on_ray.py --model RUN/model.keras --replicas 2

The same from the command line (a local Ray cluster is started, or join one
started with `ray start --head` through --ray-address auto):

    keras-mm serve --model RUN/model.keras --engine ray --replicas 2 \\
        --max-replicas 4 --index pairs.csv --port 8000
"""

import argparse
import concurrent.futures
import tempfile

import httpx

from keras_mm.datasets.shapes import make_image_text_pairs
from keras_mm.serving import ray_serve
from keras_mm.serving.server import free_port


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a .keras file or a run folder")
    parser.add_argument("--tiny", action="store_true",
                        help="an untrained demo model")
    parser.add_argument("--replicas", type=int, default=2,
                        help="service replicas (one core each)")
    args = parser.parse_args(argv)
    model = args.model
    if model is None:
        from keras_mm.demos.demo_model import make_demo_model_dir

        model = make_demo_model_dir(tempfile.mkdtemp(prefix="keras_mm_ray_"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config = {"model": model, "buckets": (1, 8, 32), "max_batch_size": 32}
    ray_serve.serve_on_ray(config, port=port, blocking=False,
                           replicas=args.replicas)
    try:
        captions = make_image_text_pairs(16, seed=3)["captions"]
        # Concurrent requests reach a replica together and are batched.
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(lambda text: httpx.post(
                url + "/embed/text", json={"text": text}, timeout=120),
                captions))
        dims = {a.json()["dim"] for a in answers if a.status_code == 200}
        print(f"{sum(a.status_code == 200 for a in answers)} of "
              f"{len(answers)} texts embedded by {args.replicas} "
              f"replicas (dim {dims.pop()})")
        bad = httpx.post(url + "/embed/text", json={"texts": []}, timeout=60)
        print(f"a bad request: {bad.status_code} {bad.json()['error']}")
        print("healthz:", httpx.get(url + "/healthz", timeout=60).json())
    finally:
        from ray import serve

        serve.shutdown()


if __name__ == "__main__":
    main()
