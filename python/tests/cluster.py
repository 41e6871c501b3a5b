"""Real ptune-scheduler and ptune-worker processes on 127.0.0.1 for the SDK tests.

The binaries come from $PTUNE_SCHEDULER_BIN / $PTUNE_WORKER_BIN (set by the CTest
entry), else the default build directory. Processes are started with subprocess and
stopped by their PID only.
"""
import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional

import grpc

REPO = Path(__file__).resolve().parents[2]


def binary(env: str, default: str) -> str:
    path = os.environ.get(env) or str(REPO / "build" / default)
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"{path} is not an executable; build it "
                           f"(cmake --build build --target {Path(default).name}) or set ${env}")
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tiny_spec(name: str, steps: int = 6, checkpoint_every: int = 3, **data: object) -> dict:
    """The e2e suite's fast job: USE-Lite, 64 training sentences, a 4-token prompt."""
    return {
        "name": name,
        "model": {"source": "use-lite"},
        "data": {"dataset": "uci-sentiment", "max_seq_len": 16, "max_train_examples": 64,
                 "validation_fraction": 0.02, "test_fraction": 0.02, **data},
        "method": "pt",
        "prompt": {"length": 4},
        "train": {"steps": steps, "batch_size": 4, "eval_every": steps,
                  "checkpoint_every": checkpoint_every},
        "topology": {"every": 2, "diagram_every": 0},
    }


class Process:
    """One child process with its output in a log file."""

    def __init__(self, argv: List[str], log_path: Path) -> None:
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self.popen = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
        if self.popen.poll() is None:
            os.kill(self.popen.pid, sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        self._log.close()

    def tail(self, n: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-n:]


class Cluster:
    """A scheduler on a fixed free port and SQLite file, plus workers."""

    def __init__(self, directory: Path, tokens: Optional[Dict[str, str]] = None,
                 lease_timeout: str = "2s") -> None:
        self.dir = directory
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.store = directory / "ptune.db"
        self.lease_timeout = lease_timeout
        self.tokens_file: Optional[Path] = None
        if tokens:
            self.tokens_file = directory / "tokens"
            self.tokens_file.write_text("".join(f"{t} {grant}\n" for t, grant in tokens.items()))
        self.scheduler: Optional[Process] = None
        self.workers: Dict[str, Process] = {}
        self._starts = 0

    def start_scheduler(self) -> None:
        """Starts (or restarts, on the same store and port) the scheduler."""
        self._starts += 1
        argv = [binary("PTUNE_SCHEDULER_BIN", "server/ptune-scheduler"),
                "--listen", self.address, "--store", str(self.store),
                "--lease-timeout", self.lease_timeout, "--shutdown-grace", "1s"]
        if self.tokens_file:
            argv += ["--tokens-file", str(self.tokens_file)]
        self.scheduler = Process(argv, self.dir / f"scheduler-{self._starts}.log")
        self._wait_serving()

    def kill_scheduler(self) -> None:
        """SIGKILL: a crash, nothing flushed beyond what was committed."""
        assert self.scheduler is not None
        self.scheduler.stop(signal.SIGKILL)

    def start_worker(self, worker_id: str = "w1") -> None:
        argv = [binary("PTUNE_WORKER_BIN", "worker/agent/ptune-worker"),
                "--scheduler", self.address, "--id", worker_id,
                "--work-dir", str(self.dir / worker_id), "--threads", "1",
                "--shutdown-timeout", "30"]
        self.workers[worker_id] = Process(argv, self.dir / f"{worker_id}.log")

    def stop(self) -> None:
        for worker in self.workers.values():  # first, so they do not spin reconnecting
            worker.stop(signal.SIGKILL)
        if self.scheduler:
            self.scheduler.stop()

    def logs(self) -> str:
        parts = [f"--- scheduler:\n{self.scheduler.tail()}"] if self.scheduler else []
        parts += [f"--- {w}:\n{p.tail()}" for w, p in self.workers.items()]
        return "\n".join(parts)

    def _wait_serving(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.scheduler is not None
            if self.scheduler.popen.poll() is not None:
                raise RuntimeError(f"the scheduler exited:\n{self.scheduler.tail()}")
            with grpc.insecure_channel(self.address) as channel:
                try:
                    grpc.channel_ready_future(channel).result(timeout=0.5)
                    return
                except grpc.FutureTimeoutError:
                    pass
        raise RuntimeError(f"the scheduler did not listen on {self.address}:\n{self.logs()}")


@contextlib.contextmanager
def running_cluster(directory: Path, workers: Iterable[str] = ("w1",),
                    **options: object) -> Iterator[Cluster]:
    """A Cluster (`options` as for Cluster) with its scheduler and `workers` started;
    every process is stopped on exit, also when starting one failed."""
    c = Cluster(directory, **options)  # type: ignore[arg-type]
    try:
        c.start_scheduler()
        for worker_id in workers:
            c.start_worker(worker_id)
        yield c
    finally:
        c.stop()
