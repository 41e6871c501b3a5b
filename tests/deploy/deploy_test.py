#!/usr/bin/env python3
"""Keeps deploy/ and docker/ in step with the binaries they run.

No Docker engine or cluster runs here, so the images are never built in CI; what can
drift silently is checked instead, against the real binaries:
  * every YAML file parses and every Kubernetes document is well formed;
  * promtool accepts the Prometheus configuration;
  * every flag that the Dockerfile, Compose and the Kubernetes manifests pass exists in
    the binary's --help;
  * the real scheduler starts with the Kubernetes ConfigMap's settings and the Secret's
    tokens file, and the real worker starts with the manifests' worker flags;
  * every ptune_ metric the Grafana dashboard queries is one the services export.

  deploy_test.py --scheduler PATH --worker PATH   (CTest passes both)
"""

import argparse
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPLOY = os.path.join(ROOT, "deploy")
BINARIES = {}  # "ptune-scheduler" / "ptune-worker" -> path, from the command line


def deploy_yaml_files():
    for folder, _, names in os.walk(DEPLOY):
        for name in sorted(names):
            if name.endswith((".yaml", ".yml")):
                yield os.path.join(folder, name)


def k8s_documents():
    for name in sorted(os.listdir(os.path.join(DEPLOY, "k8s"))):
        if name == "kustomization.yaml":
            continue
        with open(os.path.join(DEPLOY, "k8s", name)) as f:
            for doc in yaml.safe_load_all(f):
                if doc:
                    yield name, doc


def dockerfile_commands():
    """{stage: (ENTRYPOINT list, CMD list)} of docker/Dockerfile (JSON form only)."""
    stages, stage = {}, None
    with open(os.path.join(ROOT, "docker", "Dockerfile")) as f:
        text = f.read().replace("\\\n", " ")
    for line in text.splitlines():
        words = line.split(None, 1)
        if not words:
            continue
        if words[0] == "FROM":
            stage = line.split()[-1]
            stages[stage] = ([], [])
        elif words[0] in ("ENTRYPOINT", "CMD"):
            stages[stage][0 if words[0] == "ENTRYPOINT" else 1][:] = json.loads(words[1])
    return stages


def k8s_container_args(image_prefix):
    for name, doc in k8s_documents():
        spec = doc.get("spec", {}).get("template", {}).get("spec", {})
        for container in spec.get("containers", []):
            if container["image"].startswith(image_prefix):
                yield name, container.get("args", [])


def flags_of(words):
    return {w.split("=", 1)[0] for w in words if w.startswith("--")}


