"""Tiny Hugging Face CLIP folders written by transformers itself.

Every parameter is moved off its initial value (norm gains and biases,
biases, the logit scale), so a dropped bias or a missed transpose shows.
"""

import json
import os

import numpy as np

from keras_mm.models.clip.clip_text_preprocessor import DEFAULT_MERGES
from keras_mm.models.clip.clip_text_preprocessor import _byte_symbols
from reference_weights import perturb  # noqa: F401

TEXTS = ["a photo of a cat", "Two DOGS playing, in the snow!",
         "naïve café 123", "x"]


def write_tiny_vocabulary(folder, num_merges=600):
    """`vocab.json` + `merges.txt` from OpenAI's first merges."""
    import gzip

    with gzip.open(DEFAULT_MERGES, "rt", encoding="utf-8") as f:
        merges = f.read().split("\n")[1:num_merges + 1]
    symbols = list(_byte_symbols())
    vocabulary = symbols + [s + "</w>" for s in symbols]
    vocabulary += ["".join(m.split()) for m in merges]
    vocabulary += ["<|startoftext|>", "<|endoftext|>"]
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "vocab.json"), "w") as f:
        json.dump({t: i for i, t in enumerate(vocabulary)}, f)
    with open(os.path.join(folder, "merges.txt"), "w") as f:
        f.write("#version: 0.2\n" + "\n".join(merges) + "\n")
    return len(vocabulary)


def write_hf_clip(folder, hidden_act="quick_gelu", image_size=32,
                  patch_size=8, sequence_length=16):
    """A tiny `CLIPModel` folder; returns the transformers model."""
    import torch
    from transformers import CLIPConfig
    from transformers import CLIPImageProcessor
    from transformers import CLIPModel
    from transformers import CLIPTokenizer

    vocabulary_size = write_tiny_vocabulary(folder)
    tower = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                 num_attention_heads=2, hidden_act=hidden_act,
                 layer_norm_eps=1e-5)
    config = CLIPConfig(
        text_config=dict(vocab_size=vocabulary_size,
                         max_position_embeddings=sequence_length,
                         eos_token_id=vocabulary_size - 1,
                         bos_token_id=vocabulary_size - 2,
                         pad_token_id=vocabulary_size - 1, **tower),
        vision_config=dict(image_size=image_size, patch_size=patch_size,
                           **tower),
        projection_dim=24, logit_scale_init_value=2.3)
    torch.manual_seed(0)
    model = CLIPModel(config).eval()
    perturb(model)
    model.save_pretrained(folder)
    CLIPTokenizer(os.path.join(folder, "vocab.json"),
                  os.path.join(folder, "merges.txt"),
                  model_max_length=sequence_length).save_pretrained(folder)
    CLIPImageProcessor(size={"shortest_edge": image_size},
                       crop_size={"height": image_size,
                                  "width": image_size}).save_pretrained(folder)
    return model


def write_images(folder, sizes=((40, 52), (32, 32), (61, 37))):
    """PNG files of random pixels, of sizes that need resize and crop."""
    from PIL import Image

    rng = np.random.default_rng(0)
    paths = []
    for i, (height, width) in enumerate(sizes):
        path = os.path.join(folder, f"image_{i}.png")
        pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(path)
        paths.append(path)
    return paths


def reference_clip_embeddings(folder, texts, image_paths):
    """transformers' own text/image embeddings (unit norm) and logits."""
    import torch
    from PIL import Image
    from transformers import CLIPModel
    from transformers import CLIPProcessor

    model = CLIPModel.from_pretrained(folder).eval()
    processor = CLIPProcessor.from_pretrained(folder)
    images = [Image.open(p).convert("RGB") for p in image_paths]
    inputs = processor(text=texts, images=images, return_tensors="pt",
                       padding="max_length", truncation=True)
    with torch.no_grad():
        out = model(**inputs)
    return (out.text_embeds.numpy(), out.image_embeds.numpy(),
            out.logits_per_image.numpy())
