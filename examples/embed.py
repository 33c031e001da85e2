"""Embed sentences with a local BERT-family checkpoint, offline.

Points `--checkpoint` at a Hugging Face or sentence-transformers folder
(config.json, model.safetensors, vocab.txt [, modules.json]). With `--tiny`
it first writes a small random sentence-transformers checkpoint, so the
example runs in seconds with no download. It prints the cosine similarity
of every pair of sentences and the equivalent `keras-mm embed` command.

    python examples/embed.py --checkpoint path/to/all-MiniLM-L6-v2
    python examples/embed.py --tiny
"""

import argparse
import os
import tempfile

import numpy as np

SENTENCES = [
    "a small red circle on the left",
    "a large blue square",
    "a red circle",
]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", help="local checkpoint folder")
    parser.add_argument("--tiny", action="store_true",
                        help="write and use a tiny random checkpoint")
    parser.add_argument("--sentence", action="append",
                        help="a sentence (repeatable)")
    args = parser.parse_args(argv)

    import keras_mm

    folder = args.checkpoint
    if args.tiny or folder is None:
        folder = os.path.join(tempfile.mkdtemp(), "tiny_sentence_bert")
        keras_mm.checkpoints.write_random_hf_bert(
            folder, sentence_transformers_pooling="mean", normalize=True,
            hidden_act="gelu",
        )
    checkpoint = keras_mm.checkpoints.load_checkpoint(folder)
    encoder = checkpoint.encoder
    print(f"loaded a {checkpoint.source} checkpoint: {encoder.num_layers} "
          f"layers, width {encoder.hidden_dim}, activation "
          f"{encoder.activation}, pooling {encoder.pooling}, normalize "
          f"{encoder.normalize}")

    sentences = args.sentence or SENTENCES
    embeddings = checkpoint.embed_texts(sentences)
    print(f"embeddings: {embeddings.shape}")
    unit = embeddings / np.linalg.norm(embeddings, axis=-1, keepdims=True)
    similarity = unit @ unit.T
    for i, sentence in enumerate(sentences):
        row = " ".join(f"{similarity[i, j]:+.3f}"
                       for j in range(len(sentences)))
        print(f"{row}  {sentence}")
    quoted = " ".join(f'--text "{s}"' for s in sentences)
    print(f"same rows from the CLI: keras-mm embed --model {folder} "
          f"{quoted} --out emb.npy")
    return embeddings


if __name__ == "__main__":
    main()
