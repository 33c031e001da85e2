"""Held-out and representative inputs from the built-in shapes data."""

import os


def builtin_export_data(model, vocabulary_path, num_eval=500,
                        num_representative=100, seed=0):
    """Inputs for checking and calibrating an export of a quickstart model.

    The splits are the quickstart's (`keras_mm.datasets.splits`):
    calibration samples come from the training split, checks from the
    test split.

    Returns:
        `(eval_inputs, captions, representative_inputs)` where
        `representative_inputs` is `{modality: [batch-1 input dicts]}`.
    """
    from keras_mm.data.text_preprocessor import TextPreprocessor
    from keras_mm.datasets.splits import image_text_split
    from keras_mm.quickstart import model_inputs

    if not os.path.exists(vocabulary_path):
        raise FileNotFoundError(f"No vocabulary at {vocabulary_path}")
    preprocessor = TextPreprocessor.from_vocabulary_file(vocabulary_path)
    image_size = int(model.encoders["image"].input["images"].shape[1])

    def inputs(pairs):
        return model_inputs(pairs, preprocessor)

    test = image_text_split("test", num_eval, image_size, seed)
    train = image_text_split("train", num_representative, image_size, seed)
    train_inputs = inputs(train)
    representative = {
        modality: [
            {k: train_inputs[k][i:i + 1]
             for k in model.encoders[modality].input_keys}
            for i in range(num_representative)
        ]
        for modality in model.modalities
    }
    return inputs(test), test["captions"], representative
