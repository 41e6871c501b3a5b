"""JobService peers the real scheduler cannot play: one that predates WatchJobBatched,
and one that sends an artifact whose bytes do not match its sha256. Both are real gRPC
servers on loopback built on the generated servicer."""
import hashlib
from concurrent import futures
from typing import Iterator

import grpc
import pytest

import ptune
from ptune.v1 import events_pb2, job_service_pb2, job_service_pb2_grpc


@pytest.fixture
def serve() -> Iterator:
    servers = []

    def start(servicer: job_service_pb2_grpc.JobServiceServicer) -> str:
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        job_service_pb2_grpc.add_JobServiceServicer_to_server(servicer, server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        servers.append(server)
        return f"127.0.0.1:{port}"

    yield start
    for server in servers:
        server.stop(None)


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


def test_watch_falls_back_to_watch_job_on_unimplemented(serve):
    servicer = _OldScheduler()
    with ptune.Client(serve(servicer), token="") as client:
        assert [e.step for e in client.watch("old")] == [1, 2, 3]
        assert [e.seq for e in client.watch("old", after_seq=1)] == [2, 3]
        assert servicer.watch_calls == 2
        assert client._watch_unbatched  # asked WatchJobBatched once, then not again


class _CorruptArtifacts(job_service_pb2_grpc.JobServiceServicer):
    """Announces sha256("good bytes") but sends other bytes (or too few)."""

    def __init__(self, data: bytes, total_size: int) -> None:
        self.data, self.total_size = data, total_size

    def GetJob(self, request, context):
        job = job_service_pb2.Job(id=request.job_id, state=events_pb2.JOB_STATE_SUCCEEDED)
        job.artifacts.add(name="prompt.safetensors", size_bytes=10,
                          sha256=hashlib.sha256(b"good bytes").hexdigest())
        return job

    def GetArtifact(self, request, context):
        yield job_service_pb2.ArtifactChunk(name=request.name, offset=0, data=self.data,
                                            total_size=self.total_size)


@pytest.mark.parametrize("data, total, expected", [
    (b"evil bytes", 10, "sha256 mismatch"),
    (b"good", 10, "got 4 of 10 bytes"),
])
def test_download_refuses_bytes_that_do_not_match(serve, tmp_path, data, total, expected):
    with ptune.Client(serve(_CorruptArtifacts(data, total)), token="") as client:
        with pytest.raises(ptune.DataLossError, match=expected):
            client.download("j", tmp_path)
    assert list(tmp_path.iterdir()) == []  # neither the file nor its .part is left
