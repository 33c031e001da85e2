"""open_clip model and preprocessing configs <-> keras_mm CLIP arguments.

open_clip describes an architecture as `{"embed_dim", "vision_cfg",
"text_cfg", "quick_gelu"?, ...}` (its `model_configs/*.json`, or the
`model_cfg` of a hub folder's `open_clip_config.json`) and its image
transforms as a `preprocess_cfg`. This module reads both into
`build_clip` arguments and writes them back from a keras_mm CLIP. Only
open_clip's own transformer towers map onto keras_mm's encoders; anything
else is refused with one line naming it and what is supported.
"""

import math

from keras_mm.models.clip.clip_model import OPENAI_MEAN
from keras_mm.models.clip.clip_model import OPENAI_STD
from keras_mm.models.image_preprocessor import ImagePreprocessor
from keras_mm.models.keras_hub_image_preprocessor import pil_images

SUPPORTED_TOWERS = (
    "open_clip's VisionTransformer image tower and TextTransformer text "
    "tower (the CLIP class: ViT-B-32, ViT-B-16, ViT-L-14 and their "
    "-quickgelu / OpenAI / LAION variants)")
TEXT_POOLING = ("argmax", "eos", "last", "first")
# open_clip's defaults (`CLIPVisionCfg`, `CLIPTextCfg`, `PreprocessCfg`).
VISION_DEFAULTS = dict(layers=12, width=768, head_width=64, mlp_ratio=4.0,
                       patch_size=16, image_size=224)
TEXT_DEFAULTS = dict(context_length=77, vocab_size=49408, width=512,
                     heads=8, layers=12, mlp_ratio=4.0)
# Options of open_clip's custom attention block, which keras_mm lacks.
CUSTOM_BLOCK = ("qk_norm", "scaled_cosine_attn", "scale_heads",
                "scale_attn_inner", "scale_attn", "scale_fc")
# Other fields change nothing keras_mm computes and are read past:
# `output_tokens` (what open_clip returns besides the embedding),
# `patch_dropout` (training only), `init_logit_scale` (the checkpoint
# holds the scale).


def _refuse(source, what):
    raise ValueError(f"{source}: {what} is not supported; supported: "
                     f"{SUPPORTED_TOWERS}")


def _square(value, name, source):
    if isinstance(value, (list, tuple)):
        if len(set(value)) != 1:
            _refuse(source, f"a non-square {name} {list(value)}")
        value = value[0]
    return int(value)


def _common_checks(cfg, tower, source):
    if cfg.get("ls_init_value") is not None:
        _refuse(source, f"layer scale in the {tower} tower (ls_init_value="
                        f"{cfg['ls_init_value']})")
    if cfg.get("block_type") not in (None, "default") or any(
            cfg.get(k) for k in CUSTOM_BLOCK):
        _refuse(source, f"open_clip's custom attention block in the {tower} "
                        "tower (block_type/qk_norm/scale_*)")
    if cfg.get("act_kwargs"):
        _refuse(source, f"act_kwargs {cfg['act_kwargs']} in the {tower} "
                        "tower")
    norm = dict(cfg.get("norm_kwargs") or {})
    epsilon = norm.pop("eps", 1e-5)
    if norm:
        _refuse(source, f"norm_kwargs {sorted(norm)} in the {tower} tower")
    return epsilon


def _mlp(width, ratio):
    return int(width * ratio)


