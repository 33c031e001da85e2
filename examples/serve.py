"""Serve a keras_mm model over HTTP and query it: embed, search, metrics.

    python examples/serve.py --tiny            # untrained demo model, seconds
    python examples/serve.py                   # trains the tiny quickstart
    python examples/serve.py --model quickstart_out

The same server runs from the command line:

    keras-mm serve --model quickstart_out --index builtin --port 8000
"""

import argparse
import base64
import os
import tempfile

import httpx

import keras_mm.serving.app as serving_app
import keras_mm.serving.server as serving_server
from keras_mm.datasets.shapes import make_image_text_pairs
from keras_mm.demos.search_data import builtin_index_source
from keras_mm.serving.preprocessing import encode_png


def get_model_dir(args):
    if args.model:
        return args.model
    out_dir = tempfile.mkdtemp(prefix="keras_mm_serve_")
    if args.tiny:
        from keras_mm.demos.demo_model import make_demo_model_dir

        return make_demo_model_dir(out_dir)
    from keras_mm.quickstart import run_quickstart

    run_quickstart(out_dir, size="tiny", verbose=0)
    return out_dir


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a quickstart output folder")
    parser.add_argument("--tiny", action="store_true",
                        help="an untrained demo model (runs in seconds)")
    parser.add_argument("--runtime", choices=("keras", "litert"),
                        default="keras")
    args = parser.parse_args(argv)

    model_dir = get_model_dir(args)
    service = serving_server.load_service(
        model_dir, runtime=args.runtime,
        index=builtin_index_source(model_dir),
        buckets=(1, 8) if args.tiny else (1, 8, 32),
    )
    state = "loaded" if service.index_loaded else "built and saved"
    print(f"index {state} ({len(service.index)} images) in "
          f"{os.path.join(model_dir, 'serve_index')}")
    pairs = make_image_text_pairs(2, seed=7)
    png = base64.b64encode(encode_png(pairs["images"][0])).decode()

    app = serving_app.build_app(service)
    with serving_server.ServerThread(app) as server, httpx.Client(
        base_url=server.url, timeout=60
    ) as client:
        print(f"serving on {server.url}:", client.get("/healthz").json())
        r = client.post("/embed/text", json={"texts": pairs["captions"]})
        print(f"/embed/text: {len(r.json()['embeddings'])} embeddings of "
              f"dim {r.json()['dim']}")
        r = client.post("/embed/image", json={"images": [png]})
        print(f"/embed/image: dim {r.json()['dim']}")

        query = pairs["captions"][0]
        r = client.post("/search", json={"text": query, "k": 3})
        print(f"/search text {query!r}:")
        for hit in r.json()["results"]:
            print(f"  {hit['rank']}. {hit['image']} ({hit['score']:.3f}) "
                  f"{hit['caption']}")
        r = client.post("/search", json={"image": png, "k": 3})
        print(f"/search image (true caption {query!r}):")
        for hit in r.json()["results"]:
            print(f"  {hit['rank']}. ({hit['score']:.3f}) {hit['caption']}")

        r = client.post("/embed/text", json={"text": ""})
        print(f"empty text → {r.status_code}: {r.json()['error']}")
        stats = client.get("/metrics?format=json").json()["cache"]
        print(f"cache: {stats['hits']} hits, {stats['misses']} misses")
    service.close()
    return 0


if __name__ == "__main__":
    main()
