"""Typed job events: what :meth:`ptune.Client.watch` yields.

Each ``ptune.v1.JobEvent`` becomes one frozen dataclass per kind, with the common
``job_id``, ``seq`` (strictly increasing per job, from 1), ``time`` (UTC), ``attempt`` and
``raw`` (the protobuf message, for fields not copied here, e.g. persistence pairs).
"""
from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from ptune.v1 import events_pb2


class JobState(enum.IntEnum):
    """A job's state (``ptune.v1.JobState`` without its prefix)."""

    UNSPECIFIED = events_pb2.JOB_STATE_UNSPECIFIED
    QUEUED = events_pb2.JOB_STATE_QUEUED
    RUNNING = events_pb2.JOB_STATE_RUNNING
    SUCCEEDED = events_pb2.JOB_STATE_SUCCEEDED
    FAILED = events_pb2.JOB_STATE_FAILED
    CANCELLED = events_pb2.JOB_STATE_CANCELLED

    @property
    def is_final(self) -> bool:
        """True for SUCCEEDED, FAILED and CANCELLED: the job will not change again."""
        return self in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


@dataclass(frozen=True)
class Event:
    """Fields every event has."""

    job_id: str
    seq: int
    time: Optional[datetime.datetime]
    attempt: int
    raw: events_pb2.JobEvent = field(repr=False, compare=False)


@dataclass(frozen=True)
class StateChanged(Event):
    """The job moved from one state to another; `reason` says why."""

    from_state: JobState
    to_state: JobState
    reason: str
    worker_id: str


@dataclass(frozen=True)
class Step(Event):
    """One optimizer step (``loss = task_loss + tsloss``)."""

    step: int
    total_steps: int
    loss: float
    task_loss: float
    tsloss: float
    learning_rates: List[float]
    grad_norm: float
    tokens_per_second: float
    batch_accuracy: float


@dataclass(frozen=True)
class Eval(Event):
    """An evaluation on `split` ("validation" or "test") at `step`."""

    step: int
    split: str
    metrics: Dict[str, float]


@dataclass(frozen=True)
class Topology(Event):
    """The soft prompt's persistent-homology summary at `step` (see ``raw`` for pairs)."""

    step: int
    h0_bars: int
    h1_bars: int
    h0_total_persistence: float
    h1_total_persistence: float
    betti0_at_scale: int
    betti1_at_scale: int
    pairs: int


@dataclass(frozen=True)
class Log(Event):
    """A log line from the worker; `level` is "info", "warning" or "error"."""

    level: str
    message: str


@dataclass(frozen=True)
class CheckpointSaved(Event):
    """A checkpoint was stored by the scheduler."""

    step: int
    size_bytes: int


@dataclass(frozen=True)
class ArtifactReady(Event):
    """An artifact (e.g. ``prompt.safetensors``) can be downloaded."""

    name: str
    size_bytes: int
    sha256: str


def from_proto(event: events_pb2.JobEvent) -> Event:
    """The typed event for `event`; a kind this SDK does not know yet gives an `Event`."""
    common = dict(job_id=event.job_id, seq=event.seq, attempt=event.attempt, raw=event,
                  time=(event.time.ToDatetime(tzinfo=datetime.timezone.utc)
                        if event.HasField("time") else None))
    kind = event.WhichOneof("kind")
    if kind == "state":
        s = event.state
        return StateChanged(**common, from_state=JobState(getattr(s, "from")),
                            to_state=JobState(s.to), reason=s.reason, worker_id=s.worker_id)
    if kind == "step":
        s = event.step
        return Step(**common, step=s.step, total_steps=s.total_steps, loss=s.loss,
                    task_loss=s.task_loss, tsloss=s.tsloss,
                    learning_rates=list(s.learning_rates), grad_norm=s.grad_norm,
                    tokens_per_second=s.tokens_per_second, batch_accuracy=s.batch_accuracy)
    if kind == "eval":
        e = event.eval
        return Eval(**common, step=e.step, split=e.split, metrics=dict(e.metrics))
    if kind == "topology":
        t = event.topology
        s = t.summary
        return Topology(**common, step=t.step, h0_bars=s.h0_bars, h1_bars=s.h1_bars,
                        h0_total_persistence=s.h0_total_persistence,
                        h1_total_persistence=s.h1_total_persistence,
                        betti0_at_scale=s.betti0_at_scale, betti1_at_scale=s.betti1_at_scale,
                        pairs=len(t.pairs))
    if kind == "log":
        level = events_pb2.LogLine.Level.Name(event.log.level)
        return Log(**common, level=level.replace("LEVEL_", "").lower(),
                   message=event.log.message)
    if kind == "checkpoint":
        return CheckpointSaved(**common, step=event.checkpoint.step,
                               size_bytes=event.checkpoint.size_bytes)
    if kind == "artifact":
        a = event.artifact.artifact
        return ArtifactReady(**common, name=a.name, size_bytes=a.size_bytes, sha256=a.sha256)
    return Event(**common)