def vision_kwargs(cfg, activation, source):
    """`VisionTransformerEncoder` arguments from a `vision_cfg`."""
    if cfg.get("timm_model_name"):
        _refuse(source, f"the timm image tower {cfg['timm_model_name']!r}")
    if isinstance(cfg.get("layers"), (list, tuple)):
        _refuse(source, "a ModifiedResNet image tower (RN50-style layers "
                        f"{list(cfg['layers'])})")
    if cfg.get("attentional_pool"):
        _refuse(source, "the attentional pooler image head")
    if cfg.get("pool_type", "tok") != "tok":
        _refuse(source, f"image pool_type {cfg['pool_type']!r} (keras_mm "
                        "pools the class token, 'tok')")
    if cfg.get("pos_embed_type", "learnable") not in ("learnable",
                                                      "sin_cos_2d"):
        _refuse(source, f"pos_embed_type {cfg['pos_embed_type']!r}")
    epsilon = _common_checks(cfg, "image", source)
    cfg = {**VISION_DEFAULTS, **cfg}
    width = cfg["width"]
    # `final_ln_after_pool` needs nothing: a layer norm is per token, so
    # with class-token pooling its order against pooling does not matter.
    return dict(
        image_size=_square(cfg["image_size"], "image_size", source),
        patch_size=_square(cfg["patch_size"], "patch_size", source),
        hidden_dim=width, num_layers=cfg["layers"],
        num_heads=width // cfg["head_width"],
        intermediate_dim=_mlp(width, cfg["mlp_ratio"]),
        activation=activation, layer_norm_epsilon=epsilon,
        pre_norm=not cfg.get("no_ln_pre", False))


def text_kwargs(cfg, activation, source):
    """`TextTransformerEncoder` arguments, the text pooling open_clip uses
    and the text projection variant, from a `text_cfg`."""
    if cfg.get("hf_model_name"):
        _refuse(source, f"the Hugging Face text tower "
                        f"{cfg['hf_model_name']!r}")
    if cfg.get("embed_cls"):
        _refuse(source, "a text class embedding (embed_cls, CoCa)")
    epsilon = _common_checks(cfg, "text", source)
    pool = cfg.get("pool_type", "argmax")
    if pool not in TEXT_POOLING:
        _refuse(source, f"text pool_type {pool!r} (keras_mm pools one of "
                        f"{', '.join(TEXT_POOLING)})")
    causal = not cfg.get("no_causal_mask", False)
    if pool in ("argmax", "eos") and not causal:
        # keras_mm's padding mask would both pick the end token and hide
        # the padding, which open_clip's bidirectional tower attends to.
        _refuse(source, f"text pool_type {pool!r} with no_causal_mask")
    proj_type = cfg.get("proj_type", "linear")
    if proj_type not in ("linear", "none"):
        _refuse(source, f"text proj_type {proj_type!r}")
    cfg = {**TEXT_DEFAULTS, **cfg}
    width = cfg["width"]
    projection = ("identity" if proj_type == "none" else
                  "linear_bias" if cfg.get("proj_bias") else "linear")
    return dict(
        vocabulary_size=cfg["vocab_size"],
        sequence_length=cfg["context_length"], hidden_dim=width,
        num_layers=cfg["layers"], num_heads=cfg["heads"],
        intermediate_dim=_mlp(width, cfg["mlp_ratio"]),
        activation=activation, layer_norm_epsilon=epsilon, causal=causal,
        pooling="cls" if pool == "first" else "eot"), pool, projection


def clip_kwargs_from_open_clip(model_cfg, source):
    """`build_clip` arguments from an open_clip model config.

    Returns `(kwargs, text_pool_type)`; the pool type decides how the
    tokenizer marks padding (`text_preprocessor_kwargs`).
    """
    for key in ("vision_cfg", "text_cfg", "embed_dim"):
        if key not in model_cfg:
            raise ValueError(f"{source}: not an open_clip model config (no "
                             f"{key!r})")
    if model_cfg.get("custom_text") or "multimodal_cfg" in model_cfg:
        _refuse(source, "CustomTextCLIP / CoCa (custom_text, "
                        "multimodal_cfg)")
    text_cfg = model_cfg["text_cfg"]
    if text_cfg.get("hf_tokenizer_name"):
        _refuse(source, f"the Hugging Face tokenizer "
                        f"{text_cfg['hf_tokenizer_name']!r}")
    tokenizer_kwargs = dict(text_cfg.get("tokenizer_kwargs") or {})
    if tokenizer_kwargs.pop("clean", "lower") != "lower" or tokenizer_kwargs:
        _refuse(source, f"tokenizer_kwargs {text_cfg['tokenizer_kwargs']}")
    activation = "quick_gelu" if model_cfg.get("quick_gelu") else "gelu"
    text, pool, projection = text_kwargs(text_cfg, activation, source)
    loss = "clip" if model_cfg.get("init_logit_bias") is None else "siglip"
    return dict(
        vision=vision_kwargs(model_cfg["vision_cfg"], activation, source),
        text=text, projection_dim=model_cfg["embed_dim"],
        projection={"image": "linear", "text": projection}, loss=loss,
    ), pool


