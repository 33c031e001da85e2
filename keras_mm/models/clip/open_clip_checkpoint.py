"""open_clip checkpoints: read into a keras_mm CLIP, and written back.

Two layouts load:
- a hub folder: `open_clip_config.json` (`{"model_cfg", "preprocess_cfg"}`)
  with `open_clip_model.safetensors` or `open_clip_pytorch_model.bin`;
- a training run: `epoch_N.pt` as open_clip's trainer saves it
  (`{"epoch", "state_dict": {"module.…"}}`), or a bare state dict
  (`.pt`, `.bin`, `.safetensors`), with the model-config JSON it was
  trained with (open_clip's `model_configs` format) beside it or named by
  `model_config=`. The path is the file or its folder (the latest epoch).

open_clip folders carry no tokenizer: OpenAI's BPE, shipped with keras_mm,
is used unless `tokenizer=` names another merges file.
"""

import glob
import json
import os
import re

from keras_mm.checkpoints.lazy_tensors import load_torch_file
from keras_mm.models import weight_mapping as wm
from keras_mm.models.weight_mapping import block_entries
from keras_mm.models.clip.clip_model import build_clip
from keras_mm.models.clip.clip_text_preprocessor import DEFAULT_MERGES
from keras_mm.models.clip.clip_text_preprocessor import CLIPTextPreprocessor
from keras_mm.models.clip.open_clip_config import clip_kwargs_from_open_clip
from keras_mm.models.clip.open_clip_config import image_preprocessor
from keras_mm.models.clip.open_clip_config import open_clip_config_from_model
from keras_mm.models.clip.open_clip_config import text_preprocessor_kwargs
from keras_mm.models.hf_folder import read_json

HUB_CONFIG = "open_clip_config.json"
HUB_WEIGHTS = "open_clip_model.safetensors"
# open_clip's own preference among a folder's weight files.
HUB_WEIGHT_FILES = (HUB_WEIGHTS, "open_clip_pytorch_model.safetensors",
                    "open_clip_pytorch_model.bin",
                    "open_clip_pytorch_model.pth")
RUN_SUFFIXES = (".pt", ".pth", ".bin", ".safetensors")
OPEN_CLIP_BLOCK_NAMES = {
    "qkv": "attn.in_proj", "out": "attn.out_proj",
    "norm1": "ln_1", "norm2": "ln_2", "fc1": "mlp.c_fc", "fc2": "mlp.c_proj",
}


def _model_config_of(path):
    """`(model_cfg, preprocess_cfg)` if `path` is an open_clip model config
    (`model_configs` format or `open_clip_config.json`), else `None`."""
    try:
        config = read_json(path)
    except (OSError, ValueError):
        return None
    if not isinstance(config, dict):
        return None
    if isinstance(config.get("model_cfg"), dict):
        return config["model_cfg"], config.get("preprocess_cfg")
    if "vision_cfg" in config and "text_cfg" in config:
        return config, None
    return None


def _configs_beside(folder):
    found = [p for p in sorted(glob.glob(os.path.join(folder, "*.json")))
             if _model_config_of(p) is not None]
    return found


def _latest_epoch(folder):
    latest = os.path.join(folder, "epoch_latest.pt")
    if os.path.isfile(latest):
        return latest
    epochs = [(int(m.group(1)), p) for p in glob.glob(
        os.path.join(folder, "epoch_*.pt"))
        if (m := re.fullmatch(r"epoch_(\d+)\.pt", os.path.basename(p)))]
    return max(epochs)[1] if epochs else None


def is_open_clip_hub_folder(path):
    """Whether `path` is a folder with an `open_clip_config.json`."""
    return os.path.isdir(path) and os.path.isfile(
        os.path.join(path, HUB_CONFIG))


def is_open_clip_training_checkpoint(path):
    """Whether `path` is laid out as an open_clip training checkpoint
    (cheap: at most small JSON files are read): a `.pt`/`.pth` file, a
    folder of `epoch_N.pt`, or a `.bin`/`.safetensors` file with an
    open_clip model config beside it. Loading names what is wrong with
    one that does not load."""
    if os.path.isdir(path):
        return (not is_open_clip_hub_folder(path)
                and _latest_epoch(path) is not None)
    if not os.path.isfile(path):
        return False
    if path.endswith((".pt", ".pth")):
        return True
    return path.endswith(RUN_SUFFIXES) and bool(
        _configs_beside(os.path.dirname(os.path.abspath(path))))


