"""Each backend's "auto" host-allocator mode."""

from keras_mm.backend import host_allocator


def test_tensorflow_gets_huge_pages_and_the_others_retain():
    assert host_allocator.default_mode("tensorflow") == "huge_pages"
    assert host_allocator.default_mode("jax") == "retain"
    assert host_allocator.default_mode("torch") == "retain"