def text_preprocessor_kwargs(pool):
    """`CLIPTextPreprocessor` options that reproduce open_clip's ids and
    attention for a text `pool_type`.

    open_clip pads with 0 and has no padding mask. Pooling the end token
    under a causal mask, padding never reaches it, so keras_mm may mask
    it; pooling the last (or first) position, the pads are attended as
    tokens, so the mask must cover them too.
    """
    return dict(pad_value=0, mask_padding=pool in ("argmax", "eos"))


def image_preprocessor(preprocess_cfg, image_size, source):
    """`(ImagePreprocessor, mean, std)` from a `preprocess_cfg` (open_clip's
    defaults, OpenAI's statistics, where absent)."""
    cfg = dict(preprocess_cfg or {})
    mode = cfg.get("resize_mode", "shortest")
    interpolation = cfg.get("interpolation", "bicubic")
    # open_clip runs "random" interpolation as bicubic at inference.
    resample = "bilinear" if interpolation == "bilinear" else "bicubic"
    if interpolation not in ("bicubic", "bilinear", "random"):
        raise ValueError(f"{source}: image interpolation {interpolation!r} "
                         "is not supported; supported: bicubic, bilinear")
    if mode == "shortest":
        # torchvision's Resize(int) + CenterCrop, which rounds the margin.
        images = ImagePreprocessor(image_size, image_size, resample,
                                   crop_rounding="round")
    elif mode == "squash":
        images = ImagePreprocessor((image_size, image_size), None, resample)
    else:
        raise ValueError(f"{source}: image resize_mode {mode!r} is not "
                         "supported; supported: shortest, squash")
    mean, std = cfg.get("mean", OPENAI_MEAN), cfg.get("std", OPENAI_STD)
    mean = [float(m) for m in (mean if isinstance(mean, (list, tuple))
                               else (mean,) * 3)]
    std = [float(s) for s in (std if isinstance(std, (list, tuple))
                              else (std,) * 3)]
    return images, mean, std


def _not_writable(what):
    raise ValueError(f"This model cannot be written as open_clip: {what}")


def _ratio(encoder):
    ratio = encoder.intermediate_dim / encoder.hidden_dim
    if _mlp(encoder.hidden_dim, ratio) != encoder.intermediate_dim:
        _not_writable(f"MLP width {encoder.intermediate_dim} is no "
                      f"mlp_ratio of width {encoder.hidden_dim}")
    return ratio


def _norm_kwargs(encoder):
    epsilon = encoder.layer_norm_epsilon
    return {} if math.isclose(epsilon, 1e-5) else {
        "norm_kwargs": {"eps": epsilon}}


