"""Issue 23's point 2: a loaded CLIP fine-tunes (frozen image tower, LoRA
on the text tower), saves, reloads on every backend with its
preprocessing, and passes a checked LiteRT export."""

import os

import keras
import pytest

import hf_clip_fixture as fixture
from cross_backend import check_across_backends
from cross_backend import runs_once

pytest.importorskip("transformers")

EMBED_RAW = """
import glob
def outputs(models, data):
    texts = open(data + "/texts.txt").read().split("\\n")
    images = sorted(glob.glob(data + "/image_*.png"))
    model = models["clip"]
    return {"text": model.embed("text", texts),
            "image": model.embed("image", images)}
"""


def _fine_tuned(folder, images):
    import keras_mm
    from keras_mm.training import enable_lora
    from keras_mm.training.freezing import freeze_tower

    model = keras_mm.models.load_pretrained(folder)
    freeze_tower(model, "image")
    enable_lora(model, rank=2, towers=["text"])
    inputs = {"images": model.preprocessors["image"](images),
              **model.preprocessors["text"](fixture.TEXTS[:3])}
    model.compile(optimizer=keras.optimizers.AdamW(1e-2))
    model.fit(inputs, batch_size=3, epochs=2, verbose=0)
    return model


@pytest.mark.large
@runs_once
def test_fine_tuned_clip_reloads_on_every_backend(tmp_path):
    folder = str(tmp_path / "hf")
    fixture.write_hf_clip(folder)
    data = tmp_path / "saved"
    data.mkdir()
    images = fixture.write_images(str(data))
    (data / "texts.txt").write_text("\n".join(fixture.TEXTS))
    model = _fine_tuned(folder, images)
    model.save(str(data / "clip.keras"))
    expected = {"text": model.embed("text", fixture.TEXTS),
                "image": model.embed("image", images)}
    check_across_backends(data, ["clip"], EMBED_RAW, expected)


@pytest.mark.large
def test_fine_tuned_clip_passes_checked_litert_export(tmp_path):
    from keras_mm.export import export_checked

    folder = str(tmp_path / "hf")
    fixture.write_hf_clip(folder)
    images = fixture.write_images(str(tmp_path), sizes=[(40, 44)] * 6)
    model = _fine_tuned(folder, images[:3])
    path = str(tmp_path / "clip.keras")
    model.save(path)
    captions = ["a photo of a cat", "a red car", "two dogs", "a tree",
                "the sea", "a small house"]
    eval_inputs = {"images": model.preprocessors["image"](images),
                   **model.preprocessors["text"](captions)}
    report = export_checked(path, str(tmp_path / "export"), quantize="none",
                            eval_inputs=eval_inputs, labels=captions,
                            max_r1_drop=0.2, latency_runs=2)
    for modality in ("image", "text"):
        tower = report["towers"][modality]
        assert os.path.getsize(tower["path"]) > 0
        assert tower["cosine_min"] >= 0.9999
