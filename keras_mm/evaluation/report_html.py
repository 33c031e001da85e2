"""`report.html`: an evaluation's numbers and figures in one page.

Figures are embedded as base64 PNGs and the page has no script and no
external link, so it opens offline and can be mailed as one file.
"""

import base64
import html
import os

TITLES = {
    "retrieval_image_to_text": "Image → text retrieval",
    "retrieval_text_to_image": "Text → image retrieval",
    "attention_maps": "Attention maps",
    "zero_shot_confusion": "Zero-shot confusion matrix",
    "training_curves": "Training curves",
}
STYLE = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;
color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th:first-child,td:first-child{text-align:left}img{max-width:100%;
border:1px solid #eee}figure{margin:0 0 2em}code{background:#f4f4f4}"""


def _table(rows, header):
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row)
        + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _cell(value):
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _retrieval(report):
    retrieval = report.get("retrieval") or {}
    keys = ["R@1", "R@5", "R@10", "median_rank", "mean_rank"]
    rows = [[direction.replace("_", " ")] + [r.get(k, "") for k in keys]
            for direction, r in retrieval.items() if isinstance(r, dict)]
    return "<h2>Retrieval</h2>" + _table(rows, ["direction"] + keys)


def _zero_shot(report):
    zero_shot = report.get("zero_shot")
    if not zero_shot:
        return ""
    keys = ["top1", "top5", "num_classes", "num_images"]
    return "<h2>Zero-shot classification</h2>" + _table(
        [[zero_shot.get("data", "")] + [zero_shot.get(k, "") for k in keys]],
        ["data"] + keys)


def _captioning(report):
    captioning = report.get("caption_by_retrieval")
    if not captioning:
        return ""
    rows = [[k, v] for k, v in captioning.get("bleu", {}).items()]
    rows += [[f"{name} F1", r["f1"]]
             for name, r in captioning.get("rouge", {}).items()]
    return ("<h2>Captioning by retrieval (top-1 caption)</h2>"
            + _table(rows, ["metric", "value"]))


def _figure(out_dir, name, file_name):
    with open(os.path.join(out_dir, file_name), "rb") as f:
        data = base64.b64encode(f.read()).decode("ascii")
    title = html.escape(TITLES.get(name, name.replace("_", " ")))
    return (f'<figure><h2>{title}</h2><img alt="{title}" '
            f'src="data:image/png;base64,{data}"></figure>')


def report_html(report, out_dir):
    """The page of an evaluation `report` (`evaluate_model`'s dict), its
    figures read from `out_dir`."""
    data = report.get("data") or {}
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>keras-mm eval: {html.escape(str(data.get('name')))}</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>keras-mm eval</h1>",
        "<p>model <code>{}</code> on <code>{}</code> ({} pairs, {} distinct "
        "captions), backend {}</p>".format(
            *(html.escape(str(v)) for v in (
                report.get("model"), data.get("name"), data.get("pairs"),
                data.get("distinct_captions"), report.get("backend")))),
        _retrieval(report), _zero_shot(report), _captioning(report),
    ]
    for name, file_name in (report.get("figures") or {}).items():
        parts.append(_figure(out_dir, name, file_name))
    if report.get("notes"):
        parts.append("<h2>Notes</h2><ul>" + "".join(
            f"<li>{html.escape(str(n))}</li>" for n in report["notes"])
            + "</ul>")
    parts.append("<p>The numbers in full: <a href='report.json'>"
                 "report.json</a></p></body></html>")
    return "\n".join(parts)


def write_report_html(path, report, out_dir):
    """Writes `report_html(report, out_dir)` to `path` atomically.

    Example:
    ```python
    report = keras_mm.evaluation.evaluate_model("run", "val.csv", "eval")
    write_report_html("eval/report.html", report, "eval")
    ```
    """
    temporary = f"{path}.tmp"
    with open(temporary, "w", encoding="utf-8") as f:
        f.write(report_html(report, out_dir))
    os.replace(temporary, path)
    return path
