"""Two (or more) loaded towers joined into one contrastive model."""

MODALITIES = ("image", "text", "audio")


def _encoder_and_preprocessor(modality, tower):
    """A tower (anything with `.encoder`, e.g. `PretrainedTower` or the
    BERT loaders' `LoadedCheckpoint`) or a bare encoder."""
    encoder = getattr(tower, "encoder", None)
    if encoder is None:
        return tower, None
    own = getattr(tower, "modality", modality)
    if own != modality:
        raise ValueError(f"The {modality} tower holds modality {own!r} "
                         f"(from {getattr(tower, 'path', '?')})")
    return encoder, getattr(tower, "preprocessor", None)


def dual_encoder(image=None, text=None, audio=None, projection_dim=256,
                 loss="clip", projection="linear", name="dual_encoder",
                 **kwargs):
    """A `ContrastiveModel` over loaded towers, with new projection heads.

    As transformers' `VisionTextDualEncoder` and LiT compose pretrained
    towers: each tower's pooled output gets a fresh projection into the
    shared space, and each tower's preprocessor (tokenizer, image or audio
    preprocessing) goes into the model's `preprocessors`, so `embed` takes
    raw inputs and a `.keras` file carries them. Freeze a tower with
    `model.encoders["image"].trainable = False` (LiT's locked image tower).

    Args:
        image, text, audio: a tower from `keras_mm.models.load_pretrained`
            (or `keras_mm.checkpoints.load_checkpoint`), or a bare keras_mm
            encoder; at least two.
        projection_dim: int. Width of the shared space.
        loss: str. `"clip"` or `"siglip"`.
        projection: str. `"linear"`, `"mlp"`, `"linear_bias"` or
            `"identity"`; or a dict giving one per modality.
        **kwargs: passed to `ContrastiveModel` (e.g. `label_smoothing`).

    Example:
    ```python
    model = keras_mm.models.dual_encoder(
        image=keras_mm.models.load_pretrained("vit-base-patch16-224/"),
        text=keras_mm.models.load_pretrained("all-distilroberta-v1/"),
        projection_dim=256, loss="siglip")
    model.encoders["image"].trainable = False
    model.compile()
    ```
    """
    from keras_mm.tasks.contrastive_model import ContrastiveModel

    towers = {m: t for m, t in zip(MODALITIES, (image, text, audio))
              if t is not None}
    if len(towers) < 2:
        raise ValueError("dual_encoder needs at least two of image, text, "
                         f"audio. Received: {sorted(towers)}")
    encoders, preprocessors = {}, {}
    for modality, tower in towers.items():
        encoders[modality], preprocessor = _encoder_and_preprocessor(
            modality, tower)
        if preprocessor is not None:
            preprocessors[modality] = preprocessor
    return ContrastiveModel(encoders, projection_dim=projection_dim,
                            projection=projection, loss=loss,
                            preprocessors=preprocessors, name=name, **kwargs)
