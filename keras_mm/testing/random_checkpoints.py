"""Small random checkpoints in the formats users bring, to try things
offline (nothing here is pretrained; real checkpoints load the same way)."""


def write_random_clip(folder, image_size=32, patch_size=8, hidden_dim=32,
                      num_layers=2, sequence_length=16, projection_dim=32,
                      to="hf"):
    """A random CLIP with OpenAI's BPE vocabulary, saved as a Hugging Face
    (or open_clip) folder that `keras_mm.models.load_pretrained` and
    transformers read.

    Example:
    ```python
    keras_mm.testing.write_random_clip("tiny_clip/")
    model = keras_mm.models.load_pretrained("tiny_clip/")
    ```
    """
    import keras_mm
    from keras_mm.models.clip import CLIPTextPreprocessor
    from keras_mm.models.clip.clip_model import OPENAI_MEAN
    from keras_mm.models.clip.clip_model import OPENAI_STD

    tower = dict(hidden_dim=hidden_dim, num_layers=num_layers,
                 num_heads=max(1, hidden_dim // 16),
                 activation="quick_gelu")
    model = keras_mm.models.clip.build_clip(
        dict(image_size=image_size, patch_size=patch_size,
             image_mean=OPENAI_MEAN, image_std=OPENAI_STD, **tower),
        dict(vocabulary_size=49408, sequence_length=sequence_length,
             **tower),
        projection_dim=projection_dim,
        preprocessors={
            "text": CLIPTextPreprocessor.from_merges_file(sequence_length),
            "image": keras_mm.models.ImagePreprocessor(image_size,
                                                       image_size)})
    keras_mm.models.save_pretrained(model, folder, to=to)
    return folder
