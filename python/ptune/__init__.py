"""ptune: submit, watch, cancel and download soft-prompt-tuning jobs from Python.

The SDK speaks the scheduler's public gRPC API (``ptune.v1.JobService``), like
``ptunectl``::

    import ptune

    client = ptune.Client("127.0.0.1:50051", token=None)
    job = client.submit({"data": {"dataset": "uci-sentiment"}, "train": {"steps": 50}})
    for event in client.watch(job.id):          # typed events, resumes on reconnect
        if isinstance(event, ptune.Step):
            print(event.step, event.loss)
    client.wait(job.id)                          # raises JobFailedError / JobCancelledError
    client.download(job.id, "out/")              # sha256-checked files
    client.metrics(job.id).dataframe("loss")     # with pandas installed

Jobs, specs and workers are the generated protobuf messages of ``ptune.v1``
(``ptune.v1.job_service_pb2.Job``, ``ptune.v1.spec_pb2.JobSpec``, ...). See
docs/python.md.
"""
from ptune.client import Client
from ptune.errors import (AuthenticationError, DataLossError, FailedPreconditionError,
                          InvalidArgumentError, JobCancelledError, JobEndedError,
                          JobFailedError, NotFoundError, PermissionDeniedError, PtuneError,
                          ResourceExhaustedError, UnavailableError)
from ptune.events import (ArtifactReady, CheckpointSaved, Eval, Event, JobState, Log,
                          StateChanged, Step, Topology)
from ptune.metrics import Metrics
from ptune.spec import load_file as load_spec
from ptune.v1.job_service_pb2 import Job, WorkerInfo
from ptune.v1.spec_pb2 import JobSpec

__version__ = "0.1.0"

__all__ = [
    "Client", "Job", "JobSpec", "WorkerInfo", "JobState", "Metrics", "load_spec",
    "Event", "StateChanged", "Step", "Eval", "Topology", "Log", "CheckpointSaved",
    "ArtifactReady",
    "PtuneError", "InvalidArgumentError", "NotFoundError", "FailedPreconditionError",
    "ResourceExhaustedError", "AuthenticationError", "PermissionDeniedError",
    "UnavailableError", "DataLossError", "JobEndedError", "JobFailedError",
    "JobCancelledError",
]
