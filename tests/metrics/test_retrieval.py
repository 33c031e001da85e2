"""Recall@K and ranks against a brute-force NumPy reference."""

import numpy as np
import pytest

from keras_mm.metrics.retrieval import caption_groups
from keras_mm.metrics.retrieval import caption_recall_at_k
from keras_mm.metrics.retrieval import normalize_caption
from keras_mm.metrics.retrieval import recall_at_k
from keras_mm.metrics.retrieval import recall_drop
from keras_mm.metrics.retrieval import retrieval_ranks


def _brute_force_ranks(queries, candidates, query_labels, candidate_labels):
    # Sort every candidate list, ties broken against the query (irrelevant
    # candidates first), and find the first relevant position.
    ranks = []
    for q, q_label in zip(queries, query_labels):
        scored = []
        for c, c_label in zip(candidates, candidate_labels):
            similarity = float(sum(float(a) * float(b) for a, b in zip(q, c)))
            scored.append((-similarity, c_label == q_label))
        scored.sort(key=lambda item: (item[0], item[1]))
        ranks.append(next(i for i, (_, rel) in enumerate(scored) if rel))
    return np.array(ranks)


def _reference_report(images, texts, image_labels, text_labels, ks):
    report = {}
    for name, q, c, ql, cl in (
        ("image_to_text", images, texts, image_labels, text_labels),
        ("text_to_image", texts, images, text_labels, image_labels),
    ):
        ranks = _brute_force_ranks(q, c, ql, cl)
        entry = {f"R@{k}": sum(r < k for r in ranks) / len(ranks) for k in ks}
        entry["mean_rank"] = float(np.mean(ranks + 1))
        entry["median_rank"] = float(np.median(ranks + 1))
        report[name] = entry
    return report


