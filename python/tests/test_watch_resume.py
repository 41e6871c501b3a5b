"""watch() across a scheduler crash and restart (same store, same port), and its
fallback to WatchJob on a scheduler that predates WatchJobBatched."""
from concurrent import futures
from typing import Iterator

import grpc
import pytest

import ptune
from cluster import Cluster, tiny_spec
from ptune.v1 import events_pb2, job_service_pb2, job_service_pb2_grpc


@pytest.fixture
def restartable(tmp_path) -> Iterator[Cluster]:
    c = Cluster(tmp_path)
    try:
        c.start_scheduler()
        c.start_worker("w1")
        yield c
    finally:
        c.stop()


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


class _OldScheduler(job_service_pb2_grpc.JobServiceServicer):
    """A JobService without WatchJobBatched: the generated base answers UNIMPLEMENTED
    for it, as a scheduler built before the method does."""

    def __init__(self) -> None:
        self.watch_calls = 0

    def GetJob(self, request, context):
        return job_service_pb2.Job(id=request.job_id, state=events_pb2.JOB_STATE_SUCCEEDED,
                                   last_seq=3)

    def WatchJob(self, request, context):
        self.watch_calls += 1
        for seq in range(request.after_seq + 1, 4):
            event = events_pb2.JobEvent(job_id=request.job_id, seq=seq)
            event.step.step = seq
            yield event


def test_watch_falls_back_to_watch_job_on_unimplemented():
    servicer = _OldScheduler()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    job_service_pb2_grpc.add_JobServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with ptune.Client(f"127.0.0.1:{port}", token="") as client:
            assert [e.step for e in client.watch("old")] == [1, 2, 3]
            assert [e.seq for e in client.watch("old", after_seq=1)] == [2, 3]
            assert servicer.watch_calls == 2
            assert client._watch_unbatched  # asked WatchJobBatched once, then not again
    finally:
        server.stop(None)
