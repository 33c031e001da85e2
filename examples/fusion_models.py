"""Fusion layers and an ALBEF-style image–text matching model.

Builds the three fusion layers on encoder outputs (cross-attention, a
single-stream fusion encoder, gated fusion with readable per-sample weights),
then trains `ImageTextMatchingModel` (contrastive + matching with in-batch
hard negatives) on the built-in shapes data and reports matching accuracy.

Run: python examples/fusion_models.py [--tiny]
"""

import argparse

import keras
import numpy as np

import keras_mm
from keras_mm.data.text_preprocessor import RESERVED_TOKENS
from keras_mm.datasets.shapes import caption_vocabulary


def make_inputs(pre, n, seed):
    pairs = keras_mm.datasets.make_image_text_pairs(n, image_size=32,
                                                    seed=seed)
    text = pre(pairs["captions"])
    return {"images": pairs["images"].astype("float32"),
            "token_ids": np.asarray(text["token_ids"], "int32"),
            "padding_mask": np.asarray(text["padding_mask"], bool)}


def matching_accuracy(model, data):
    """How often an image's caption out-scores another image's caption."""
    shift = np.roll(np.arange(len(data["images"])), 1)
    negative = {**data, "token_ids": data["token_ids"][shift],
                "padding_mask": data["padding_mask"][shift]}
    keep = ~(data["token_ids"] == negative["token_ids"]).all(-1)
    pos = model.predict(data, verbose=0)["itm_logits"]
    neg = model.predict(negative, verbose=0)["itm_logits"]
    margin = (pos[:, 1] - pos[:, 0]) - (neg[:, 1] - neg[:, 0])
    return float((margin > 0)[keep].mean())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true",
                        help="a seconds-long run (CI)")
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(0)
    pre = keras_mm.data.TextPreprocessor(
        list(RESERVED_TOKENS) + caption_vocabulary(), sequence_length=24)
    train = make_inputs(pre, 64 if args.tiny else 2048, seed=1)
    test = make_inputs(pre, 32 if args.tiny else 256, seed=2)
    dim = 32 if args.tiny else 64
    image_encoder = keras_mm.models.VisionTransformerEncoder(
        32, 8, dim, 1, 2, pooling="mean", name="image_encoder")
    text_encoder = keras_mm.models.TextTransformerEncoder(
        pre.vocabulary_size, 24, dim, 1, 2, causal=False, pooling="mean",
        name="text_encoder")

    # === The three fusion layers on encoder outputs ===
    batch = {k: v[:4] for k, v in test.items()}
    image = image_encoder({"images": batch["images"]})
    text = text_encoder({"token_ids": batch["token_ids"],
                         "padding_mask": batch["padding_mask"]})
    cross = keras_mm.fusion.CrossAttentionFusion(num_heads=2)
    fused_text = cross(text["sequence_output"], image["sequence_output"])
    single_stream = keras_mm.fusion.FusionEncoder(dim, 1, 2)(
        [image["sequence_output"], text["sequence_output"]],
        [None, batch["padding_mask"]])
    gate = keras_mm.fusion.GatedFusion(dim)
    gate([image["pooled_output"], text["pooled_output"]])
    print("cross-attention fused text:", tuple(fused_text.shape))
    print("fusion encoder tokens:     ", tuple(single_stream.shape))
    print("gated fusion weights (image, text):")
    print(np.round(keras.ops.convert_to_numpy(gate.modality_weights), 3))

    # === ALBEF-style matching model ===
    model = keras_mm.tasks.ImageTextMatchingModel(
        {"image": image_encoder, "text": text_encoder}, projection_dim=dim,
        seed=0)
    before = matching_accuracy(model, test)
    model.compile(optimizer=keras.optimizers.AdamW(2e-3, clipnorm=1.0))
    history = model.fit(train, batch_size=16, epochs=1 if args.tiny else 8,
                        verbose=0 if args.tiny else 2)
    after = matching_accuracy(model, test)
    last = {k: round(v[-1], 4) for k, v in history.history.items()}
    print(f"final losses: {last}")
    print(f"matching accuracy: untrained {before:.3f} -> trained {after:.3f}")
    return {"before": before, "after": after, "history": history.history}


if __name__ == "__main__":
    main()