def _quantized(rng, shape):
    # Multiples of 1/4 with few distinct values: dot products are exact in
    # float32 and many of them tie.
    return rng.integers(-2, 3, size=shape).astype("float32") / 4.0


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_matches_brute_force_with_ties_and_multiple_captions(seed):
    rng = np.random.default_rng(seed)
    num_images, captions_per_image, dim = 12, 3, 4
    images = _quantized(rng, (num_images, dim))
    # Each image has 3 captions; image 1's captions duplicate image 0's
    # vectors exactly (tied captions), and two images share an embedding.
    texts = _quantized(rng, (num_images * captions_per_image, dim))
    texts[3:6] = texts[0:3]
    images[5] = images[4]
    image_ids = list(range(num_images))
    text_ids = [i // captions_per_image for i in range(len(texts))]
    ks = (1, 2, 5, 10)
    ours = recall_at_k(images, texts, image_ids, text_ids, ks=ks)
    reference = _reference_report(images, texts, image_ids, text_ids, ks)
    for direction in reference:
        for key, value in reference[direction].items():
            assert ours[direction][key] == pytest.approx(value, abs=1e-9), (
                direction, key)


def test_identical_caption_strings_count_as_matches():
    # Two images with the same caption string: either image retrieves it.
    images = np.array([[1, 0, 0], [0.8, 0.6, 0], [0, 0, 1]], "float32")
    texts = np.array([[1, 0, 0], [1, 0, 0], [0, 0, 1]], "float32")
    captions = ["a red circle", "a red circle", "a blue square"]
    report = recall_at_k(images, texts, captions, captions, ks=(1,))
    assert report["image_to_text"]["R@1"] == 1.0
    assert report["text_to_image"]["R@1"] == 1.0
    # With per-item ids instead, text 1 must find image 1, and cannot.
    report = recall_at_k(images, texts, [0, 1, 2], [0, 1, 2], ks=(1,))
    assert report["text_to_image"]["R@1"] == pytest.approx(2 / 3)


def test_ties_count_against_the_query():
    # All similarities equal: the relevant item ranks after all irrelevant.
    queries = np.ones((1, 2), "float32")
    candidates = np.ones((4, 2), "float32")
    ranks = retrieval_ranks(queries, candidates, [2], [0, 1, 2, 3])
    assert ranks.tolist() == [3]


def test_query_without_match_raises():
    with pytest.raises(ValueError, match="no relevant candidate"):
        retrieval_ranks(np.ones((1, 2)), np.ones((2, 2)), [5], [0, 1])


def test_recall_drop_is_the_larger_loss_over_both_directions():
    reference = {"image_to_text": {"R@1": 0.9, "R@5": 1.0},
                 "text_to_image": {"R@1": 0.8, "R@5": 0.95}}
    other = {"image_to_text": {"R@1": 0.88, "R@5": 0.9},
             "text_to_image": {"R@1": 0.81, "R@5": 0.95}}
    assert recall_drop(reference, other) == pytest.approx(0.02)
    assert recall_drop(reference, other, k=5) == pytest.approx(0.1)
    # A gain in both directions is a negative drop.
    assert recall_drop(other, reference, k=5) == pytest.approx(0.0)
    assert recall_drop(other, {"image_to_text": {"R@1": 0.98},
                               "text_to_image": {"R@1": 0.9}}) == (
        pytest.approx(-0.09))


def _class_like(num_classes=3, per_class=10, wrong=(0, 11, 25)):
    """Images of a few classes, each pair captioned with its class's one
    caption; the images in `wrong` lie nearer another class's caption."""
    prototypes = np.eye(num_classes, dtype="float32")
    labels = np.repeat(np.arange(num_classes), per_class)
    images = prototypes[labels] * 0.9 + 0.05
    for i in wrong:
        images[i] = prototypes[(labels[i] + 1) % num_classes]
    images /= np.linalg.norm(images, axis=1, keepdims=True)
    captions = [f"a photo of a {['cat', 'dog', 'bird'][c]}." for c in labels]
    return images, prototypes[labels], captions, labels


def test_per_row_labels_collapse_recall_on_class_like_captions():
    # The old reading: every copy of the wrong caption outranks the right
    # one, so a missed image misses at every K up to the class size.
    images, texts, captions, _ = _class_like()
    old = recall_at_k(images, texts, captions, captions)["image_to_text"]
    assert old["R@1"] == old["R@5"] == old["R@10"] == pytest.approx(27 / 30)


def test_identical_captions_are_merged_in_the_gallery():
    images, texts, captions, labels = _class_like()
    report = caption_recall_at_k(images, texts, captions)
    i2t = report["image_to_text"]
    # The 3 images nearest another class find their caption second.
    assert i2t["R@1"] == pytest.approx(27 / 30)
    assert i2t["R@5"] == i2t["R@10"] == 1.0
    assert i2t["median_rank"] == 1.0
    # The same from a brute force over the 3 distinct captions.
    distinct = np.eye(3, dtype="float32")
    ranks = _brute_force_ranks(images, distinct, labels, [0, 1, 2])
    assert i2t["mean_rank"] == pytest.approx(float(np.mean(ranks + 1)))
    # text→image: one query per distinct caption; hits are all its images.
    t2i = report["text_to_image"]
    expected = _brute_force_ranks(distinct, images, [0, 1, 2], labels)
    assert t2i["R@1"] == pytest.approx(np.mean(expected < 1))
    assert t2i["mean_rank"] == pytest.approx(float(np.mean(expected + 1)))
    # Distinct-caption embeddings alone give the same report.
    assert caption_recall_at_k(images, distinct, captions) == report


def test_captions_are_compared_after_normalising_case_and_spaces():
    assert normalize_caption("  A photo of\ta  Cat. ") == "a photo of a cat."
    first, groups = caption_groups(["a cat", "a dog", "A  cat", "a dog."])
    assert first == [0, 1, 3] and groups.tolist() == [0, 1, 0, 2]
    with pytest.raises(ValueError, match="one row per caption"):
        caption_recall_at_k(np.eye(4), np.eye(2), ["a cat", "a dog", "x",
                                                  "y"])


def test_ranks_in_blocks_equal_ranks_at_once():
    rng = np.random.default_rng(4)
    queries, candidates = _quantized(rng, (9, 4)), _quantized(rng, (7, 4))
    groups = [i % 7 for i in range(9)]
    whole = retrieval_ranks(queries, candidates, groups, range(7))
    blocks = retrieval_ranks(queries, candidates, groups, range(7),
                             block_size=2)
    assert blocks.tolist() == whole.tolist()
    with pytest.raises(ValueError, match="Query 8 has no relevant"):
        retrieval_ranks(queries, candidates, groups[:8] + [9], range(7),
                        block_size=4)