def resolve(path, model_config=None):
    """`(weights_path, model_cfg, preprocess_cfg, config_path)` of an open_clip
    checkpoint path; raises naming the file that is missing."""
    if os.path.isdir(path):
        hub_config = os.path.join(path, HUB_CONFIG)
        if os.path.isfile(hub_config):
            weights = next((os.path.join(path, n) for n in HUB_WEIGHT_FILES
                            if os.path.isfile(os.path.join(path, n))), None)
            if weights is None:
                raise FileNotFoundError(
                    f"No weights in {path}: expected one of "
                    + ", ".join(HUB_WEIGHT_FILES))
            model_config = model_config or hub_config
        else:
            weights = _latest_epoch(path)
        if weights is None:
            raise FileNotFoundError(
                f"No open_clip checkpoint in {path}: expected {HUB_CONFIG} "
                "with its weights, or epoch_N.pt")
    else:
        if not os.path.isfile(path):
            raise FileNotFoundError(f"No checkpoint at {path}")
        weights = path
    if model_config is None:
        folder = os.path.dirname(os.path.abspath(weights))
        configs = _configs_beside(folder)
        if len(configs) != 1:
            raise FileNotFoundError(
                f"{weights} needs the model-config JSON it was trained with "
                f"(open_clip's model_configs format) beside it in {folder}, "
                "or model_config=PATH; "
                + ("found none" if not configs else
                   "found several: " + ", ".join(
                       os.path.basename(c) for c in configs)))
        model_config = configs[0]
    if not os.path.isfile(model_config):
        raise FileNotFoundError(f"No model config at {model_config}")
    configs = _model_config_of(model_config)
    if configs is None:
        raise ValueError(f"{model_config} is not an open_clip model config "
                         "(expected embed_dim, vision_cfg, text_cfg)")
    return (weights, *configs, model_config)


def can_load_open_clip(path):
    """Whether `load_open_clip(path)` would find its files and accept its
    config (cheap: reads JSON only)."""
    try:
        _, model_cfg, _, config_path = resolve(path)
        clip_kwargs_from_open_clip(model_cfg, config_path)
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return True


def read_state_dict(path):
    """`{name: np.ndarray}` of an open_clip weights file: safetensors, a
    state dict, or a training checkpoint (`"state_dict"`, `module.`
    prefixes from DistributedDataParallel dropped), as open_clip reads it."""

    if path.endswith(".safetensors"):
        from safetensors.numpy import load_file

        tensors = load_file(path)
    else:
        state = load_torch_file(path)
        import torch  # present: load_torch_file needs it

        if isinstance(state, dict) and "state_dict" in state:
            state = state["state_dict"]
        tensors = {name: (value.detach().float().numpy()
                          if value.is_floating_point() else value.numpy())
                   for name, value in state.items()
                   if isinstance(value, torch.Tensor)}
    if tensors and all(n.startswith("module.") for n in tensors):
        tensors = {n[len("module."):]: v for n, v in tensors.items()}
    return {n: v.astype("float32") if v.dtype.kind == "f" else v
            for n, v in tensors.items()}


def open_clip_entries(model):
    """`weight_mapping.Entry`s of a CLIP `ContrastiveModel` under open_clip's
    tensor names (the `CLIP` class's state dict)."""
    image, text = model.encoders["image"], model.encoders["text"]
    patch = image.get_layer("patch_embedding")
    entries = [
        wm.Entry(("visual.conv1.weight",), patch.projection.kernel, "conv"),
        wm.Entry(("visual.class_embedding",), patch.class_token,
                 checkpoint_shape=(image.hidden_dim,)),
        wm.Entry(("visual.positional_embedding",), patch.position_embedding,
                 checkpoint_shape=(patch.num_tokens, image.hidden_dim)),
    ]
    if image.pre_norm:
        entries += wm.layer_norm("visual.ln_pre", image.get_layer("pre_norm"))
    entries += wm.layer_norm("visual.ln_post", image.get_layer("final_norm"))
    # open_clip's projections are `(width, embed)` matrices applied as
    # `x @ proj`: a Keras kernel's layout, so copied, not transposed.
    entries.append(wm.Entry(("visual.proj",),
                            model.projections["image"].output_layer.kernel))
    entries += [
        wm.Entry(("token_embedding.weight",),
                 text.get_layer("token_embedding").embeddings),
        wm.Entry(("positional_embedding",),
                 text.get_layer("position_embedding").embeddings),
        *wm.layer_norm("ln_final", text.get_layer("final_norm")),
    ]
    text_projection = model.projections["text"]
    if text_projection.variant == "linear":
        entries.append(wm.Entry(("text_projection",),
                                text_projection.output_layer.kernel))
    elif text_projection.variant == "linear_bias":
        # `proj_bias`: an `nn.Linear`, stored `(out, in)`.
        entries += wm.dense("text_projection", text_projection.output_layer)
    entries.append(wm.Entry(("logit_scale",), model.logit_scale.log_scale))
    if model.logit_scale.use_bias:
        entries.append(wm.Entry(("logit_bias",), model.logit_scale.bias))
    for prefix, encoder in (("visual.transformer.", image),
                            ("transformer.", text)):
        for i in range(encoder.num_layers):
            entries += block_entries(
                encoder.get_layer(f"block_{i}"), f"{prefix}resblocks.{i}.",
                OPEN_CLIP_BLOCK_NAMES, fused_qkv=True)
    return entries


