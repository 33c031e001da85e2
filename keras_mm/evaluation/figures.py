"""PNG figures of an evaluation, drawn with matplotlib's Agg canvas.

Figures are built with `matplotlib.figure.Figure` and saved through the Agg
canvas, so no GUI backend or pyplot global state is involved.
"""

import textwrap

import numpy as np

from keras_mm.dependency_error import MissingDependencyError

CORRECT, WRONG, TRUE = "#1a9850", "#d73027", "#2c3e50"


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
    # `path` may be a binary file object (e.g. for a TensorBoard image).
    figure.savefig(path, dpi=100, bbox_inches="tight", facecolor="white",
                   format="png")
    return path


def _show_image(ax, image, frame=None):
    ax.imshow(np.asarray(image, "uint8"), interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if frame:
        for spine in ax.spines.values():
            spine.set_edgecolor(frame)
            spine.set_linewidth(4)


def _wrapped(text, width=70, lines=2):
    return textwrap.fill(textwrap.shorten(" ".join(str(text).split()),
                                          width * lines, placeholder="…"),
                         width)


def distinct_top(ranking, correct, captions, count=5):
    """The first `count` entries of one query's `ranking` whose captions
    read differently (case and spacing folded), with their correctness:
    `[(caption index, correct), ...]`."""
    shown, seen = [], set()
    for index, ok in zip(ranking, correct):
        key = " ".join(str(captions[index]).split()).casefold()
        if key in seen:
            continue
        seen.add(key)
        shown.append((int(index), bool(ok)))
        if len(shown) == count:
            break
    return shown


def plot_image_to_text(path, images, captions, ranking, correct,
                       num_queries=4, true_captions=None):
    """Query images with their top-5 distinct captions, marked ✓ / ✗, and
    the true caption under a query none of the five matches.

    Args:
        path: output PNG path (or a binary file object).
        images: `(N, H, W, 3)` uint8.
        captions: list of N candidate captions.
        ranking: `(Q, ≥5)` caption indices, best first, for queries
            0..Q-1; longer rankings leave room to skip repeated captions.
        correct: `(Q, ≥5)` bools, whether each retrieved caption matches.
        true_captions: optional list of the Q queries' own captions.
    """
    count = min(num_queries, len(ranking))
    figure = _figure(10, 2.3 * count)
    for row in range(count):
        ax = figure.add_subplot(count, 4, 4 * row + 1)
        _show_image(ax, images[row])
        ax.set_title(f"query {row + 1}", fontsize=8)
        text_ax = figure.add_subplot(count, 4, (4 * row + 2, 4 * row + 4))
        text_ax.axis("off")
        shown = distinct_top(ranking[row], correct[row], captions)
        lines = []
        for i, (index, ok) in enumerate(shown):
            mark = "✓" if ok else "✗"
            lines.append((f"{i + 1}. {mark} {_wrapped(captions[index])}",
                          CORRECT if ok else WRONG))
        if true_captions is not None and not any(ok for _, ok in shown):
            lines.append((f"true: {_wrapped(true_captions[row])}", TRUE))
        for i, (line, color) in enumerate(lines):
            text_ax.text(0.0, 1.0 - i / len(lines), line, color=color,
                         fontsize=7, transform=text_ax.transAxes, va="top")
    figure.suptitle("image → text: top-5 distinct captions (✓ a match; the "
                    "true caption is shown under a miss)", fontsize=10,
                    y=1.02)
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
        shown = bottom.imshow(heat, cmap="jet", alpha=0.5, vmin=0.0,
                              vmax=1.0, interpolation="bilinear",
                              extent=(-0.5, size - 0.5, size - 0.5, -0.5))
    bar = figure.colorbar(shown, ax=figure.axes[1::2], fraction=0.05,
                          pad=0.02)
    bar.solids.set_alpha(1.0)  # the colours, not their blend with the image
    bar.set_label("attention (each map scaled to its range)", fontsize=7)
    bar.ax.tick_params(labelsize=7)
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
    """One panel per metric, with its `val_` twin on the same axes.

    Epochs are counted from 1 (a log numbered from 0, as Keras' `History`
    and `CSVLogger` write it, is shifted); steps are shown as logged.
    """
    x_key = "epoch" if "epoch" in logs else "step"
    x_values = np.asarray(logs[x_key], "float64")
    if x_key == "epoch" and len(x_values) and np.nanmin(x_values) == 0:
        x_values = x_values + 1
    names = [k for k in logs if k not in ("epoch", "step")
             and not k.startswith("val_")]
    names += [k[4:] for k in logs if k.startswith("val_")
              and k[4:] not in names]
    if not names:
        raise ValueError("The training log has no metric columns.")
    from matplotlib.ticker import MaxNLocator

    columns = min(3, len(names))
    rows = -(-len(names) // columns)
    figure = _figure(4.0 * columns, 3.0 * rows)
    for i, name in enumerate(names):
        ax = figure.add_subplot(rows, columns, i + 1)
        for key, style in ((name, "-o"), (f"val_{name}", "--s")):
            if key in logs:
                ax.plot(x_values[:len(logs[key])], logs[key], style,
                        markersize=3, label=key)
        ax.set_xlabel(x_key)
        ax.set_ylabel(name)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(name, fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    figure.tight_layout()
    figure.suptitle("training curves", fontsize=10, y=1.02)
    return _save(figure, path)
