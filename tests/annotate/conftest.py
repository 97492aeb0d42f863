import pytest


def _make_tasks(n=6, k=4, prefix="t"):
    return [{"id": f"{prefix}{i}", "prompt": f"question {i}",
             "responses": [f"answer {i}.{j}" for j in range(k)]} for i in range(n)]


@pytest.fixture
def make_tasks():
    return _make_tasks


@pytest.fixture
def ranking_tasks():
    return _make_tasks()


@pytest.fixture
def pairwise_tasks():
    return _make_tasks(k=2)


@pytest.fixture
def step_tasks():
    return [{"id": f"s{i}", "prompt": f"problem {i}", "steps": [f"step {j}" for j in range(4)]}
            for i in range(3)]