def open_clip_config_from_model(model):
    """`{"model_cfg", "preprocess_cfg"}` of a keras_mm CLIP
    (`ContrastiveModel` with `"image"` and `"text"` transformer towers)."""
    from keras_mm.models.clip.text_transformer_encoder import (
        TextTransformerEncoder,
    )
    from keras_mm.models.vit.vision_transformer_encoder import (
        VisionTransformerEncoder,
    )

    image, text = model.encoders.get("image"), model.encoders.get("text")
    if not (isinstance(image, VisionTransformerEncoder)
            and isinstance(text, TextTransformerEncoder)
            and len(model.encoders) == 2):
        _not_writable("open_clip's CLIP needs exactly a "
                      "VisionTransformerEncoder 'image' tower and a "
                      "TextTransformerEncoder 'text' tower")
    activations = {image.activation, text.activation}
    if len(activations) != 1 or not activations <= {"gelu", "quick_gelu"}:
        _not_writable(f"activations {sorted(activations)} (open_clip uses "
                      "one, gelu or quick_gelu, in both towers)")
    if image.patch_bias or image.pooling != "cls":
        _not_writable("open_clip's ViT has a bias-free patch projection "
                      "and pools the class token")
    if image.num_heads * (image.hidden_dim // image.num_heads) \
            != image.hidden_dim:
        _not_writable(f"image width {image.hidden_dim} is not a multiple "
                      f"of its {image.num_heads} heads")
    variants = {m: model.projections[m].variant for m in ("image", "text")}
    if variants["image"] != "linear" or variants["text"] not in (
            "linear", "linear_bias", "identity"):
        _not_writable(f"projections {variants} (open_clip: a linear image "
                      "projection; a linear text one, with or without "
                      "bias, or none)")
    text_preprocess = model.preprocessors.get("text")
    mask_padding = getattr(text_preprocess, "mask_padding", True)
    if text.pooling == "cls":
        pool = "first"
    elif text.pooling == "eot" and not mask_padding:
        pool = "last"
    elif text.pooling == "eot" and text.causal:
        pool = "argmax"
    else:
        _not_writable(f"text pooling {text.pooling!r} with "
                      f"causal={text.causal}")
    vision_cfg = dict(
        image_size=image.image_size, layers=image.num_layers,
        width=image.hidden_dim, head_width=image.hidden_dim // image.num_heads,
        mlp_ratio=_ratio(image), patch_size=image.patch_size,
        **_norm_kwargs(image))
    if not image.pre_norm:
        vision_cfg["no_ln_pre"] = True
    text_cfg = dict(
        context_length=text.sequence_length, vocab_size=text.vocabulary_size,
        width=text.hidden_dim, heads=text.num_heads, layers=text.num_layers,
        mlp_ratio=_ratio(text), pool_type=pool, **_norm_kwargs(text))
    if not text.causal:
        text_cfg["no_causal_mask"] = True
    if variants["text"] == "linear_bias":
        text_cfg["proj_bias"] = True
    elif variants["text"] == "identity":
        text_cfg["proj_type"] = "none"
    model_cfg = dict(embed_dim=model.projection_dim, vision_cfg=vision_cfg,
                     text_cfg=text_cfg)
    if image.activation == "quick_gelu":
        model_cfg["quick_gelu"] = True
    if model.logit_scale.use_bias:
        model_cfg["init_logit_bias"] = float(
            model.logit_scale.bias.numpy())
    return {"model_cfg": model_cfg,
            "preprocess_cfg": _preprocess_cfg(model, image)}


def _preprocess_cfg(model, image):
    if image.image_mean is None:
        # keras_mm's default [0, 255] -> [-1, 1] is this mean/std.
        mean, std = [0.5] * 3, [0.5] * 3
    else:
        mean, std = list(image.image_mean), list(image.image_std)
    cfg = {"size": image.image_size, "mean": mean, "std": std,
           "interpolation": "bicubic", "resize_mode": "shortest"}
    images = model.preprocessors.get("image")
    if images is None:
        return cfg
    images = pil_images(images)
    if images.resample not in ("bicubic", "bilinear"):
        _not_writable(f"image resample {images.resample!r} (open_clip: "
                      "bicubic or bilinear)")
    cfg["interpolation"] = images.resample
    square, size = image.image_size, images.size
    if size == square and images.crop_size == square:
        # (A Hugging Face crop puts an odd margin's extra pixel the other
        # way from torchvision: at most a one-pixel shift.)
        cfg["resize_mode"] = "shortest"
    elif not isinstance(size, int) and tuple(size) == (square, square) \
            and not images.crop_size:
        cfg["resize_mode"] = "squash"
    else:
        _not_writable(f"image preprocessing size={images.size}, crop="
                      f"{images.crop_size} (open_clip resizes to the model's "
                      f"{square} and centre-crops, or squashes to it)")
    return cfg
