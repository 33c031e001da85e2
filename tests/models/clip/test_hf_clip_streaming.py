"""load_hf_clip reads its tensors lazily; the resized-positions override
still reaches the model."""

import numpy as np
import pytest

import hf_clip_fixture as fixture

pytest.importorskip("transformers")


def test_interpolated_positions_override_the_lazy_tensor(tmp_path):
    import keras

    from keras_mm.checkpoints.tensor_files import read_tensors
    from keras_mm.models.clip import hf_clip
    from keras_mm.models.position_interpolation import resized_positions

    folder = str(tmp_path)
    fixture.write_hf_clip(folder)  # image 32, patch 8: a 4 x 4 grid
    model = hf_clip.load_hf_clip(folder, image_size=48)
    key = "vision_model.embeddings.position_embedding.weight"
    tensors = read_tensors(folder)
    expected = resized_positions(tensors[key], 4, 6, num_prefix_tokens=1)
    patch = model.encoders["image"].get_layer("patch_embedding")
    got = keras.ops.convert_to_numpy(patch.position_embedding)
    np.testing.assert_allclose(got.reshape(expected.shape), expected,
                               atol=1e-6)
    # Every other weight is the checkpoint's (none left at zero init).
    token = model.encoders["text"].get_layer("token_embedding").embeddings
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(token),
        tensors["text_model.embeddings.token_embedding.weight"])
