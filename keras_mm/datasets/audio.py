"""Procedural audio–text pairs: sequences of tones and chirps.

A clip holds one to three sound events, one after another; each has a pitch
(low / middle / high) and a kind (a steady tone, a rising or a falling
chirp). The caption names them in order ("a low tone then a rising high
chirp"), so captions can differ in a single attribute.
"""

import numpy as np

PITCHES = {"low": 220.0, "middle": 440.0, "high": 880.0}
KINDS = ("tone", "rising chirp", "falling chirp")


def _event(kind, pitch, n, rate, rng):
    t = np.arange(n) / rate
    f0 = PITCHES[pitch] * rng.uniform(0.97, 1.03)
    if kind == "tone":
        phase = 2 * np.pi * f0 * t
    else:
        f1 = f0 * (2.0 if kind == "rising chirp" else 0.5)
        # Linear chirp: the phase integrates f(t) = f0 + (f1 - f0) t / T.
        duration = n / rate
        phase = 2 * np.pi * (f0 * t + (f1 - f0) * t**2 / (2 * duration))
    envelope = np.minimum(1.0, np.minimum(t, t[-1] - t) * 50)
    return 0.5 * envelope * np.sin(phase)


def describe(events):
    parts = []
    for e in events:
        if e["kind"] == "tone":
            parts.append(f"a {e['pitch']} tone")
        else:
            adjective, noun = e["kind"].split()
            parts.append(f"a {adjective} {e['pitch']} {noun}")
    return " then ".join(parts)


def make_audio_text_pairs(num_samples, sample_rate=8000, duration=1.0,
                          seed=0):
    """Generates `num_samples` audio–caption pairs, deterministic by `seed`.

    Returns:
        A dict with `"audio"` (float32 `(N, sample_rate * duration)` in
        [-1, 1]), `"captions"` (list of str), `"events"` and
        `"sample_rate"`.

    Example:
    ```python
    pairs = keras_mm.datasets.make_audio_text_pairs(4, seed=1)
    pairs["captions"][0]  # e.g. 'a low tone then a rising high chirp'
    ```
    """
    if num_samples < 1:
        raise ValueError(f"num_samples must be >= 1. Received: {num_samples}")
    rng = np.random.default_rng(seed)
    length = int(sample_rate * duration)
    audio = np.zeros((num_samples, length), np.float32)
    captions, all_events = [], []
    for i in range(num_samples):
        count = int(rng.integers(1, 4))
        events = [{"kind": KINDS[rng.integers(len(KINDS))],
                   "pitch": list(PITCHES)[rng.integers(len(PITCHES))]}
                  for _ in range(count)]
        n = length // count
        for k, e in enumerate(events):
            audio[i, k * n:(k + 1) * n] = _event(e["kind"], e["pitch"], n,
                                                 sample_rate, rng)
        audio[i] += rng.normal(0, 0.01, length).astype(np.float32)
        captions.append(describe(events))
        all_events.append(events)
    return {"audio": np.clip(audio, -1, 1), "captions": captions,
            "events": all_events, "sample_rate": sample_rate}
