"""Fixed sentence pairs for the generation-metric tests."""

import numpy as np
import pytest

from keras_mm.datasets.shapes import make_image_text_pairs

# Hand-written pairs that exercise the 13a tokenizer: punctuation, numbers,
# hyphens, HTML entities, capitals, quotes and an empty hypothesis.
HAND_WRITTEN = [
    ("The cat sat on the mat.", "The cat is sitting on the mat."),
    ("It costs $3.50, or 3,000 yen!", "It costs $3.50 (about 3,000 yen)."),
    ("A well-known 2-step recipe: mix & bake.",
     "A well-known two-step recipe: mix &amp; bake."),
    ('He said "hello" to me.', "He said: 'hello' to me!"),
    ("Numbers like 1.5 and 2,5 stay whole.",
     "Numbers such as 1.5 and 2,5 stay whole."),
    ("", "Nothing was generated here."),
    ("ROUGE and BLEU differ; one counts recall.",
     "BLEU and ROUGE differ: one counts precision."),
    ("Up 5-10 percent in Q3 [estimated].",
     "Up 5-10% in the third quarter (estimated)."),
    ("e-mail me at a.b@c.org today", "email me at a.b@c.org today"),
    ("Résumé écrit à Paris, vraiment.", "Un résumé écrit à Paris."),
    ("yes", "yes"),
    ("one two three four five", "one two three four five six seven"),
]


def _perturb(words, rng):
    words = list(words)
    for _ in range(rng.integers(0, 4)):
        op = rng.integers(0, 4)
        i = int(rng.integers(0, len(words)))
        if op == 0 and len(words) > 1:
            del words[i]
        elif op == 1:
            words.insert(i, str(rng.choice(["big", "tiny", "dark", "the"])))
        elif op == 2:
            j = int(rng.integers(0, len(words)))
            words[i], words[j] = words[j], words[i]
        else:
            words[i] = str(rng.choice(["circle", "blue", "left", "a"]))
    return words


@pytest.fixture(scope="session")
def sentence_pairs():
    """72 (hypothesis, reference) pairs, deterministic."""
    rng = np.random.default_rng(7)
    captions = make_image_text_pairs(60, seed=3)["captions"]
    pairs = list(HAND_WRITTEN)
    for caption in captions:
        words = _perturb(caption.split(), rng)
        hypothesis = " ".join(words)
        if rng.random() < 0.3:
            hypothesis = hypothesis.capitalize() + "."
        pairs.append((hypothesis, caption))
    return pairs
