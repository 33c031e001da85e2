"""Index a collection of images with FAISS, then search it with filters.

Embeds every image of a manifest in resumable shards (rerun the same
command after an interruption: finished shards are skipped), writes the
metadata as Parquet and a FAISS index chosen for the collection's size,
with its recall@10 against exact search. With `--tiny` it first writes a
tiny random CLIP and a few hundred coloured squares, so it runs offline in
seconds; the search then keeps only rows whose `tone` column matches.

    python examples/index_collection.py --model run/model.keras \
        --data photos.csv --out photos_index
    python examples/index_collection.py --tiny
"""

import argparse
import os
import tempfile

import numpy as np


def write_tiny_collection(folder, count):
    """A tiny CLIP and `count` coloured squares in a manifest."""
    from PIL import Image

    import keras_mm

    model = keras_mm.presets.from_preset(
        "clip-tiny", encoders__image__num_layers=1,
        encoders__text__num_layers=1)
    model.save(os.path.join(folder, "model.keras"))
    rng = np.random.default_rng(0)
    lines = ["filepath,title,tone"]
    for i in range(count):
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        tone = "light" if sum(colour) > 384 else "dark"
        Image.new("RGB", (32, 32), colour).save(
            os.path.join(folder, f"{i}.png"))
        lines.append(f"{i}.png,square {i},{tone}")
    with open(os.path.join(folder, "photos.csv"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return os.path.join(folder, "model.keras"), os.path.join(
        folder, "photos.csv")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a .keras file or checkpoint")
    parser.add_argument("--data", help="a manifest, image folder or shards")
    parser.add_argument("--out", help="the index folder")
    parser.add_argument("--tiny", action="store_true",
                        help="index 60 squares with a tiny random CLIP")
    args = parser.parse_args(argv)

    import keras_mm
    from keras_mm.indexing import FaissIndex
    from keras_mm.indexing import build_index
    from keras_mm.indexing.pair_embedding import pair_embed_fn

    model, data = args.model, args.data
    if args.tiny or model is None:
        model, data = write_tiny_collection(tempfile.mkdtemp(),
                                            60 if args.tiny else 300)
    out = args.out or os.path.join(tempfile.mkdtemp(), "index")

    pairs = keras_mm.data.read_pairs(data)
    embedder = keras_mm.inference.Embedder.from_spec(model)
    info = build_index(pairs, pair_embed_fn(embedder, "image"), out,
                       shard_size=25, batch_size=16)
    print(f"indexed {info['count']} images: {info['index_spec']} index, "
          f"recall@10 {info['recall_at_10']:.3f}")

    index = FaissIndex(out)
    query = np.load(os.path.join(out, "embeddings.npy"))[0]
    for where in (None, {"tone": "light"}):
        hits = index.search(query, k=3, where=where)
        names = ", ".join(f"{os.path.basename(h['media'])} ({h['tone']})"
                          for h in hits)
        print(f"nearest to row 0, filter {where}: {names}")
    print(f"same index from the CLI: keras-mm index build --model {model} "
          f"--data {data} --out {out}; serve it with keras-mm serve "
          f"--model {model} --index {out}")
    return info


if __name__ == "__main__":
    main()
