"""Fixtures: one shared scheduler + worker for the flow tests (starting a torch worker
costs seconds), and clusters of their own for the tests that restart or lock down the
scheduler."""
import sys
from pathlib import Path
from typing import Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ptune  # noqa: E402
from cluster import Cluster, running_cluster  # noqa: E402


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with running_cluster(tmp_path_factory.mktemp("cluster")) as c:
        yield c


@pytest.fixture
def client(cluster: Cluster) -> Iterator[ptune.Client]:
    with ptune.Client(cluster.address, token="") as c:
        yield c