def help_flags(binary):
    out = subprocess.run([binary, "--help"], capture_output=True, text=True, check=True).stdout
    return set(re.findall(r"(--[a-z0-9-]+)", out))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_metrics(port, process, seconds=20):
    """The /metrics text once it answers; fails if the process exits first."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited with {process.returncode} before serving /metrics")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
                return r.read().decode()
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"no /metrics on port {port} within {seconds} s")


def stop(process, seconds=30):
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError(f"did not exit within {seconds} s of SIGTERM")


class DeployFilesTest(unittest.TestCase):
    def test_every_yaml_file_parses(self):
        files = list(deploy_yaml_files())
        self.assertGreater(len(files), 5)
        for path in files:
            with self.subTest(path=os.path.relpath(path, ROOT)), open(path) as f:
                list(yaml.safe_load_all(f))

    def test_kubernetes_documents_are_well_formed_and_all_listed(self):
        with open(os.path.join(DEPLOY, "k8s", "kustomization.yaml")) as f:
            listed = set(yaml.safe_load(f)["resources"])
        seen = set()
        for name, doc in k8s_documents():
            seen.add(name)
            with self.subTest(file=name, kind=doc.get("kind")):
                for key in ("apiVersion", "kind", "metadata"):
                    self.assertIn(key, doc)
                self.assertEqual(doc["metadata"].get("namespace", "ptune"), "ptune")
        self.assertEqual(seen, listed, "kustomization.yaml must list every manifest")

    def test_promtool_accepts_the_prometheus_config(self):
        result = subprocess.run(
            ["promtool", "check", "config", os.path.join(DEPLOY, "prometheus", "prometheus.yml")],
            capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)


class DeployFlagsTest(unittest.TestCase):
    def check_flags(self, binary, words, where):
        unknown = flags_of(words) - help_flags(BINARIES[binary])
        self.assertFalse(unknown, f"{where} passes flags {binary} does not have: {unknown}")

    def test_dockerfile_commands_use_existing_flags(self):
        stages = dockerfile_commands()
        for stage in ("scheduler", "worker"):
            entrypoint, cmd = stages[stage]
            self.assertEqual(entrypoint[0], f"ptune-{stage}")
            self.check_flags(entrypoint[0], entrypoint[1:] + cmd, f"Dockerfile stage {stage}")

    def test_compose_commands_use_existing_flags(self):
        with open(os.path.join(DEPLOY, "compose.yaml")) as f:
            services = yaml.safe_load(f)["services"]
        for service in ("scheduler", "worker"):
            command = services[service].get("command", [])
            if isinstance(command, str):
                command = shlex.split(command)
            self.check_flags(f"ptune-{service}", command, f"compose service {service}")

    def test_kubernetes_args_use_existing_flags(self):
        checked = 0
        for binary in ("ptune-scheduler", "ptune-worker"):
            for name, args in k8s_container_args(binary):
                self.check_flags(binary, args, f"deploy/k8s/{name}")
                checked += 1
        self.assertGreaterEqual(checked, 3, "scheduler, CPU and GPU worker manifests")


class DeployStartTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="ptune-deploy-")

    def tearDown(self):
        self.dir.cleanup()

    def k8s_data(self, kind, name, key):
        for _, doc in k8s_documents():
            if doc["kind"] == kind and doc["metadata"]["name"] == name:
                return doc.get("data", doc.get("stringData"))[key]
        raise AssertionError(f"no {kind} {name} in deploy/k8s")

    def write(self, name, text):
        path = os.path.join(self.dir.name, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_scheduler_starts_with_the_configmap_and_the_tokens_secret(self):
        config = self.write("scheduler.ini",
                            self.k8s_data("ConfigMap", "ptune-scheduler-config", "scheduler.ini"))
        tokens = self.write("tokens", self.k8s_data("Secret", "ptune-tokens", "tokens"))
        metrics_port = free_port()
        # The image's ENTRYPOINT flags, on loopback and a temporary store, then the
        # manifest's args with the mounted files' paths replaced.
        args = [a.replace("/etc/ptune/scheduler.ini", config)
                 .replace("/etc/ptune-tokens/tokens", tokens)
                for _, container_args in k8s_container_args("ptune-scheduler")
                for a in container_args]
        with subprocess.Popen(
                [BINARIES["ptune-scheduler"], "--listen", "127.0.0.1:0",
                 "--store", os.path.join(self.dir.name, "ptune.db"),
                 "--metrics-listen", f"127.0.0.1:{metrics_port}", *args],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as process:
            try:
                self.assertIn("ptune_jobs_submitted_total",
                              wait_for_metrics(metrics_port, process))
            finally:
                code = stop(process)
            log = process.stdout.read()
        self.assertEqual(code, 0, log)
        self.assertNotIn("INSECURE", log, "the tokens file must switch insecure mode off")
        self.assertNotIn("change-me", log, "secrets never appear in logs")

    def test_worker_starts_with_the_manifests_flags(self):
        metrics_port = free_port()
        for name, args in k8s_container_args("ptune-worker"):
            with self.subTest(manifest=name):
                args = [a for a in args if not a.startswith(("--scheduler", "--id"))]
                with subprocess.Popen(
                        [BINARIES["ptune-worker"], "--scheduler", f"127.0.0.1:{free_port()}",
                         "--id", "deploy-test", "--work-dir", os.path.join(self.dir.name, "work"),
                         "--metrics-listen", f"127.0.0.1:{metrics_port}", *args],
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                        env={**os.environ, "PTUNE_TOKEN": "change-me-worker"}) as process:
                    try:
                        self.assertIn("ptune_worker_connected",
                                      wait_for_metrics(metrics_port, process))
                    finally:
                        code = stop(process)
                    self.assertEqual(code, 0, process.stdout.read())


class DashboardTest(unittest.TestCase):
    def test_dashboard_queries_only_exported_metrics(self):
        exported = set()
        for folder in ("server", os.path.join("worker", "agent")):
            for name in os.listdir(os.path.join(ROOT, folder)):
                if name.endswith(".cc"):
                    with open(os.path.join(ROOT, folder, name)) as f:
                        exported |= set(re.findall(r'"(ptune_[a-z0-9_]+)"', f.read()))
        with open(os.path.join(DEPLOY, "grafana", "dashboards", "ptune.json")) as f:
            dashboard = json.load(f)
        exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
        self.assertGreater(len(exprs), 5)
        for expr in exprs:
            for metric in re.findall(r"\b(ptune_[a-z0-9_]+)", expr):
                family = re.sub(r"_(bucket|sum|count)$", "", metric)
                with self.subTest(metric=metric):
                    self.assertIn(family, exported, f"dashboard query {expr!r}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--scheduler", required=True)
    parser.add_argument("--worker", required=True)
    options, rest = parser.parse_known_args()
    BINARIES.update({"ptune-scheduler": options.scheduler, "ptune-worker": options.worker})
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)
