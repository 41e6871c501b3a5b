"""``ptune.Client``: the ptune JobService API for Python programs and notebooks."""

import hashlib
import os
import time
import uuid
from pathlib import Path, PurePosixPath
from typing import (Callable, Iterable, Iterator, List, Mapping, Optional, TypeVar,
                    Union)

import grpc

from ptune import errors, events, metrics as metrics_lib, progress as progress_lib
from ptune.spec import SpecLike, to_job_spec
from ptune.v1 import job_service_pb2 as pb, job_service_pb2_grpc as pb_grpc

T = TypeVar("T")
TlsOption = Union[None, bool, str, "os.PathLike[str]", grpc.ChannelCredentials]
StateLike = Union[events.JobState, str, int]

# Codes a broken watch stream ends with when the scheduler restarts or the network drops.
_RETRYABLE_STREAM = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED,
                     grpc.StatusCode.ABORTED, grpc.StatusCode.DEADLINE_EXCEEDED,
                     grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}
_INITIAL_BACKOFF_S = 0.1
_MAX_BACKOFF_S = 2.0


class Client:
    """A connection to a ptune scheduler.

    Args:
        target: ``host:port`` of the scheduler; default ``$PTUNE_SERVER``, else
            ``localhost:50051``.
        token: bearer token (sent as ``authorization: Bearer ...``); default
            ``$PTUNE_TOKEN``, else none (a scheduler without ``--tokens-file``).
        tls: ``None``/``False`` plaintext; ``True`` TLS with the system roots; a path to
            the PEM CA that signed the scheduler's certificate; or ready
            ``grpc.ChannelCredentials``.
        timeout: deadline of each unary call, in seconds (not for watch/download).
        retries: attempts of a call that finds the scheduler UNAVAILABLE (with backoff).
            Every retried call is safe: submit is idempotent on its request id.

    Errors are :class:`ptune.PtuneError` subclasses carrying the scheduler's message.
    Use it as a context manager, or call :meth:`close`.

    Example::

        with ptune.Client("127.0.0.1:50051") as client:
            job = client.submit("examples/pt-sentiment.yaml")
            client.wait(job.id, progress=True)
            client.download(job.id, "out/")
    """

    def __init__(self, target: Optional[str] = None, token: Optional[str] = None,
                 tls: TlsOption = None, *, timeout: float = 30.0, retries: int = 5) -> None:
        self.target = target or os.environ.get("PTUNE_SERVER") or "localhost:50051"
        token = token if token is not None else os.environ.get("PTUNE_TOKEN")
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self._timeout = timeout
        self._retries = max(1, retries)
        # Keepalive as the C++ client (the scheduler permits 20 s); reconnect backoff
        # capped at 2 s so a restarted scheduler is found again quickly.
        options = [("grpc.keepalive_time_ms", 20000),
                   ("grpc.initial_reconnect_backoff_ms", 100),
                   ("grpc.min_reconnect_backoff_ms", 100),
                   ("grpc.max_reconnect_backoff_ms", 2000)]
        credentials = _credentials(tls)
        self._channel = (grpc.secure_channel(self.target, credentials, options)
                         if credentials else grpc.insecure_channel(self.target, options))
        self._stub = pb_grpc.JobServiceStub(self._channel)
        # Set once the scheduler answers WatchJobBatched with UNIMPLEMENTED (it predates
        # the method); watch then uses WatchJob.
        self._watch_unbatched = False

    def close(self) -> None:
        """Closes the channel; the client cannot be used afterwards."""
        self._channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ptune.Client({self.target!r})"

    # ----- jobs

    def submit(self, spec: SpecLike, *, request_id: Optional[str] = None, priority: int = 0,
               labels: Optional[Mapping[str, str]] = None, max_attempts: int = 0) -> pb.Job:
        """Submits a job and returns it (state QUEUED, or further along on a repeat).

        Args:
            spec: a dict written like a YAML spec, a path to a YAML/JSON spec file, or a
                ``ptune.v1.JobSpec`` (see docs/job-spec.md).
            request_id: idempotency key; a repeat with the same key returns the job the
                first call created. Default: a new UUID, reused by the SDK's retries.
            priority: larger runs first.
            labels: key/value labels to filter on in :meth:`list`.
            max_attempts: attempts before the job is FAILED; 0: the scheduler's default.

        Raises:
            InvalidArgumentError: the spec is invalid (the message names the field path).
        """
        request = pb.SubmitJobRequest(request_id=request_id or str(uuid.uuid4()),
                                      spec=to_job_spec(spec), priority=priority,
                                      labels=dict(labels or {}), max_attempts=max_attempts)
        return self._call(self._stub.SubmitJob, request).job

    def get(self, job_id: str) -> pb.Job:
        """The job as it is now. Raises NotFoundError for an unknown id."""
        return self._call(self._stub.GetJob, pb.GetJobRequest(job_id=job_id))

    def list(self, *, states: Iterable[StateLike] = (),
             labels: Optional[Mapping[str, str]] = None, page_size: int = 100) -> Iterator[pb.Job]:
        """Iterates the matching jobs, newest first, fetching pages as it goes.

        Args:
            states: only jobs in these states (``"RUNNING"``, ``ptune.JobState.QUEUED``).
            labels: only jobs carrying all these labels.
        """
        request = pb.ListJobsRequest(states=[_state(s) for s in states],
                                     labels=dict(labels or {}), page_size=page_size)
        while True:
            response = self._call(self._stub.ListJobs, request)
            yield from response.jobs
            if not response.next_page_token:
                return
            request.page_token = response.next_page_token

    def cancel(self, job_id: str, reason: str = "") -> pb.Job:
        """Cancels a job. A queued job is CANCELLED at once; a running one comes back
        RUNNING with ``state_reason`` "cancelling: ..." until its worker stops.

        Raises:
            FailedPreconditionError: the job already finished.
        """
        def already_cancelled(error: errors.PtuneError) -> Optional[pb.Job]:
            # A retry whose first attempt took effect finds the job (being) cancelled.
            if not isinstance(error, errors.FailedPreconditionError):
                return None
            job = self.get(job_id)
            cancelled = (job.state == events.JobState.CANCELLED
                         or job.state_reason.startswith("cancelling"))
            return job if cancelled else None

        request = pb.CancelJobRequest(job_id=job_id, reason=reason)
        return self._call(self._stub.CancelJob, request, after_retry=already_cancelled)

    def workers(self) -> List[pb.WorkerInfo]:
        """The connected workers (non-admin tokens see them without their job ids)."""
        return list(self._call(self._stub.ListWorkers, pb.ListWorkersRequest()).workers)

    # ----- telemetry

    def watch(self, job_id: str, after_seq: int = 0, *, progress: Optional[bool] = None,
              reconnect_timeout: float = 300.0) -> Iterator[events.Event]:
        """Yields the job's events (stored ones, then live) until the job is final.

        Every seq is yielded exactly once and in order: when the stream breaks (a
        scheduler restart, a network loss) the generator reconnects with backoff and
        resumes after the last seq it yielded. It uses the batched stream
        (WatchJobBatched) and falls back to WatchJob on schedulers that predate it.
        Stop early by breaking out of the loop.

        Args:
            after_seq: yield only events with a larger seq (resume from a known point).
            progress: show a progress bar (tqdm when installed, text otherwise);
                default: only in a notebook.
            reconnect_timeout: give up with UnavailableError once the scheduler has been
                unreachable this many seconds in a row.
        """
        show = progress_lib.in_notebook() if progress is None else progress
        bar = progress_lib.Progress(job_id) if show else None
        last_seq = after_seq
        lost_since: Optional[float] = None
        backoff = _INITIAL_BACKOFF_S
        try:
            while True:
                seq_before = last_seq
                stream = self._watch_once(job_id, last_seq)
                try:
                    for event in stream:
                        last_seq = event.seq
                        if bar:
                            bar.update(event)
                        yield event
                    return
                except grpc.RpcError as e:
                    if e.code() not in _RETRYABLE_STREAM:
                        raise errors.from_rpc_error(e, self.target) from None
                    why = e.details() or e.code().name
                finally:
                    stream.close()  # cancels the call when the caller stopped early
                if last_seq != seq_before:  # progress was made: the outage starts now
                    lost_since, backoff = None, _INITIAL_BACKOFF_S
                now = time.monotonic()
                lost_since = lost_since or now
                if now - lost_since > reconnect_timeout:
                    raise errors.UnavailableError(
                        f"gave up watching job {job_id} after the scheduler {self.target} "
                        f"stayed unreachable for {reconnect_timeout:.0f} s; resume with "
                        f"watch({job_id!r}, after_seq={last_seq}). Last error: {why}")
                time.sleep(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF_S)
        finally:
            if bar:
                bar.close()

    def wait(self, job_id: str, *, progress: Optional[bool] = None) -> pb.Job:
        """Follows the job until it is final and returns it when it SUCCEEDED.

        Raises:
            JobFailedError, JobCancelledError: the job ended otherwise (``error.job``).
        """
        for _ in self.watch(job_id, progress=progress):
            pass
        job = self.get(job_id)
        if job.state == events.JobState.FAILED:
            raise errors.JobFailedError(f"job {job_id} FAILED: {job.state_reason}", job)
        if job.state == events.JobState.CANCELLED:
            raise errors.JobCancelledError(f"job {job_id} CANCELLED: {job.state_reason}", job)
        return job

    def metrics(self, job_id: str) -> metrics_lib.Metrics:
        """The job's loss, evaluation and topology series so far (a snapshot; it does not
        wait for a running job). ``.dataframe()`` gives pandas DataFrames."""
        last_seq = self.get(job_id).last_seq
        stream = self.watch(job_id, progress=False)
        collected = metrics_lib.Metrics(job_id)
        for event in stream:
            collected.add(event)
            if event.seq >= last_seq:
                stream.close()
                break
        return collected

    # ----- artifacts

    def download(self, job_id: str, dest: Union[str, "os.PathLike[str]"],
                 names: Optional[Iterable[str]] = None) -> List[Path]:
        """Writes the job's artifacts (all, or only `names`) under directory `dest`.

        Each file goes through a temporary ``.part`` file renamed once its size and sha256
        match what the scheduler announced. ``"checkpoint"`` names the latest checkpoint.
        Returns the written paths.

        Raises:
            NotFoundError: no such job or artifact.
            DataLossError: the received bytes do not match the announced size or sha256.
        """
        job = self.get(job_id)
        announced = {a.name: a for a in job.artifacts}
        wanted = list(names) if names is not None else list(announced)
        root = Path(dest)
        written = []
        for name in wanted:
            relative = PurePosixPath(name)
            if relative.is_absolute() or ".." in relative.parts or not relative.parts:
                raise errors.InvalidArgumentError(f"artifact name {name!r} is not a relative path")
            path = root.joinpath(*relative.parts)
            info = announced.get(name)
            self._download_one(job_id, name, path, info.sha256 if info else "")
            written.append(path)
        return written

    def _download_one(self, job_id: str, name: str, path: Path, expected_sha256: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        digest, received, total, announced = hashlib.sha256(), 0, 0, expected_sha256
        call = self._stub.GetArtifact(pb.GetArtifactRequest(job_id=job_id, name=name),
                                      metadata=self._metadata)
        try:
            with open(partial, "wb") as out:
                for chunk in call:
                    if received == 0:
                        total, announced = chunk.total_size, chunk.sha256 or announced
                    if chunk.offset != received:
                        raise errors.DataLossError(
                            f"{name}: chunk at offset {chunk.offset} after {received} bytes")
                    out.write(chunk.data)
                    digest.update(chunk.data)
                    received += len(chunk.data)
            if total and received != total:
                raise errors.DataLossError(f"{name}: got {received} of {total} bytes")
            if announced and announced.lower() != digest.hexdigest():
                raise errors.DataLossError(f"{name}: sha256 mismatch: expected {announced}, "
                                           f"got {digest.hexdigest()}")
            os.replace(partial, path)
        except grpc.RpcError as e:
            partial.unlink(missing_ok=True)
            raise errors.from_rpc_error(e, self.target) from None
        except BaseException:
            call.cancel()
            partial.unlink(missing_ok=True)
            raise

    # ----- internals

    def _watch_once(self, job_id: str, after_seq: int) -> Iterator[events.Event]:
        """One watch stream from `after_seq` to its end. Raises grpc.RpcError when it
        breaks (a retryable one also when it ended before the job's last event)."""
        last_seq, received = after_seq, False
        request = pb.WatchJobRequest(job_id=job_id, after_seq=after_seq)
        batched = not self._watch_unbatched
        call = (self._stub.WatchJobBatched if batched else self._stub.WatchJob)(
            request, metadata=self._metadata)
        try:
            for message in call:
                received = True
                for event in (message.events if batched else (message,)):
                    if event.seq <= last_seq:
                        continue  # replayed again after a reconnect
                    last_seq = event.seq
                    yield events.from_proto(event)
        except grpc.RpcError as e:
            if batched and not received and e.code() == grpc.StatusCode.UNIMPLEMENTED:
                self._watch_unbatched = True  # a scheduler older than WatchJobBatched
                yield from self._watch_once(job_id, after_seq)
                return
            raise
        finally:
            call.cancel()  # a no-op once finished; stops the stream when closed early
        # The stream ends once the job is final and every event was sent; a scheduler
        # that shuts down may end it early as well, so confirm.
        job = self._stub.GetJob(pb.GetJobRequest(job_id=job_id), timeout=self._timeout,
                                metadata=self._metadata)
        if events.JobState(job.state).is_final and (job.last_seq <= last_seq or not received):
            return
        raise _StreamEndedEarly()

    def _call(self, method: Callable[..., T], request: object,
              after_retry: Optional[Callable[[errors.PtuneError], Optional[T]]] = None) -> T:
        """Runs a unary call, retrying UNAVAILABLE with backoff; maps errors. When a
        retry fails otherwise, `after_retry` may turn the error into a result (the first
        attempt may have taken effect before its answer was lost)."""
        backoff = _INITIAL_BACKOFF_S
        for attempt in range(self._retries):
            try:
                return method(request, timeout=self._timeout, metadata=self._metadata)
            except grpc.RpcError as e:
                error = errors.from_rpc_error(e, self.target)
                if attempt > 0 and after_retry is not None:
                    result = after_retry(error)
                    if result is not None:
                        return result
                if e.code() != grpc.StatusCode.UNAVAILABLE or attempt + 1 == self._retries:
                    raise error from None
            time.sleep(backoff)
            backoff = min(backoff * 2, _MAX_BACKOFF_S)
        raise AssertionError("unreachable")


class _StreamEndedEarly(grpc.RpcError):
    """The watch stream ended cleanly before the job's last event (a scheduler
    shutting down): retried like UNAVAILABLE."""

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.UNAVAILABLE

    def details(self) -> str:
        return "the event stream ended before the job finished"


def _credentials(tls: TlsOption) -> Optional[grpc.ChannelCredentials]:
    if tls is None or tls is False:
        return None
    if tls is True:
        return grpc.ssl_channel_credentials()
    if isinstance(tls, grpc.ChannelCredentials):
        return tls
    return grpc.ssl_channel_credentials(root_certificates=Path(tls).read_bytes())


def _state(state: StateLike) -> int:
    if isinstance(state, str):
        name = state.upper()
        name = name[len("JOB_STATE_"):] if name.startswith("JOB_STATE_") else name
        try:
            return events.JobState[name].value
        except KeyError:
            raise errors.InvalidArgumentError(f"unknown job state {state!r}") from None
    return int(state)
