"""Image–caption retrieval of a model on pairs, identical captions merged."""

import dataclasses

import numpy as np

from keras_mm.metrics.retrieval import caption_groups
from keras_mm.metrics.retrieval import caption_recall_at_k


@dataclasses.dataclass
class PairEmbeddings:
    """Embeddings of image–caption pairs, with the captions merged.

    Attributes:
        images: `(N, D)`, one row per pair.
        texts: `(U, D)`, one row per distinct caption.
        captions: the N captions.
        distinct: the U distinct captions (first occurrences).
        groups: `(N,)` int, each pair's index into `distinct`.
    """

    images: np.ndarray
    texts: np.ndarray
    captions: list
    distinct: list
    groups: np.ndarray


def embed_pairs(model, pairs, batch_size=64):
    """`PairEmbeddings` of `pairs` (each distinct caption encoded once).

    Args:
        model: an `EvaluationModel`, or a `ContrastiveModel` carrying its
            own preprocessors.
        pairs: list of `keras_mm.data.Pair` with image media.
    """
    from keras_mm.evaluation.evaluation_model import EvaluationModel

    model = EvaluationModel.of(model)
    captions = [pair.text for pair in pairs]
    first, groups = caption_groups(captions)
    distinct = [captions[i] for i in first]
    return PairEmbeddings(
        images=model.embed_images([pair.media for pair in pairs], batch_size),
        texts=model.embed_texts(distinct, batch_size),
        captions=captions, distinct=distinct, groups=groups)


def retrieval_report(model, pairs, batch_size=64, ks=(1, 5, 10)):
    """Recall@K both ways on held-out pairs (`caption_recall_at_k`).

    Returns:
        `{"image_to_text": {"R@1", …, "mean_rank", "median_rank"},
        "text_to_image": {…}}`.

    Example:
    ```python
    pairs = keras_mm.data.sources.read_pairs("val.csv")
    keras_mm.evaluation.retrieval_report(model, pairs)["image_to_text"]
    ```
    """
    if len(pairs) < 2:
        raise ValueError(f"Retrieval needs at least 2 pairs; got "
                         f"{len(pairs)}")
    embedded = embed_pairs(model, pairs, batch_size)
    return caption_recall_at_k(embedded.images, embedded.texts,
                               embedded.captions, ks)
