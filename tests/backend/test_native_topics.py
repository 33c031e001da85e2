import pytest

from keras_mm import backend

# The functions that the callers of each topic use.
TOPICS = {
    "dense": ("supports", "call"),
    "patch_embedding": ("supports", "call"),
    "predictor": ("compiled_call",),
    "shared_path_gradients": ("clear",),
    "transformer_block": ("supports", "call"),
    "variables": ("assignable", "wrap_host_zeros"),
}


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_native_modules_have_what_their_callers_use(topic):
    module = backend.native(topic)
    if module is None:
        pytest.skip(f"{backend.name()} has no '{topic}' module")
    for attribute in TOPICS[topic]:
        assert hasattr(module, attribute), f"{module.__name__}.{attribute}"
