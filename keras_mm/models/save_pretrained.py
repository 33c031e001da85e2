"""The way back: a keras_mm model written in another library's format."""

TARGETS = ("hf", "open_clip")


def _writers():
    # (target, loss) -> writer; families add theirs here.
    from keras_mm.models.clip import hf_clip_writer

    writers = {("hf", "clip"): hf_clip_writer.save_hf_clip}
    try:
        from keras_mm.models.clip import open_clip_writer
    except ImportError:
        pass
    else:
        writers[("open_clip", "clip")] = open_clip_writer.save_open_clip
    try:
        from keras_mm.models.siglip import hf_siglip_writer
    except ImportError:
        pass
    else:
        writers[("hf", "siglip")] = hf_siglip_writer.save_hf_siglip
    return writers


def save_pretrained(model, folder, to="hf"):
    """Writes a CLIP or SigLIP `ContrastiveModel` as a Hugging Face folder
    (`to="hf"`) or an open_clip folder (`to="open_clip"`) that the
    reference library loads with the same outputs.

    Example:
    ```python
    model = keras_mm.load_model("finetuned.keras")
    keras_mm.models.save_pretrained(model, "finetuned_hf/", to="hf")
    ```
    """
    if to not in TARGETS:
        raise ValueError(f"to must be one of {TARGETS}. Received: {to!r}")
    loss = getattr(model, "loss_name", None)
    writer = _writers().get((to, loss))
    if writer is None:
        supported = ", ".join(f"{t} ({m})" for t, m in _writers())
        raise ValueError(
            f"No {to} writer for a {type(model).__name__} with loss "
            f"{loss!r}; supported: {supported}")
    return writer(model, folder)
