#!/usr/bin/env python3
"""The compose stack for real: images built, stack up, a job trained, metrics seen, down.

  compose_test.py --build-dir BUILD [--keep-dir]      (CTest: deploy_compose)

On a private Docker daemon (scripts/docker-daemon.sh: its own data/exec roots under a
temporary directory, no bridge, no iptables), every container on host networking,
talking over 127.0.0.1 only, on free ports:
  1. imports the offline base image (debootstrap, cached in $PTUNE_CACHE/docker) and
     builds ptune-scheduler, ptune-worker and ptune-prometheus from BUILD's binaries;
  2. ups deploy/compose.yaml + deploy/compose.ci.yaml (scheduler with a tokens file, two
     workers, Prometheus scraping all three);
  3. submits tests/deploy/compose-job.yaml with the host's ptunectl and watches it to
     SUCCEEDED;
  4. queries Prometheus's HTTP API until the ptune_ series show that job (finished
     counters, the worker that ran it), every target is up, and every query of the
     Grafana dashboard is valid PromQL there;
  5. scales worker-2 to 0 (it must exit 0 on SIGTERM, the scheduler must see one worker)
     and back to 1;
  6. downs the stack, stops the daemon, and fails if a container, volume, network,
     process or mount is left.
Exits 77 (CTest: skipped) when not root or docker.io / docker-compose is missing.
"""

import argparse
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCKER = "/usr/bin/docker"
COMPOSE = "/usr/bin/docker-compose"
DOCKERD = "/usr/sbin/dockerd"
JOB_SPEC = os.path.join(ROOT, "tests", "deploy", "compose-job.yaml")
SKIP = 77


class Failure(Exception):
    pass


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def wait_until(what, probe, seconds, interval=1.0):
    """probe() -> a true value when done; returns it, or raises naming `what`."""
    deadline = time.time() + seconds
    last = None
    while time.time() < deadline:
        try:
            value = probe()
            if value:
                return value
        except (OSError, ValueError, KeyError, subprocess.CalledProcessError) as e:
            last = e
        time.sleep(interval)
    raise Failure(f"{what}: not within {seconds} s" + (f" (last error: {last})" if last else ""))


