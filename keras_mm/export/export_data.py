"""Calibration and check inputs for an export, from the user's own pairs.

The pairs go through the model's own preprocessors (a pretrained start or
a `RUN/model.keras` carries them; a quickstart model gets its `vocab.txt`
tokenizer and a plain resize), at the sequence length and image size of the
model's towers, so that the INT8 calibration and the parity checks see what
the served model will see.
"""

import numpy as np

# Below this many pairs there is nothing to check retrieval against.
MIN_CHECK_PAIRS = 2


def tower_input_shapes(model):
    """`{modality: {input_key: shape without batch}}` of `model`'s towers."""
    return {
        m: {k: tuple(model.encoders[m].input[k].shape[1:])
            for k in model.encoders[m].input_keys}
        for m in model.modalities
    }


def text_sequence_length(model):
    """The text tower's `token_ids` length (None without a text tower)."""
    if "text" not in model.modalities:
        return None
    return int(model.encoders["text"].input["token_ids"].shape[1])


def model_preprocessors(model, vocabulary=None):
    """Each modality's preprocessor: the model's own, else built.

    A model without its own text preprocessor (a quickstart model) gets a
    WordPiece `TextPreprocessor` from `vocabulary` (a `vocab.txt`) at the
    text tower's sequence length; one without an image preprocessor gets a
    bilinear resize to the image tower's size (what the quickstart and the
    server did).

    Args:
        model: a `ContrastiveModel`.
        vocabulary: str or None. A `vocab.txt`, used only when the model
            has no text preprocessor of its own.

    Returns:
        `{modality: preprocessor}` for every modality of `model`.

    Raises:
        ValueError: a preprocessor's sequence length differs from the text
            tower's, or a modality has no way to be preprocessed.

    Example:
    ```python
    model = keras_mm.load_model("run/model.keras")
    preprocessors = model_preprocessors(model)
    preprocessors["text"](["a red circle"])["token_ids"].shape  # (1, L)
    ```
    """
    own = dict(getattr(model, "preprocessors", None) or {})
    shapes = tower_input_shapes(model)
    length = text_sequence_length(model)
    result = {}
    for modality in model.modalities:
        if modality in own:
            result[modality] = own[modality]
        elif modality == "text":
            if vocabulary is None:
                raise ValueError(
                    "The model has no text preprocessor of its own; give "
                    "its vocab.txt (--vocab)")
            from keras_mm.data.text_preprocessor import TextPreprocessor

            result[modality] = TextPreprocessor.from_vocabulary_file(
                vocabulary, sequence_length=length)
        elif modality == "image":
            from keras_mm.models.image_preprocessor import ImagePreprocessor

            height, width = shapes["image"]["images"][:2]
            result[modality] = ImagePreprocessor(
                (int(height), int(width)), resample="bilinear")
        else:
            raise ValueError(
                f"The model has no {modality} preprocessor of its own; "
                f"save it with one (model.preprocessors[{modality!r}])")
    text = result.get("text")
    own_length = getattr(text, "sequence_length", None)
    if text is not None and own_length not in (None, length):
        raise ValueError(
            f"The model's text preprocessor packs {own_length} tokens but "
            f"its text tower takes {length}")
    return result


