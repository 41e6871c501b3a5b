"""Bad specs and authentication: the errors carry the scheduler's message."""
from typing import Iterator

import pytest

import ptune
from cluster import Cluster, running_cluster, tiny_spec


def test_an_invalid_spec_is_invalid_argument_naming_the_field(client):
    spec = tiny_spec("bad")
    spec["train"]["steps"] = 0
    spec["prompt"]["length"] = 5000
    with pytest.raises(ptune.InvalidArgumentError) as raised:
        client.submit(spec)
    message = str(raised.value)
    assert "spec.train.steps" in message and "spec.prompt.length" in message
    assert raised.value.code.name == "INVALID_ARGUMENT"


@pytest.mark.parametrize("spec, expected", [
    ({"train": {"stepz": 3}}, 'train.stepz: unknown field; did you mean "steps"?'),
    ({"method": "lora"}, "method: unknown value; expected one of pt, dept, ept"),
    ({"data": ["uci-sentiment"]}, "data: expected a mapping"),
    ({"train": {"steps": "many"}}, "steps"),
])
def test_spec_mistakes_are_found_before_sending(spec, expected):
    with pytest.raises(ptune.InvalidArgumentError, match=expected.replace("?", r"\?")):
        ptune.Client("127.0.0.1:1").submit(spec)  # nothing listens there: never sent


def test_spec_files_name_the_file_and_refuse_duplicate_keys(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("train:\n  steps: 3\n  steps: 4\n")
    with pytest.raises(ptune.InvalidArgumentError, match="dup.yaml.*duplicate key 'steps'"):
        ptune.load_spec(str(path))
    with pytest.raises(ptune.InvalidArgumentError, match="missing.yaml: cannot read"):
        ptune.load_spec(str(tmp_path / "missing.yaml"))
    with pytest.raises(TypeError, match="spec must be"):
        ptune.Client("127.0.0.1:1").submit(42)


@pytest.fixture(scope="module")
def secured(tmp_path_factory) -> Iterator[Cluster]:
    with running_cluster(tmp_path_factory.mktemp("secured"), workers=(),
                         tokens={"alice-token": "alice", "bob-token": "bob",
                                 "root-token": "ops admin"}) as c:
        yield c


def test_no_or_unknown_token_is_an_authentication_error(secured):
    for token in ("", "wrong-token"):
        with ptune.Client(secured.address, token=token) as c:
            with pytest.raises(ptune.AuthenticationError) as raised:
                c.get("any")
            assert raised.value.message  # the scheduler's words, not a bare code
            with pytest.raises(ptune.AuthenticationError):
                list(c.watch("any"))


def test_tenants_see_only_their_jobs(secured):
    with ptune.Client(secured.address, token="alice-token") as alice, \
            ptune.Client(secured.address, token="bob-token") as bob, \
            ptune.Client(secured.address, token="root-token") as root:
        job = alice.submit(tiny_spec("alice"))
        assert job.tenant == "alice"
        assert alice.get(job.id).id == job.id
        for call in (lambda: bob.get(job.id), lambda: bob.cancel(job.id),
                     lambda: list(bob.watch(job.id))):
            with pytest.raises(ptune.NotFoundError):
                call()
        assert job.id not in [j.id for j in bob.list()]
        assert job.id in [j.id for j in root.list()]
        assert root.cancel(job.id).state == ptune.JobState.CANCELLED  # it was queued