class Stack:
    def __init__(self, options, work):
        self.options = options
        self.work = work
        self.docker_dir = os.path.join(work, "docker")
        self.env = {**os.environ, "DOCKER_HOST": f"unix://{self.docker_dir}/sock",
                    "DOCKER_BUILDKIT": "1", "COMPOSE_DOCKER_CLI_BUILD": "1"}
        (self.grpc, self.scheduler_metrics, self.worker1_metrics, self.worker2_metrics,
         self.prometheus) = free_ports(5)
        self.admin_token, self.worker_token, self.user_token = (
            secrets.token_hex(16) for _ in range(3))
        self.project = f"ptuneci{os.getpid()}"
        self.timings = []

    # --- helpers ---------------------------------------------------------------------
    def run(self, argv, check=True, timeout=900, env=None, quiet=False):
        result = subprocess.run(argv, env=env or self.env, capture_output=True, text=True,
                                timeout=timeout)
        if check and result.returncode != 0:
            raise Failure(f"{' '.join(argv)} exited {result.returncode}:\n"
                          f"{result.stdout[-3000:]}{result.stderr[-3000:]}")
        if not quiet and result.stdout.strip():
            print(result.stdout.rstrip(), flush=True)
        return result

    def step(self, name, function, *args):
        start = time.time()
        log(f"{name} ...")
        value = function(*args)
        seconds = time.time() - start
        self.timings.append((name, seconds))
        log(f"{name}: {seconds:.1f} s")
        return value

    def compose(self, *args, **kwargs):
        files = ["-f", os.path.join(ROOT, "deploy", "compose.yaml"),
                 "-f", os.path.join(ROOT, "deploy", "compose.ci.yaml")]
        return self.run([COMPOSE, "-p", self.project, *files, *args], **kwargs)

    def ptunectl(self, *args, token=None, check=True, timeout=120):
        env = {**os.environ, "CI": "true", "PTUNE_TOKEN": token or self.user_token}
        return self.run([self.options.ptunectl, "--server", f"127.0.0.1:{self.grpc}", *args],
                        env=env, check=check, timeout=timeout, quiet=True)

    def prometheus_query(self, query):
        url = (f"http://127.0.0.1:{self.prometheus}/api/v1/query?"
               + urllib.parse.urlencode({"query": query}))
        with urllib.request.urlopen(url, timeout=5) as response:
            body = json.load(response)
        if body.get("status") != "success":
            raise Failure(f"Prometheus refused {query!r}: {body}")
        return body["data"]["result"]

    def connected_workers(self):
        out = self.ptunectl("workers", "-o", "json", token=self.admin_token).stdout
        workers = json.loads(out) if out.strip() else []
        if isinstance(workers, dict):
            workers = workers.get("workers", [])
        return sorted(w.get("workerId", w.get("worker_id", "")) for w in workers
                      if "LOST" not in str(w.get("state", "")))

    # --- steps -----------------------------------------------------------------------
    def start_daemon(self):
        self.run([os.path.join(ROOT, "scripts", "docker-daemon.sh"), "start", self.docker_dir])

    def build_images(self):
        self.run([os.path.join(ROOT, "scripts", "docker-images.sh"), "--tag", "ci",
                  "--build-dir", self.options.build_dir], timeout=1200)

    def write_configuration(self):
        tokens = os.path.join(self.work, "tokens")
        with open(tokens, "w") as f:
            f.write(f"{self.admin_token} ops admin\n{self.worker_token} workers worker\n"
                    f"{self.user_token} team-ci\n")
        os.chmod(tokens, 0o644)  # read by the image's unprivileged user
        # deploy/prometheus/prometheus.yml with this run's ports for its default ones.
        with open(os.path.join(ROOT, "deploy", "prometheus", "prometheus.yml")) as f:
            text = f.read()
        ports = {"9464": self.scheduler_metrics, "9465": self.worker1_metrics,
                 "9466": self.worker2_metrics}
        for default, port in ports.items():
            if f"127.0.0.1:{default}" not in text:
                raise Failure(f"deploy/prometheus/prometheus.yml lacks target 127.0.0.1:{default}")
            text = text.replace(f"127.0.0.1:{default}", f"127.0.0.1:{port}")
        config = os.path.join(self.work, "prometheus.yml")
        with open(config, "w") as f:
            f.write(text)
        os.chmod(config, 0o644)
        self.env.update({
            "PTUNE_TAG": "ci", "PTUNE_TOKENS_FILE": tokens,
            "PTUNE_WORKER_TOKEN": self.worker_token,
            "PTUNE_GRPC_LISTEN": f"127.0.0.1:{self.grpc}",
            "PTUNE_SCHEDULER_ADDRESS": f"127.0.0.1:{self.grpc}",
            "PTUNE_SCHEDULER_METRICS_PORT": str(self.scheduler_metrics),
            "PTUNE_WORKER1_METRICS_PORT": str(self.worker1_metrics),
            "PTUNE_WORKER2_METRICS_PORT": str(self.worker2_metrics),
            "PTUNE_PROMETHEUS_PORT": str(self.prometheus),
            "PTUNE_PROMETHEUS_CONFIG": config, "PTUNE_WORKER_THREADS": "1"})

    def up(self):
        self.compose("up", "-d", timeout=300)
        wait_until("both workers connected to the scheduler",
                   lambda: self.connected_workers() == ["compose-worker-1", "compose-worker-2"],
                   120)

    def train(self):
        job = self.ptunectl("submit", JOB_SPEC, "-o", "id").stdout.strip()
        if not re.fullmatch(r"[A-Za-z0-9_-]+", job):
            raise Failure(f"ptunectl submit printed {job!r}, not a job id")
        log(f"job {job} submitted")
        watch = self.ptunectl("watch", job, "-o", "plain", check=False, timeout=900)
        tail = "\n".join(watch.stdout.splitlines()[-5:])
        print(tail, flush=True)
        got = json.loads(self.ptunectl("get", job, "-o", "json").stdout)
        if watch.returncode != 0 or got.get("state") != "JOB_STATE_SUCCEEDED":
            raise Failure(f"job {job}: watch exited {watch.returncode}, state "
                          f"{got.get('state')}:\n{watch.stdout[-2000:]}{watch.stderr[-2000:]}")
        # The job's worker_id is cleared once it is final; the watch names the worker.
        ran_on = re.findall(r"-> SUCCEEDED on (\S+)", watch.stdout)
        if not ran_on or ran_on[-1] not in ("compose-worker-1", "compose-worker-2"):
            raise Failure(f"job {job}: no 'SUCCEEDED on compose-worker-N' in the watch")
        return job, ran_on[-1]

    def check_prometheus(self, worker):
        def one(query):
            result = self.prometheus_query(query)
            return result and float(result[0]["value"][1])
        wait_until("Prometheus: the scheduler counted the job succeeded",
                   lambda: one('sum(ptune_jobs_finished_total{result="succeeded"}) >= 1'), 60)
        wait_until(f"Prometheus: worker {worker} counted the job succeeded",
                   lambda: one(f'ptune_worker_jobs_total{{worker="{worker}",result="succeeded"}}'
                               ' >= 1'), 60)
        wait_until("Prometheus: the job's events were ingested",
                   lambda: one("ptune_events_ingested_total > 0"), 60)
        up = self.prometheus_query("up")
        down = [r["metric"] for r in up if r["value"][1] != "1"]
        if len(up) != 3 or down:
            raise Failure(f"Prometheus targets: {len(up)} (want 3), down: {down}")
        with open(os.path.join(ROOT, "deploy", "grafana", "dashboards", "ptune.json")) as f:
            dashboard = json.load(f)
        exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
        for expr in exprs:
            self.prometheus_query(expr)  # raises on invalid PromQL
        log(f"Prometheus: 3 targets up, job counted, {len(exprs)} dashboard queries valid")

    def scale(self):
        container = self.compose("ps", "-q", "worker-2", quiet=True).stdout.strip()
        self.compose("stop", "-t", "60", "worker-2")
        code = self.run([DOCKER, "inspect", "-f", "{{.State.ExitCode}}", container],
                        quiet=True).stdout.strip()
        if code != "0":
            raise Failure(f"worker-2 exited {code} on SIGTERM (want 0)")
        self.compose("up", "-d", "--scale", "worker-2=0")
        wait_until("scheduler sees one worker after scaling worker-2 to 0",
                   lambda: self.connected_workers() == ["compose-worker-1"], 90)
        self.compose("up", "-d", "--scale", "worker-2=1")
        wait_until("scheduler sees two workers after scaling worker-2 back to 1",
                   lambda: self.connected_workers() == ["compose-worker-1", "compose-worker-2"],
                   90)

    def down(self):
        self.compose("down", "-v", "--remove-orphans", "-t", "60")
        left = {what: self.run([DOCKER, what, "ls", "-q"] if what != "container" else
                               [DOCKER, "ps", "-aq"], quiet=True).stdout.split()
                for what in ("container", "volume")}
        networks = self.run([DOCKER, "network", "ls", "--format", "{{.Name}}"],
                            quiet=True).stdout.split()
        extra = sorted(set(networks) - {"host", "none"})
        if left["container"] or left["volume"] or extra:
            raise Failure(f"left after down: containers {left['container']}, volumes "
                          f"{left['volume']}, networks {extra}")

    def stop_daemon(self):
        pid_file = os.path.join(self.docker_dir, "started-pid")
        pid = int(open(pid_file).read()) if os.path.exists(pid_file) else None
        self.run([os.path.join(ROOT, "scripts", "docker-daemon.sh"), "stop", self.docker_dir])
        problems = []
        if pid and os.path.exists(f"/proc/{pid}"):
            problems.append(f"dockerd {pid} still runs")
        real = os.path.realpath(self.work)
        with open("/proc/self/mounts") as f:
            mounts = [line.split()[1] for line in f if line.split()[1].startswith(real)]
        if mounts:
            problems.append(f"mounts left: {mounts}")
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/cmdline", "rb") as f:
                        cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
                except OSError:
                    continue
                if self.docker_dir in cmdline or self.project in cmdline:
                    problems.append(f"process {entry} left: {cmdline[:200]}")
        if problems:
            raise Failure("; ".join(problems))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--ptunectl")
    parser.add_argument("--keep-dir", action="store_true", help="keep the temporary dir")
    options = parser.parse_args()
    options.build_dir = os.path.abspath(options.build_dir)
    options.ptunectl = options.ptunectl or os.path.join(options.build_dir, "client", "ptunectl")
    if os.geteuid() != 0:
        print("compose_test: skipped: needs root (a private dockerd)")
        return SKIP
    for tool in (DOCKERD, DOCKER, COMPOSE):
        if not os.access(tool, os.X_OK):
            print(f"compose_test: skipped: {tool} missing (apt-get install docker.io "
                  "docker-compose debootstrap; scripts/setup.sh does)")
            return SKIP

    work = tempfile.mkdtemp(prefix="ptune-compose-", dir="/tmp")
    stack = Stack(options, work)
    start = time.time()
    failure = None
    try:
        stack.step("dockerd", stack.start_daemon)
        stack.step("images", stack.build_images)
        stack.write_configuration()
        stack.step("compose up", stack.up)
        job, worker = stack.step("job to SUCCEEDED", stack.train)
        stack.step("Prometheus sees the job", stack.check_prometheus, worker)
        stack.step("scale worker-2 0 -> 1", stack.scale)
        stack.step("compose down", stack.down)
    except (Failure, subprocess.TimeoutExpired) as e:
        failure = e
        try:
            print(stack.compose("logs", "--no-color", "--tail", "40", check=False,
                                quiet=True).stdout[-8000:])
            stack.compose("down", "-v", "--remove-orphans", "-t", "10", check=False)
        except (OSError, subprocess.TimeoutExpired) as cleanup_error:
            print(f"compose_test: cleanup: {cleanup_error}")
    finally:
        try:
            stack.step("dockerd stopped, nothing left", stack.stop_daemon)
        except Failure as e:
            failure = failure or e
        if not options.keep_dir:
            shutil.rmtree(work, ignore_errors=True)
    for name, seconds in stack.timings:
        print(f"compose_test: {name:32s} {seconds:6.1f} s")
    print(f"compose_test: total {time.time() - start:.1f} s")
    if failure:
        print(f"compose_test: FAILED: {failure}")
        return 1
    print("compose_test: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
