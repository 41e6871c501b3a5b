"""watch() across a scheduler crash and restart (same store, same port), and when the
scheduler stays away."""
from typing import Iterator

import pytest

import ptune
from cluster import Cluster, free_port, running_cluster, tiny_spec


@pytest.fixture
def restartable(tmp_path) -> Iterator[Cluster]:
    with running_cluster(tmp_path) as c:
        yield c


def test_watch_resumes_across_a_scheduler_restart_without_gap_or_duplicate(restartable):
    with ptune.Client(restartable.address, token="") as client:
        job = client.submit(tiny_spec("restart", steps=40, checkpoint_every=10))
        seen = []
        restarted = False
        for event in client.watch(job.id, reconnect_timeout=60):
            seen.append(event)
            if not restarted and isinstance(event, ptune.Step) and event.step >= 3:
                restartable.kill_scheduler()
                restartable.start_scheduler()
                restarted = True
        assert restarted, restartable.logs()
        final = client.get(job.id)
        assert final.state == ptune.JobState.SUCCEEDED, f"{final}\n{restartable.logs()}"
        seqs = [e.seq for e in seen]
        assert seqs == list(range(1, final.last_seq + 1))  # no gap, no duplicate
        assert seqs == [e.seq for e in client.watch(job.id)]
        steps = [e.step for e in seen if isinstance(e, ptune.Step)]
        assert steps == sorted(set(steps)) and steps[-1] == 40


def test_watch_and_calls_give_up_when_nothing_listens():
    with ptune.Client(f"127.0.0.1:{free_port()}", token="", retries=2) as client:
        with pytest.raises(ptune.UnavailableError, match=r"after_seq=7"):
            list(client.watch("j", after_seq=7, reconnect_timeout=0.5))
        with pytest.raises(ptune.UnavailableError, match="unavailable"):
            client.get("j")