def preprocess_pairs(pairs, preprocessors, model, report=None,
                     batch_size=64):
    """Model inputs of `pairs`, skipping media that fail to decode.

    Args:
        pairs: list of `keras_mm.data.Pair`.
        preprocessors: `{modality: preprocessor}` (`model_preprocessors`).
        model: the `ContrastiveModel` (a text tower and one media tower).
        report: optional `keras_mm.data.ErrorReport`; a skipped pair is
            counted there (else the error is raised).
        batch_size: int. Texts tokenised per call.

    Returns:
        `(inputs, captions)`: a dict holding every tower's input keys,
        and the caption of each kept pair.
    """
    from keras_mm.data.errors import DataError
    from keras_mm.data.model_dataset import media_loader

    media_modality = next(m for m in model.modalities if m != "text")
    # Decodes paths, encoded bytes (shards) and audio at the model's rate.
    load = media_loader(media_modality, preprocessors[media_modality])
    media_keys = model.encoders[media_modality].input_keys
    rows, captions = [], []
    for pair in pairs:
        try:
            outputs = load(pair.media)
        except Exception as error:  # PIL and decoders raise many types.
            data_error = error if isinstance(error, DataError) else DataError(
                pair.source or str(pair.media), None,
                f"cannot read {media_modality} "
                f"({type(error).__name__}: {error})", kind="undecodable")
            if report is None:
                raise data_error from None
            report.add(data_error)
            continue
        if None in outputs:  # A bare array: the encoder's one input.
            (key,) = media_keys
            outputs = {key: outputs[None]}
        rows.append(outputs)
        captions.append(pair.text)
    if not rows:
        return None, []
    inputs = {key: np.stack([row[key] for row in rows]) for key in media_keys}
    text_rows = [preprocessors["text"](captions[i:i + batch_size])
                 for i in range(0, len(captions), batch_size)]
    for key in ("token_ids", "padding_mask"):
        inputs[key] = np.concatenate([np.asarray(r[key]) for r in text_rows])
    inputs["token_ids"] = inputs["token_ids"].astype(np.int32)
    inputs["padding_mask"] = inputs["padding_mask"].astype(bool)
    return inputs, captions


def split_pairs(pairs, num_representative, num_eval, seed=0):
    """A seeded shuffle split into a calibration and a check part.

    Manifests are often sorted (by class, by source), so the parts are
    drawn from a permutation. The check part gets `num_eval` pairs, or half
    of a smaller manifest; the calibration part gets up to
    `num_representative` of the rest. The parts never overlap.

    Example:
    ```python
    calibration, check = split_pairs(pairs, 100, 500)
    ```
    """
    order = np.random.default_rng(seed).permutation(len(pairs))
    num_check = min(num_eval, max(MIN_CHECK_PAIRS, len(pairs) // 2))
    check = [pairs[i] for i in order[:num_check]]
    calibration = [pairs[i] for i in
                   order[num_check:num_check + num_representative]]
    return calibration, check


def export_inputs(model, pairs, preprocessors, num_representative=100,
                  num_eval=500, seed=0, report=None, source="the data"):
    """`(eval_inputs, captions, representative_inputs)` from `pairs`.

    What `keras_mm.export.export_checked` takes: held-out inputs and their
    captions for the parity and Recall@K checks, and `{modality: [batch-1
    input dicts]}` calibrating full-integer INT8, drawn from disjoint parts
    of `pairs` (`split_pairs`).

    Example:
    ```python
    pairs = keras_mm.data.read_manifest("pairs.csv", "filepath", "title")
    eval_inputs, captions, representative = export_inputs(
        model, pairs, model_preprocessors(model))
    ```
    """
    if len(pairs) < MIN_CHECK_PAIRS + 1:
        raise ValueError(
            f"{source} has {len(pairs)} usable pairs; an export needs at "
            f"least {MIN_CHECK_PAIRS + 1} ({MIN_CHECK_PAIRS} to check, 1 "
            "to calibrate)")
    calibration, check = split_pairs(pairs, num_representative, num_eval,
                                     seed)
    eval_inputs, captions = preprocess_pairs(check, preprocessors,
                                             model, report)
    calibration_inputs, _ = preprocess_pairs(calibration, preprocessors,
                                             model, report)
    if eval_inputs is None or len(captions) < MIN_CHECK_PAIRS:
        raise ValueError(f"{source}: fewer than {MIN_CHECK_PAIRS} pairs of "
                         "the check part could be read")
    if calibration_inputs is None:
        raise ValueError(f"{source}: no pair of the calibration part could "
                         "be read")
    count = len(next(iter(calibration_inputs.values())))
    representative = {
        m: [{k: calibration_inputs[k][i:i + 1]
             for k in model.encoders[m].input_keys} for i in range(count)]
        for m in model.modalities
    }
    return eval_inputs, captions, representative
