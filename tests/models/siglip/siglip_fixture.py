"""Tiny SigLIP checkpoints written by transformers and keras-hub themselves.

Every parameter is moved off its initial value (norm gains and biases,
biases, the probe, the logit scale and bias), so a dropped bias or a
missed transpose shows.
"""

import io
import os

import numpy as np
from reference_weights import perturb  # noqa: F401

TEXTS = ["a photo of a cat", "Two DOGS playing, in the snow!",
         "naïve café 123", "x"]
CORPUS = ["a photo of a cat", "two dogs playing in the snow",
          "naive cafe 123", "the quick brown fox jumps over the lazy dog",
          "a picture of a bird on a tree", "an image of cars on a street"]
IMAGE_SIZE = 32
SEQUENCE_LENGTH = 16


def train_sentencepiece():
    """A tiny SentencePiece model with SigLIP's special pieces: `<pad>` 0,
    `</s>` 1 (end and padding), `<unk>` 2, no `<s>`. Returns its bytes."""
    import sentencepiece

    proto = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS * 20), model_writer=proto,
        vocab_size=200, hard_vocab_limit=False, model_type="unigram",
        character_coverage=1.0, pad_id=0, eos_id=1, unk_id=2, bos_id=-1,
        pad_piece="<pad>", eos_piece="</s>", unk_piece="<unk>",
        minloglevel=2)
    return proto.getvalue()


def write_hf_siglip(folder):
    """A tiny `SiglipModel` folder; returns the transformers model."""
    import torch
    from transformers import SiglipConfig
    from transformers import SiglipImageProcessor
    from transformers import SiglipModel
    from transformers import SiglipTokenizer

    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "spiece.model"), "wb") as f:
        f.write(train_sentencepiece())
    tokenizer = SiglipTokenizer(os.path.join(folder, "spiece.model"),
                                model_max_length=SEQUENCE_LENGTH)
    tower = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                 num_attention_heads=2, hidden_act="gelu_pytorch_tanh",
                 layer_norm_eps=1e-6)
    config = SiglipConfig(
        text_config=dict(vocab_size=tokenizer.vocab_size,
                         max_position_embeddings=SEQUENCE_LENGTH,
                         pad_token_id=1, eos_token_id=1, **tower),
        vision_config=dict(image_size=IMAGE_SIZE, patch_size=8, **tower))
    torch.manual_seed(0)
    model = SiglipModel(config).eval()
    perturb(model)
    with torch.no_grad():
        model.logit_scale.fill_(2.0)
        model.logit_bias.fill_(-3.0)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    SiglipImageProcessor(
        size={"height": IMAGE_SIZE, "width": IMAGE_SIZE}, resample=2,
        image_mean=[0.5, 0.5, 0.5],
        image_std=[0.5, 0.5, 0.5]).save_pretrained(folder)
    return model


def write_images(folder, sizes=((40, 52), (32, 32), (61, 37))):
    """PNG files of random pixels, of sizes that need a resize."""
    from PIL import Image

    rng = np.random.default_rng(0)
    paths = []
    for i, (height, width) in enumerate(sizes):
        path = os.path.join(folder, f"image_{i}.png")
        pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(path)
        paths.append(path)
    return paths


def reference_hf_siglip(folder, texts, image_paths):
    """transformers' own unit-norm text/image embeddings and
    `logits_per_image`, from its own processor.

    SigLIP runs without an attention mask (as it was trained and as the
    model card shows): the tokenizer's `attention_mask` is not passed.
    """
    import torch
    from PIL import Image
    from transformers import AutoImageProcessor
    from transformers import AutoTokenizer
    from transformers import SiglipModel

    model = SiglipModel.from_pretrained(folder).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    processor = AutoImageProcessor.from_pretrained(folder)
    images = [Image.open(p).convert("RGB") for p in image_paths]
    token_ids = tokenizer(texts, padding="max_length", truncation=True,
                          return_tensors="pt")["input_ids"]
    pixels = processor(images=images, return_tensors="pt")["pixel_values"]
    with torch.no_grad():
        out = model(input_ids=token_ids, pixel_values=pixels)
    return dict(text=out.text_embeds.numpy(), image=out.image_embeds.numpy(),
                logits=out.logits_per_image.numpy(),
                token_ids=token_ids.numpy(), pixels=pixels.numpy(),
                text_hidden=out.text_model_output.last_hidden_state.numpy(),
                image_hidden=(
                    out.vision_model_output.last_hidden_state.numpy()))


def write_keras_hub_siglip(folder):
    """A tiny keras-hub SigLIP preset (backbone, tokenizer, preprocessor)
    written with `save_to_preset`; every weight perturbed."""
    import keras
    import keras_hub

    tokenizer = keras_hub.models.SigLIPTokenizer(proto=train_sentencepiece())
    tower = dict(hidden_dim=32, num_layers=2, num_heads=2,
                 intermediate_dim=64)
    vision = keras_hub.models.SigLIPVisionEncoder(
        patch_size=8, image_shape=(IMAGE_SIZE, IMAGE_SIZE, 3), **tower)
    text = keras_hub.models.SigLIPTextEncoder(
        vocabulary_size=tokenizer.vocabulary_size(), embedding_dim=32,
        max_sequence_length=SEQUENCE_LENGTH, **tower)
    backbone = keras_hub.models.SigLIPBackbone(vision, text)
    rng = np.random.default_rng(0)
    for variable in backbone.weights:
        if "float" in str(variable.dtype):
            value = keras.ops.convert_to_numpy(variable)
            variable.assign(value + rng.normal(size=value.shape).astype(
                "float32") * 0.05)
    backbone.siglip_head.logit_scale.assign(2.0)
    backbone.siglip_head.logit_bias.assign(-3.0)
    converter = keras_hub.layers.SigLIPImageConverter(
        image_size=(IMAGE_SIZE, IMAGE_SIZE), scale=1 / 127.5, offset=-1.0,
        interpolation="bilinear")
    preprocessor = keras_hub.models.SigLIPPreprocessor(
        tokenizer, converter, sequence_length=SEQUENCE_LENGTH)
    backbone.save_to_preset(folder)
    preprocessor.save_to_preset(folder)


def reference_keras_hub_siglip(folder, texts, image_paths):
    """keras-hub's own unit-norm text/image embeddings and image-by-text
    logits, from its own preprocessor."""
    import keras
    import keras_hub
    from PIL import Image

    backbone = keras_hub.models.SigLIPBackbone.from_preset(folder)
    preprocessor = keras_hub.models.SigLIPPreprocessor.from_preset(folder)
    token_ids = preprocessor({
        "prompts": texts,
        "images": np.zeros((len(texts), IMAGE_SIZE, IMAGE_SIZE, 3)),
    })["token_ids"]
    # Decoded as keras.utils.img_to_array gives them (float32): a uint8
    # array would come out of keras' Resizing rounded back to uint8.
    pixels = np.concatenate([
        keras.ops.convert_to_numpy(preprocessor.image_converter(
            np.asarray(Image.open(p).convert("RGB"), np.float32)[None]))
        for p in image_paths])

    def unit(x):
        x = keras.ops.convert_to_numpy(x)
        return x / np.linalg.norm(x, axis=-1, keepdims=True)

    text = backbone.get_text_embeddings(token_ids)
    image = backbone.get_vision_embeddings(pixels)
    # The backbone's own head (one call needs as many images as texts).
    vision_logits, _ = backbone.siglip_head(image, text)
    return (unit(text), unit(image),
            keras.ops.convert_to_numpy(vision_logits),
            keras.ops.convert_to_numpy(token_ids))
