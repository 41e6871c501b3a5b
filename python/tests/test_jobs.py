"""The SDK's flows against a real scheduler and worker: submit, get, list, watch, wait,
download, metrics, workers, cancel, failures."""
import hashlib
import sys

import pytest
import yaml

import ptune
from ptune.v1 import spec_pb2
from cluster import tiny_spec


@pytest.fixture(scope="module")
def finished(cluster) -> ptune.Job:
    """One tiny job run to completion, shared by the read-only tests below."""
    with ptune.Client(cluster.address, token="") as c:
        job = c.submit(tiny_spec("finished"), request_id="finished-1", labels={"suite": "sdk"})
        return c.wait(job.id)


def test_submit_is_idempotent_on_request_id(client, finished):
    again = client.submit(tiny_spec("finished"), request_id="finished-1")
    assert again.id == finished.id
    assert again.request_id == "finished-1"


def test_wait_returns_the_succeeded_job(finished, cluster):
    assert finished.state == ptune.JobState.SUCCEEDED, cluster.logs()
    assert finished.step == 6 and finished.total_steps == 6
    assert finished.worker_id == "w1"
    assert {a.name for a in finished.artifacts} >= {"prompt.safetensors"}


def test_watch_yields_every_event_once_in_order_as_typed_events(client, finished):
    events = list(client.watch(finished.id))
    seqs = [e.seq for e in events]
    assert seqs == list(range(1, finished.last_seq + 1))
    assert all(e.job_id == finished.id and e.time is not None for e in events)
    states = [(e.from_state, e.to_state) for e in events if isinstance(e, ptune.StateChanged)]
    assert states[0][1] == ptune.JobState.QUEUED
    assert states[-1][1] == ptune.JobState.SUCCEEDED
    steps = [e for e in events if isinstance(e, ptune.Step)]
    assert [s.step for s in steps] == [1, 2, 3, 4, 5, 6]
    assert all(s.total_steps == 6 and s.loss > 0 for s in steps)
    assert any(isinstance(e, ptune.Eval) and "accuracy" in e.metrics for e in events)
    assert any(isinstance(e, ptune.Topology) and e.h0_bars > 0 for e in events)
    assert any(isinstance(e, ptune.ArtifactReady) and e.name == "prompt.safetensors"
               for e in events)
    # Resuming from a seq yields exactly the rest.
    rest = [e.seq for e in client.watch(finished.id, after_seq=seqs[-3])]
    assert rest == seqs[-2:]


def test_watch_shows_progress_when_asked(client, finished, capsys):
    list(client.watch(finished.id, progress=True))
    assert "6/6" in capsys.readouterr().err


def test_watch_stopped_early_leaves_nothing_open(client, finished):
    stream = client.watch(finished.id)
    first = next(stream)
    stream.close()
    assert first.seq == 1
    assert client.get(finished.id).id == finished.id  # the channel still works


def test_download_writes_every_artifact_with_its_sha256(client, finished, tmp_path):
    paths = client.download(finished.id, tmp_path / "out")
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in paths) == \
        sorted(a.name for a in finished.artifacts)
    for artifact in finished.artifacts:
        data = (tmp_path / "out" / artifact.name).read_bytes()
        assert len(data) == artifact.size_bytes
        assert hashlib.sha256(data).hexdigest() == artifact.sha256
    assert not list((tmp_path / "out").rglob("*.part"))
    only = client.download(finished.id, tmp_path / "one", names=["prompt.safetensors"])
    assert only == [tmp_path / "one" / "prompt.safetensors"]


def test_download_of_a_missing_artifact_is_not_found(client, finished, tmp_path):
    with pytest.raises(ptune.NotFoundError):
        client.download(finished.id, tmp_path, names=["no-such-file.bin"])
    assert not list(tmp_path.iterdir())
    with pytest.raises(ptune.InvalidArgumentError, match="not a relative path"):
        client.download(finished.id, tmp_path, names=["../escape"])


def test_metrics_as_lists_and_dataframes(client, finished, monkeypatch):
    m = client.metrics(finished.id)
    assert m.loss["step"] == [1, 2, 3, 4, 5, 6]
    assert len(m.loss["loss"]) == 6 and all(v > 0 for v in m.loss["loss"])
    assert m.eval["split"] and "accuracy" in m.eval
    assert m.topology["step"] == [2, 4, 6]
    frame = m.dataframe("loss")
    assert list(frame["step"]) == m.loss["step"]
    assert len(m.dataframe("topology")) == 3
    monkeypatch.setitem(sys.modules, "pandas", None)  # as if pandas were not installed
    with pytest.raises(ImportError, match="python3-pandas"):
        m.dataframe("eval")


def test_get_list_and_workers(client, finished):
    assert client.get(finished.id).state == ptune.JobState.SUCCEEDED
    second = client.submit(tiny_spec("listed"), labels={"suite": "sdk"})
    listed = [j.id for j in client.list(labels={"suite": "sdk"}, page_size=1)]
    assert listed[:2] == [second.id, finished.id]  # newest first, across pages
    assert finished.id in [j.id for j in client.list(states=["succeeded"])]
    assert finished.id not in [j.id for j in client.list(states=[ptune.JobState.QUEUED,
                                                                "JOB_STATE_RUNNING"])]
    client.wait(second.id)
    workers = client.workers()
    assert [w.worker_id for w in workers] == ["w1"]
    with pytest.raises(ptune.NotFoundError):
        client.get("no-such-job")
    with pytest.raises(ptune.InvalidArgumentError, match="unknown job state"):
        list(client.list(states=["sleeping"]))


def test_submit_from_a_yaml_file_and_a_job_spec(client, tmp_path):
    path = tmp_path / "job.yaml"
    path.write_text(yaml.safe_dump(tiny_spec("from-yaml", steps=2, checkpoint_every=2)))
    from_yaml = client.submit(path)
    assert from_yaml.spec.name == "from-yaml"
    assert from_yaml.spec.method == spec_pb2.METHOD_PT
    spec = ptune.load_spec(str(path))
    spec.name = "from-proto"
    assert client.submit(spec).spec.name == "from-proto"
    assert client.wait(from_yaml.id).state == ptune.JobState.SUCCEEDED


def test_cancel_a_running_job(client):
    job = client.submit(tiny_spec("long", steps=100000, checkpoint_every=100000))
    for event in client.watch(job.id):
        if isinstance(event, ptune.Step):
            break
    cancelled = client.cancel(job.id, reason="enough")
    assert cancelled.state in (ptune.JobState.RUNNING, ptune.JobState.CANCELLED)
    with pytest.raises(ptune.JobCancelledError) as raised:
        client.wait(job.id)
    assert raised.value.job.state == ptune.JobState.CANCELLED
    with pytest.raises(ptune.FailedPreconditionError):
        client.cancel(job.id)


def test_a_failing_job_raises_job_failed_with_the_reason(client):
    job = client.submit(tiny_spec("bad-data", steps=2, dataset="",
                                  train_file="/nonexistent/ptune/train.jsonl"))
    with pytest.raises(ptune.JobFailedError, match="/nonexistent/ptune/train.jsonl") as raised:
        client.wait(job.id)
    assert raised.value.job.state == ptune.JobState.FAILED
