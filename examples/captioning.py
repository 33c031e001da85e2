"""Train an image captioner on the built-in data; greedy and beam decoding.

Run: python examples/captioning.py [--tiny]
"""

import argparse

import keras
import numpy as np
import sacrebleu

import keras_mm
from keras_mm.data.text_preprocessor import RESERVED_TOKENS
from keras_mm.datasets.shapes import caption_vocabulary

SEQUENCE_LENGTH = 24


def detokenize(vocabulary, token_ids):
    """Token ids → text, stopping at `[SEP]` and skipping specials."""
    words = []
    for i in token_ids[1:]:
        token = vocabulary[i]
        if token == "[SEP]":
            break
        if token not in RESERVED_TOKENS:
            words.append(token)
    return " ".join(words)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true",
                        help="a seconds-long run (CI)")
    parser.add_argument("--beams", type=int, default=3)
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(0)
    vocabulary = list(RESERVED_TOKENS) + caption_vocabulary()
    pre = keras_mm.data.TextPreprocessor(vocabulary,
                                         sequence_length=SEQUENCE_LENGTH)

    def split(n, seed):
        pairs = keras_mm.datasets.make_image_text_pairs(n, seed=seed)
        text = pre(pairs["captions"])
        return {"images": pairs["images"].astype("float32"),
                "token_ids": np.asarray(text["token_ids"], "int32"),
                "padding_mask": np.asarray(text["padding_mask"], bool),
                }, pairs["captions"]

    train, _ = split(64 if args.tiny else 4096, seed=1)
    test, references = split(8 if args.tiny else 128, seed=2)
    dim = 32 if args.tiny else 64
    encoder = keras_mm.models.VisionTransformerEncoder(
        32, 8, dim, 1 if args.tiny else 2, 2, name="image_encoder")
    model = keras_mm.tasks.CaptioningModel(
        encoder, len(vocabulary), SEQUENCE_LENGTH, hidden_dim=dim,
        num_layers=1 if args.tiny else 2, num_heads=2)
    model.compile()
    model.fit(train, batch_size=32, epochs=1 if args.tiny else 10,
              verbose=0 if args.tiny else 2)
    scores = model.evaluate(test, verbose=0, return_dict=True)
    print(f"teacher-forced token accuracy: {scores['token_accuracy']:.3f}")
    results = {"token_accuracy": scores["token_accuracy"]}
    for beams in (1, args.beams):
        ids = model.generate(test, num_beams=beams)
        captions = [detokenize(vocabulary, row) for row in ids]
        bleu = sacrebleu.corpus_bleu(captions, [references]).score
        label = "greedy" if beams == 1 else f"beam={beams}"
        print(f"{label:>8}: BLEU {bleu:5.1f} | {captions[0]!r}")
        results[label] = bleu
    print(f"reference: {references[0]!r}")
    return results


if __name__ == "__main__":
    main()
