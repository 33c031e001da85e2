"""`examples/from_pretrained.py --tiny` runs end to end."""

import os


def test_from_pretrained_tiny(load_example):
    import keras_mm

    result = load_example("from_pretrained").main(["--tiny", "--epochs",
                                                   "3"])
    assert result["loss"][-1] < result["loss"][0]
    out = result["out"]
    model = keras_mm.load_model(os.path.join(out, "model.keras"))
    assert "text" in model.preprocessors and "image" in model.preprocessors
    reloaded = keras_mm.models.load_pretrained(os.path.join(out, "hf"))
    texts = ["a red picture", "a blue picture"]
    assert abs(reloaded.embed("text", texts)
               - model.embed("text", texts)).max() < 1e-4