def load_open_clip(path, model_config=None, tokenizer=None, image_size=None):
    """Builds a CLIP `ContrastiveModel` from a local open_clip checkpoint.

    Args:
        path: str. A hub folder (`open_clip_config.json` + weights), a
            training checkpoint (`epoch_N.pt`, a state dict,
            `.safetensors`) or the folder holding one.
        model_config: optional str. The model-config JSON the checkpoint
            was trained with (open_clip's `model_configs` format, or an
            `open_clip_config.json`), when none sits beside it.
        tokenizer: optional str. A BPE merges file (`.txt` or `.txt.gz`,
            open_clip's format); OpenAI's, shipped with keras_mm, by
            default.
        image_size: optional int. Fine-tune at another resolution: the
            position embeddings are interpolated (bicubic).

    Returns:
        `keras_mm.tasks.ContrastiveModel` with `"text"` and `"image"`
        preprocessors reproducing open_clip's tokenizer and transforms.

    Example:
    ```python
    model = keras_mm.models.clip.load_open_clip("logs/run/checkpoints/",
                                                model_config="ViT-B-32.json")
    model.embed("text", ["a photo of a cat"])
    ```
    """
    from keras_mm.models.clip.clip_model import set_logit_scale
    from keras_mm.models.position_interpolation import resized_positions

    weights, model_cfg, preprocess_cfg, config_path = resolve(
        path, model_config)
    kwargs, pool = clip_kwargs_from_open_clip(model_cfg, config_path)
    vision, text = kwargs["vision"], kwargs["text"]
    merges = tokenizer or DEFAULT_MERGES
    text_preprocessor = CLIPTextPreprocessor.from_merges_file(
        text["sequence_length"], merges, **text_preprocessor_kwargs(pool))
    end_id = text_preprocessor.tokenizer.end_token_id
    if pool == "eos" and model_cfg["text_cfg"].get("eos_id", 2) != end_id:
        raise ValueError(
            f"{config_path}: text pool_type 'eos' with eos_id "
            f"{model_cfg['text_cfg'].get('eos_id', 2)} is not the "
            f"tokenizer's end token ({end_id}); supported: pooling at the "
            "end token (argmax, or eos with its id), last, first")
    vocabulary = text_preprocessor.tokenizer.vocabulary_size()
    if vocabulary > text["vocabulary_size"]:
        raise ValueError(
            f"The tokenizer {merges} has {vocabulary} tokens but the model's "
            f"vocab_size is {text['vocabulary_size']} ({config_path}); pass "
            "the merges file it was trained with as tokenizer=PATH")
    tensors = read_state_dict(weights)
    checkpoint_size = vision["image_size"]
    images, vision["image_mean"], vision["image_std"] = image_preprocessor(
        preprocess_cfg, checkpoint_size, config_path)
    if image_size and image_size != checkpoint_size:
        patch = vision["patch_size"]
        vision["image_size"] = image_size
        if "visual.positional_embedding" in tensors:
            tensors["visual.positional_embedding"] = resized_positions(
                tensors["visual.positional_embedding"],
                checkpoint_size // patch, image_size // patch,
                num_prefix_tokens=1)
        images = type(images).from_config(
            {**images.get_config(),
             "size": image_size if isinstance(images.size, int)
             else (image_size, image_size),
             "crop_size": image_size if images.crop_size else None})
    model = build_clip(**kwargs, name="open_clip",
                       preprocessors={"text": text_preprocessor,
                                      "image": images})
    if "logit_scale" in tensors:
        # Raises the clamp where the checkpoint's scale exceeds it.
        set_logit_scale(model, float(tensors["logit_scale"].reshape(())))
    entries = open_clip_entries(model)
    wm.assign(entries, tensors, source=weights)
    used = {name for entry in entries for name in entry.names}
    unused = sorted(set(tensors) - used)
    if unused:
        raise ValueError(
            f"{weights}: tensor '{unused[0]}' (and {len(unused) - 1} more) "
            f"has no place in the model {config_path} describes")
    return model


def save_open_clip(model, folder):
    """Writes a keras_mm CLIP as an open_clip hub folder.

    `open_clip_config.json` (`model_cfg`, `preprocess_cfg`) and
    `open_clip_model.safetensors`, under the tensor names and shapes of
    open_clip's `CLIP` state dict, so that
    `open_clip.create_model_and_transforms("local-dir:FOLDER")` loads it.
    Works from any backend.

    Example:
    ```python
    model = keras_mm.models.load_pretrained("open_clip_folder/")
    model.fit(...)
    keras_mm.models.clip.save_open_clip(model, "fine_tuned/")
    ```
    """
    from safetensors.numpy import save_file

    config = open_clip_config_from_model(model)
    tensors = wm.export(open_clip_entries(model))
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, HUB_CONFIG), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
    save_file(tensors, os.path.join(folder, HUB_WEIGHTS))
    return folder
