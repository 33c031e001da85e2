"""A keras_mm CLIP written back as a Hugging Face `CLIPModel` folder."""

import json
import os

from keras_mm.models import weight_mapping as wm
from keras_mm.models.clip.hf_clip import hf_clip_entries
from keras_mm.models.atomic_folder import atomic_folder
from keras_mm.models.keras_hub_image_preprocessor import pil_images

# keras_mm's activation names -> Hugging Face's `hidden_act`.
HF_ACTIVATIONS = {"quick_gelu": "quick_gelu", "gelu": "gelu",
                  "gelu_tanh": "gelu_pytorch_tanh", "relu": "relu"}


def hf_tower_config(encoder):
    """A keras_mm transformer tower's sizes as Hugging Face config keys."""
    return {
        "hidden_size": encoder.hidden_dim,
        "intermediate_size": encoder.intermediate_dim,
        "num_hidden_layers": encoder.num_layers,
        "num_attention_heads": encoder.num_heads,
        "hidden_act": HF_ACTIVATIONS[encoder.activation],
        "layer_norm_eps": encoder.layer_norm_epsilon,
    }


def hf_clip_config(model):
    """`config.json` of a keras_mm CLIP `ContrastiveModel`."""
    image, text = model.encoders["image"], model.encoders["text"]
    tokenizer = model.preprocessors["text"].tokenizer
    return {
        "architectures": ["CLIPModel"],
        "model_type": "clip",
        "projection_dim": model.projection_dim,
        "logit_scale_init_value": float(
            model.logit_scale.log_scale.numpy()),
        "vision_config": {
            **hf_tower_config(image), "image_size": image.image_size,
            "patch_size": image.patch_size, "num_channels": 3,
            "projection_dim": model.projection_dim,
        },
        "text_config": {
            **hf_tower_config(text), "vocab_size": text.vocabulary_size,
            "max_position_embeddings": text.sequence_length,
            "projection_dim": model.projection_dim,
            "bos_token_id": tokenizer.start_token_id,
            "eos_token_id": tokenizer.end_token_id,
            "pad_token_id": tokenizer.end_token_id,
        },
    }


def _check_convertible(model):
    image, text = model.encoders["image"], model.encoders["text"]
    problems = []
    if getattr(image, "image_mean", None) is None:
        problems.append("the image encoder has no image_mean/image_std")
    if not (getattr(image, "pre_norm", False) and not image.patch_bias):
        problems.append("the image encoder is not CLIP's (pre_norm, no "
                        "patch bias)")
    if not (text.causal and text.pooling == "eot"):
        problems.append("the text encoder is not CLIP's (causal, eot)")
    if model.projection != "linear":
        problems.append("the projections are not CLIP's linear ones")
    if "text" not in model.preprocessors or "image" not in (
            model.preprocessors):
        problems.append("the model has no text and image preprocessors")
    else:
        try:
            pil_images(model.preprocessors["image"])
        except ValueError as e:
            problems.append(str(e))
    if problems:
        raise ValueError("Only a CLIP-shaped ContrastiveModel saves as a "
                         "Hugging Face CLIP folder: " + "; ".join(problems))


def save_hf_clip(model, folder):
    """Writes `model` as a folder transformers' `CLIPModel` and
    `CLIPProcessor` load (`from_pretrained`), on any Keras backend.

    The folder is written beside its final place and renamed into it, so
    a failed write never replaces a good folder.

    Example:
    ```python
    model = keras_mm.models.load_pretrained("clip_folder/")
    model.fit(...)
    keras_mm.models.clip.save_hf_clip(model, "clip_finetuned/")
    ```
    """
    _check_convertible(model)
    text_preprocessor = model.preprocessors["text"]
    images = pil_images(model.preprocessors["image"])
    image = model.encoders["image"]
    tokenizer = text_preprocessor.tokenizer
    with atomic_folder(folder) as tmp:
        write_weights(tmp, hf_clip_entries(model))
        write_json(os.path.join(tmp, "config.json"), hf_clip_config(model))
        write_json(os.path.join(tmp, "vocab.json"),
                    dict(tokenizer.vocabulary))
        with open(os.path.join(tmp, "merges.txt"), "w",
                  encoding="utf-8") as f:
            f.write("#version: 0.2\n" + "\n".join(tokenizer.merges) + "\n")
        write_json(os.path.join(tmp, "tokenizer_config.json"), {
            "tokenizer_class": "CLIPTokenizer",
            "model_max_length": text_preprocessor.sequence_length,
            "bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>",
            "pad_token": "<|endoftext|>", "unk_token": "<|endoftext|>",
        })
        size = images.size
        write_json(os.path.join(tmp, "preprocessor_config.json"), {
            "image_processor_type": "CLIPImageProcessor",
            "do_resize": True,
            "size": ({"shortest_edge": size} if isinstance(size, int)
                     else {"height": size[0], "width": size[1]}),
            "resample": {"nearest": 0, "lanczos": 1, "bilinear": 2,
                         "bicubic": 3}[images.resample],
            "do_center_crop": bool(images.crop_size),
            "crop_size": {"height": images.crop_size or image.image_size,
                          "width": images.crop_size or image.image_size},
            **normalization_config(image),
        })
    return folder


def write_weights(folder, entries):
    """`entries` as the `model.safetensors` transformers reads."""
    from safetensors.numpy import save_file

    save_file(wm.export(entries), os.path.join(folder, "model.safetensors"),
              metadata={"format": "pt"})


def normalization_config(image_encoder):
    """An image processor's rescale/normalise keys that give
    `image_encoder`'s inputs (its `image_mean`/`image_std`)."""
    return {"do_rescale": True, "rescale_factor": 1 / 255,
            "do_normalize": True, "do_convert_rgb": True,
            "image_mean": list(image_encoder.image_mean),
            "image_std": list(image_encoder.image_std)}


def write_json(path, value):
    """`value` as an indented JSON file."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2)
