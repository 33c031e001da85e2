"""PNG figures of an evaluation, drawn with matplotlib's Agg canvas.

Figures are built with `matplotlib.figure.Figure` and saved through the Agg
canvas, so no GUI backend or pyplot global state is involved.
"""

import textwrap

import numpy as np

from keras_mm.dependency_error import MissingDependencyError

CORRECT, WRONG = "#1a9850", "#d73027"


def _figure(width, height):
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        raise MissingDependencyError(
            "Figures need matplotlib: pip install matplotlib"
        ) from error
    figure = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(figure)
    return figure


def _save(figure, path):
    figure.savefig(path, dpi=100, bbox_inches="tight", facecolor="white")
    return path


def _show_image(ax, image, frame=None):
    ax.imshow(np.asarray(image, "uint8"), interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if frame:
        for spine in ax.spines.values():
            spine.set_edgecolor(frame)
            spine.set_linewidth(4)


def plot_image_to_text(path, images, captions, ranking, correct,
                       num_queries=4):
    """Query images with their top-5 retrieved captions, marked ✓ / ✗.

    Args:
        path: output PNG path.
        images: `(N, H, W, 3)` uint8.
        captions: list of N candidate captions.
        ranking: `(Q, ≥5)` caption indices, best first, for queries 0..Q-1.
        correct: `(Q, ≥5)` bools, whether each retrieved caption matches.
    """
    count = min(num_queries, len(ranking))
    figure = _figure(9, 1.7 * count)
    for row in range(count):
        ax = figure.add_subplot(count, 4, 4 * row + 1)
        _show_image(ax, images[row])
        ax.set_title(f"query {row}", fontsize=8)
        text_ax = figure.add_subplot(count, 4, (4 * row + 2, 4 * row + 4))
        text_ax.axis("off")
        for i, index in enumerate(ranking[row][:5]):
            ok = bool(correct[row][i])
            line = textwrap.shorten(captions[index], 90, placeholder="…")
            text_ax.text(0.0, 0.9 - 0.2 * i,
                         f"{i + 1}. {'✓' if ok else '✗'} {line}",
                         color=CORRECT if ok else WRONG, fontsize=8,
                         transform=text_ax.transAxes, va="center")
    figure.suptitle("image → text: top-5 captions", fontsize=10, y=1.02)
    return _save(figure, path)


def plot_text_to_image(path, images, captions, ranking, correct,
                       num_queries=4):
    """Query captions with their top-5 images, framed green when correct."""
    count = min(num_queries, len(ranking))
    figure = _figure(8, 2.0 * count)
    for row in range(count):
        for i, index in enumerate(ranking[row][:5]):
            ax = figure.add_subplot(count, 5, 5 * row + i + 1)
            _show_image(ax, images[index],
                        CORRECT if correct[row][i] else WRONG)
            if i == 0:
                ax.set_title(textwrap.shorten(captions[row], 80,
                                              placeholder="…"),
                             fontsize=8, loc="left")
    figure.suptitle("text → image: top-5 images (green = correct)",
                    fontsize=10, y=1.02)
    return _save(figure, path)


def plot_attention_maps(path, images, heatmaps, titles=None):
    """Each image next to its attention map overlaid on it."""
    count = len(images)
    figure = _figure(2.0 * count, 4.2)
    for i in range(count):
        image = np.asarray(images[i], "uint8")
        size = image.shape[0]
        top = figure.add_subplot(2, count, i + 1)
        _show_image(top, image)
        if titles:
            top.set_title(textwrap.shorten(titles[i], 30, placeholder="…"),
                          fontsize=7)
        bottom = figure.add_subplot(2, count, count + i + 1)
        _show_image(bottom, image)
        heat = np.asarray(heatmaps[i], "float32")
        heat = (heat - heat.min()) / max(float(np.ptp(heat)), 1e-12)
        bottom.imshow(heat, cmap="jet", alpha=0.5, interpolation="bilinear",
                      extent=(-0.5, size - 0.5, size - 0.5, -0.5))
    figure.suptitle("attention of the last image block", fontsize=10, y=1.02)
    return _save(figure, path)


def plot_confusion_matrix(path, matrix, class_names, title=None):
    """A confusion matrix (rows: true class, columns: predicted)."""
    matrix = np.asarray(matrix)
    size = max(4.0, 0.28 * len(class_names) + 2.0)
    figure = _figure(size + 1.0, size)
    ax = figure.add_subplot(1, 1, 1)
    shown = ax.imshow(matrix, cmap="Blues", interpolation="nearest")
    figure.colorbar(shown, ax=ax, fraction=0.046, pad=0.04)
    ticks = np.arange(len(class_names))
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    ax.set_xticklabels(class_names, rotation=90, fontsize=7)
    ax.set_yticklabels(class_names, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if len(class_names) <= 30:
        for (r, c), value in np.ndenumerate(matrix):
            if value:
                ax.text(c, r, str(value), ha="center", va="center",
                        fontsize=6, color="black")
    ax.set_title(title or "zero-shot confusion matrix", fontsize=10, y=1.02)
    return _save(figure, path)


def plot_training_curves(path, logs):
    """One panel per metric, with its `val_` twin on the same axes."""
    x_key = "epoch" if "epoch" in logs else "step"
    names = [k for k in logs if k not in ("epoch", "step")
             and not k.startswith("val_")]
    names += [k[4:] for k in logs if k.startswith("val_")
              and k[4:] not in names]
    if not names:
        raise ValueError("The training log has no metric columns.")
    columns = min(3, len(names))
    rows = -(-len(names) // columns)
    figure = _figure(4.0 * columns, 3.0 * rows)
    for i, name in enumerate(names):
        ax = figure.add_subplot(rows, columns, i + 1)
        for key, style in ((name, "-o"), (f"val_{name}", "--s")):
            if key in logs:
                x = logs[x_key][:len(logs[key])]
                ax.plot(x, logs[key], style, markersize=3, label=key)
        ax.set_xlabel(x_key)
        ax.set_title(name, fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    figure.suptitle("training curves", fontsize=10, y=1.02)
    return _save(figure, path)
