"""Fixtures of the task tests: tiny splits of the built-in data."""

import pytest
from tasks_testdata import inputs


@pytest.fixture(scope="session")
def shapes_train():
    return inputs(384, seed=11)[0]


@pytest.fixture(scope="session")
def shapes_test():
    return inputs(64, seed=12)[0]
