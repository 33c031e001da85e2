"""`report.html`: the numbers and every figure embedded, nothing remote."""

import base64
import io

from PIL import Image

from keras_mm.evaluation.report_html import write_report_html


def _png(path):
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def test_report_html_embeds_every_figure(tmp_path):
    pngs = {name: _png(tmp_path / f"{name}.png")
            for name in ("retrieval_image_to_text", "training_curves")}
    report = {
        "backend": "jax", "model": "run/model.keras",
        "data": {"name": "val.csv", "pairs": 8, "distinct_captions": 6},
        "retrieval": {"image_to_text": {"R@1": 0.25, "R@5": 0.75},
                      "text_to_image": {"R@1": 0.5, "R@5": 1.0}},
        "zero_shot": {"data": "val.csv", "top1": 0.5, "top5": 1.0},
        "caption_by_retrieval": {"bleu": {"bleu_1": 0.4},
                                 "rouge": {"rougeL": {"f1": 0.3}}},
        "figures": {name: f"{name}.png" for name in pngs},
        "notes": ["a <note>"],
    }
    path = write_report_html(str(tmp_path / "report.html"), report,
                             str(tmp_path))
    with open(path, encoding="utf-8") as f:
        page = f.read()
    for data in pngs.values():
        assert base64.b64encode(data).decode() in page
    assert page.count("<img") == 2
    assert "http" not in page and "<script" not in page
    assert "0.7500" in page and "Zero-shot" in page and "rougeL F1" in page
    assert "a &lt;note&gt;" in page
