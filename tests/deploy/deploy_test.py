#!/usr/bin/env python3
"""Keeps deploy/ and docker/ in step with the binaries they run and with each other.

What the other deploy checks do not cover (deploy_k8s_check: schemas and alert unit
tests; deploy_compose: the images built and the stack run), checked here in seconds:
  * every YAML file parses; every base manifest is listed in its kustomization;
    promtool accepts the Prometheus configuration;
  * every flag the Dockerfiles, Compose and the rendered Kubernetes overlays pass exists
    in the binary's --help;
  * the Dockerfiles: pinned bases, COPY sources that exist, unprivileged users, health
    checks, the CUDA image's build packages against scripts/setup.sh's;
  * Compose: host networking only, 127.0.0.1 only, no published ports;
  * the rendered overlays hang together: Services, monitors and policies select the pods
    and ports that exist, referenced ConfigMaps/Secrets exist, the scheduler is one
    Recreate replica on a PVC with native gRPC probes, workers' grace periods outlast
    --shutdown-timeout, GPU workers request a GPU with anti-affinity and a PDB, the
    autoscalers target the workers and query a rule that exists;
  * the real scheduler starts with the ConfigMap and the tokens Secret, the real worker
    with each overlay's flags; the Grafana dashboard queries only exported metrics.

  deploy_test.py --scheduler PATH --worker PATH   (CTest passes both)
"""

import argparse
import json
import os
import re
import shlex
import shutil
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
K8S = os.path.join(DEPLOY, "k8s")
OVERLAYS = sorted(os.listdir(os.path.join(K8S, "overlays")))
BINARIES = {}  # "ptune-scheduler" / "ptune-worker" -> path, from the command line
IMAGE_UID = "10001"  # docker/*.Dockerfile useradd --uid; the manifests' runAsUser


def deploy_yaml_files():
    for folder, _, names in os.walk(DEPLOY):
        if "node_modules" in folder:
            continue
        for name in sorted(names):
            if name.endswith((".yaml", ".yml")):
                yield os.path.join(folder, name)


_rendered = {}


def rendered(overlay):
    """The objects `kubectl kustomize` renders for deploy/k8s/overlays/OVERLAY."""
    if overlay not in _rendered:
        if not shutil.which("kubectl"):
            raise unittest.SkipTest("kubectl not installed (docs/deploy.md: how to get it)")
        out = subprocess.run(["kubectl", "kustomize", os.path.join(K8S, "overlays", overlay)],
                             capture_output=True, text=True, check=True).stdout
        _rendered[overlay] = [d for d in yaml.safe_load_all(out) if d]
    return _rendered[overlay]


def find(objects, kind, name=None):
    found = [o for o in objects if o["kind"] == kind and name in (None, o["metadata"]["name"])]
    if name is not None and len(found) != 1:
        raise AssertionError(f"expected one {kind} {name}, found {len(found)}")
    return found if name is None else found[0]


def containers_of(objects, binary):
    """(deployment, container) pairs whose container runs BINARY (by its image name)."""
    for d in find(objects, "Deployment"):
        for c in d["spec"]["template"]["spec"]["containers"]:
            image = c["image"].split(":")[0]
            if image == binary or (binary == "ptune-worker" and image == "ptune-worker-cuda"):
                yield d, c


def dockerfile_stages(path):
    """{stage: {instruction: [argument strings]}} of a Dockerfile, continuations joined."""
    stages, stage, args = {}, None, {}
    with open(path) as f:
        text = f.read().replace("\\\n", " ")
    for line in text.splitlines():
        words = line.strip().split(None, 1)
        if not words or words[0].startswith("#"):
            continue
        if words[0] == "ARG" and stage is None and "=" in words[1]:
            name, value = words[1].split("=", 1)
            args[name] = value  # global ARGs: what FROM lines may use
        if words[0] == "FROM":
            parts = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], words[1]).split()
            stage = parts[-1] if len(parts) >= 3 and parts[-2].upper() == "AS" else parts[0]
            stages[stage] = {"FROM": [parts[0]]}
        elif stage is not None:
            stages[stage].setdefault(words[0], []).append(words[1] if len(words) > 1 else "")
    return stages


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


def compose_services():
    with open(os.path.join(DEPLOY, "compose.yaml")) as f:
        return yaml.safe_load(f)["services"]


def as_words(command):
    return shlex.split(command) if isinstance(command, str) else list(command or [])


class DeployFilesTest(unittest.TestCase):
    def test_every_yaml_file_parses(self):
        files = list(deploy_yaml_files())
        self.assertGreater(len(files), 10)
        for path in files:
            with self.subTest(path=os.path.relpath(path, ROOT)), open(path) as f:
                list(yaml.safe_load_all(f))

    def test_every_base_manifest_is_listed(self):
        with open(os.path.join(K8S, "base", "kustomization.yaml")) as f:
            listed = set(yaml.safe_load(f)["resources"])
        present = {n for n in os.listdir(os.path.join(K8S, "base")) if n != "kustomization.yaml"}
        self.assertEqual(present, listed, "base/kustomization.yaml must list every manifest")
        self.assertIn("cpu", OVERLAYS)
        self.assertIn("gpu", OVERLAYS)

    def test_promtool_accepts_the_prometheus_config(self):
        result = subprocess.run(
            ["promtool", "check", "config", os.path.join(DEPLOY, "prometheus", "prometheus.yml")],
            capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)


def image_command(dockerfile, stage):
    """(ENTRYPOINT, CMD) lists of a Dockerfile stage (JSON form)."""
    instructions = dockerfile_stages(os.path.join(ROOT, "docker", dockerfile))[stage]
    return (json.loads(instructions["ENTRYPOINT"][-1]),
            json.loads(instructions.get("CMD", ["[]"])[-1]))


IMAGES = {"ptune-scheduler": ("runtime.Dockerfile", "scheduler"),
          "ptune-worker": ("runtime.Dockerfile", "worker"),
          "ptune-worker-cuda": ("cuda.Dockerfile", "worker-cuda")}


def effective_argvs():
    """(where, binary, argv) of every way the images are run: the image's ENTRYPOINT with
    its CMD, compose's command or the Kubernetes args in place of CMD (what Docker and
    the kubelet do)."""
    for image, (dockerfile, stage) in IMAGES.items():
        entrypoint, cmd = image_command(dockerfile, stage)
        yield f"docker/{dockerfile} {stage}", entrypoint[0], entrypoint[1:] + cmd
    for name, service in compose_services().items():
        image = service["image"].split(":")[0]
        if image in IMAGES:
            entrypoint, cmd = image_command(*IMAGES[image])
            if "entrypoint" in service:
                entrypoint = as_words(service["entrypoint"])
            command = as_words(service["command"]) if "command" in service else cmd
            yield f"compose service {name}", entrypoint[0], entrypoint[1:] + command
    for overlay in OVERLAYS:
        for binary in ("ptune-scheduler", "ptune-worker"):
            for _, container in containers_of(rendered(overlay), binary):
                entrypoint, cmd = image_command(*IMAGES[container["image"].split(":")[0]])
                yield (f"overlay {overlay}", entrypoint[0],
                       entrypoint[1:] + container.get("args", cmd))


class DeployFlagsTest(unittest.TestCase):
    def test_every_way_of_running_the_images_passes_existing_flags_once(self):
        checked = set()
        for where, binary, argv in effective_argvs():
            with self.subTest(where=where):
                self.assertIn(binary, BINARIES)
                flags = [w.split("=", 1)[0] for w in argv if w.startswith("--")]
                unknown = set(flags) - help_flags(BINARIES[binary])
                self.assertFalse(unknown, f"{where} passes flags {binary} does not have")
                repeated = {f for f in flags if flags.count(f) > 1 and f != "--labels"}
                self.assertFalse(repeated, f"{where} passes {repeated} twice: {argv}")
                checked.add(where.split()[0])
        self.assertEqual(checked, {"docker/runtime.Dockerfile", "docker/cuda.Dockerfile",
                                   "compose", "overlay"})


class DockerfileTest(unittest.TestCase):
    CONTEXT = {"bin", "scheduler.packages", "worker.packages", "cache", "examples",
               "healthcheck.sh"}  # what scripts/docker-context.sh writes

    def stages(self, name):
        return dockerfile_stages(os.path.join(ROOT, "docker", name))

    def copy_sources(self, instructions):
        for argument in instructions.get("COPY", []):
            words = [w for w in argument.split() if not w.startswith("--")]
            if "--from=" not in argument:
                yield from words[:-1]

    def test_bases_are_pinned_and_copies_exist(self):
        for name in ("Dockerfile", "runtime.Dockerfile", "cuda.Dockerfile"):
            stages = self.stages(name)
            for stage, instructions in stages.items():
                base = instructions["FROM"][0]
                with self.subTest(dockerfile=name, stage=stage):
                    if base not in stages and base != "scratch":
                        self.assertRegex(base, r":[^:]*[0-9a-z]$")
                        self.assertNotRegex(base, r":latest$")
                    for source in self.copy_sources(instructions):
                        if name == "runtime.Dockerfile":
                            self.assertIn(source.split("/")[0], self.CONTEXT)
                        else:
                            self.assertTrue(os.path.exists(os.path.join(ROOT, source)), source)

    def test_runtime_images_are_unprivileged_with_health_checks_and_no_toolchain(self):
        for name, stage in (("runtime.Dockerfile", "scheduler"), ("runtime.Dockerfile", "worker"),
                            ("cuda.Dockerfile", "worker-cuda")):
            stages = self.stages(name)
            instructions = stages[stage]
            with self.subTest(dockerfile=name, stage=stage):
                self.assertEqual(instructions["USER"][-1], "ptune")
                self.assertIn("HEALTHCHECK", instructions)
                self.assertEqual(instructions["STOPSIGNAL"], ["SIGTERM"])
                chain, base = [instructions], instructions["FROM"][0]
                while base in stages:
                    chain.append(stages[base])
                    base = stages[base]["FROM"][0]
                text = " ".join(" ".join(v) for i in chain for k, v in i.items() if k == "RUN")
                self.assertIn(f"--uid {IMAGE_UID}", text)
                for toolchain in ("build-essential", "cmake", "-dev ", "setup.sh"):
                    self.assertNotIn(toolchain, text + " ")

    def test_cuda_build_installs_what_setup_sh_installs_for_the_service(self):
        with open(os.path.join(ROOT, "scripts", "setup.sh")) as f:
            setup = f.read()
        block = setup[setup.index("packages=(") + len("packages=("):setup.index("\n)\n")]
        wanted = {w for line in block.splitlines() for w in line.split("#")[0].split()
                  if w.endswith("-dev") or w.startswith("protobuf-compiler")}
        # CPU LibTorch (CUDA LibTorch instead), test/benchmark-only libraries.
        wanted -= {"libtorch-dev", "libgtest-dev", "libgmock-dev", "libbenchmark-dev",
                   "libgudhi-dev", "libboost-dev"}
        run = " ".join(self.stages("cuda.Dockerfile")["build"]["RUN"])
        missing = {p for p in wanted if not re.search(rf"(^|\s){re.escape(p)}(\s|$)", run)}
        self.assertFalse(missing, f"docker/cuda.Dockerfile lacks setup.sh packages {missing}")


class ComposeTest(unittest.TestCase):
    def test_host_networking_on_loopback_only(self):
        with open(os.path.join(DEPLOY, "compose.yaml")) as f:
            compose = yaml.safe_load(f)
        self.assertNotIn("networks", compose)
        with open(os.path.join(DEPLOY, "compose.yaml")) as f:
            text = f.read()
        for name, service in compose["services"].items():
            with self.subTest(service=name):
                self.assertEqual(service.get("network_mode"), "host")
                self.assertNotIn("ports", service)
                self.assertNotIn("networks", service)
        addresses = set(re.findall(r"\b\d+\.\d+\.\d+\.\d+\b", text))
        self.assertEqual(addresses, {"127.0.0.1", "0.0.0.0"}, "loopback only (0.0.0.0 in docs)")
        self.assertNotIn("0.0.0.0", yaml.safe_dump(compose["services"]))

    def test_prometheus_scrapes_the_scheduler_and_every_worker(self):
        services = compose_services()
        ports = set()
        for name, service in services.items():
            words = as_words(service.get("command"))
            for flag, value in zip(words, words[1:]):
                if flag == "--metrics-listen":
                    ports.add(re.search(r":-(\d+)\}$", value).group(1))
        self.assertEqual(len(ports), 3, "scheduler and two workers, each its own port")
        with open(os.path.join(DEPLOY, "prometheus", "prometheus.yml")) as f:
            config = yaml.safe_load(f)
        targets = {t.split(":")[1] for job in config["scrape_configs"]
                   for sc in job["static_configs"] for t in sc["targets"]}
        self.assertEqual(targets, ports)


class KubernetesTest(unittest.TestCase):
    def each_overlay(self):
        for overlay in OVERLAYS:
            with self.subTest(overlay=overlay):
                yield overlay, rendered(overlay)

    def test_scheduler_is_one_recreated_replica_on_a_pvc_with_grpc_probes(self):
        for overlay, objects in self.each_overlay():
            deployment = find(objects, "Deployment", "ptune-scheduler")
            spec = deployment["spec"]
            self.assertEqual(spec["replicas"], 1)
            self.assertEqual(spec["strategy"]["type"], "Recreate")
            pod = spec["template"]["spec"]
            claims = [v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"]
                      if "persistentVolumeClaim" in v]
            self.assertEqual(len(claims), 1)
            find(objects, "PersistentVolumeClaim", claims[0])
            container = pod["containers"][0]
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                kind = "tcpSocket" if "tls" in overlay else "grpc"
                self.assertEqual(container[probe][kind]["port"], 50051, probe)

    def test_services_and_monitors_select_pods_and_ports_that_exist(self):
        for overlay, objects in self.each_overlay():
            pods = [(d["spec"]["template"]["metadata"]["labels"],
                     {p["name"]: p["containerPort"] for c in d["spec"]["template"]["spec"]
                      ["containers"] for p in c.get("ports", [])})
                    for d in find(objects, "Deployment")]

            def matching(selector):
                found = [ports for labels, ports in pods
                         if all(labels.get(k) == v for k, v in selector.items())]
                self.assertTrue(found, f"no pod has labels {selector}")
                return found

            for service in find(objects, "Service"):
                for ports in matching(service["spec"]["selector"]):
                    for port in service["spec"]["ports"]:
                        self.assertIn(port["targetPort"], ports, service["metadata"]["name"])
            for monitor in find(objects, "ServiceMonitor"):
                services = [s for s in find(objects, "Service") if all(
                    s["metadata"].get("labels", {}).get(k) == v
                    for k, v in monitor["spec"]["selector"]["matchLabels"].items())]
                self.assertEqual(len(services), 1)
                names = {p["name"] for p in services[0]["spec"]["ports"]}
                for endpoint in monitor["spec"]["endpoints"]:
                    self.assertIn(endpoint["port"], names)
            for monitor in find(objects, "PodMonitor"):
                for ports in matching(monitor["spec"]["selector"]["matchLabels"]):
                    for endpoint in monitor["spec"]["podMetricsEndpoints"]:
                        self.assertIn(endpoint["port"], ports)
            for policy in find(objects, "NetworkPolicy"):
                selector = policy["spec"]["podSelector"].get("matchLabels")
                if not selector:
                    continue
                exposed = {p for ports in matching(selector) for p in ports.values()}
                for rule in policy["spec"].get("ingress", []):
                    for port in rule["ports"]:
                        self.assertIn(port["port"], exposed, policy["metadata"]["name"])

    def test_referenced_config_and_secrets_exist(self):
        for overlay, objects in self.each_overlay():
            configmaps = {o["metadata"]["name"] for o in find(objects, "ConfigMap")}
            secrets = {o["metadata"]["name"]: o for o in find(objects, "Secret")}
            # ptune-tls is created by the operator (components/tls says how), never committed.
            secrets_external = {"ptune-tls"}
            for deployment in find(objects, "Deployment"):
                pod = deployment["spec"]["template"]["spec"]
                for volume in pod.get("volumes", []):
                    if "configMap" in volume:
                        self.assertIn(volume["configMap"]["name"], configmaps)
                    if "secret" in volume and volume["secret"]["secretName"] not in secrets_external:
                        secret = secrets[volume["secret"]["secretName"]]
                        for item in volume["secret"].get("items", []):
                            self.assertIn(item["key"], secret.get("stringData", secret.get("data")))
                for container in pod["containers"]:
                    for env in container.get("env", []):
                        ref = env.get("valueFrom", {}).get("secretKeyRef")
                        if ref:
                            secret = secrets[ref["name"]]
                            self.assertIn(ref["key"], secret.get("stringData", secret.get("data")))

    def test_pods_run_as_the_images_unprivileged_user(self):
        for overlay, objects in self.each_overlay():
            for deployment in find(objects, "Deployment"):
                context = deployment["spec"]["template"]["spec"]["securityContext"]
                self.assertTrue(context["runAsNonRoot"])
                self.assertEqual(str(context["runAsUser"]), IMAGE_UID)

    def test_workers_get_time_to_checkpoint(self):
        for overlay, objects in self.each_overlay():
            for deployment, container in containers_of(objects, "ptune-worker"):
                args = dict(a.split("=", 1) for a in container["args"] if "=" in a)
                grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
                self.assertGreaterEqual(grace, float(args["--shutdown-timeout"]) + 10)

    def test_gpu_workers_request_a_gpu_spread_with_a_pdb_and_scale_on_demand(self):
        for overlay in [o for o in OVERLAYS if o.startswith("gpu")]:
            objects = rendered(overlay)
            [(deployment, container)] = containers_of(objects, "ptune-worker")
            self.assertEqual(container["image"].split(":")[0], "ptune-worker-cuda")
            self.assertEqual(container["resources"]["limits"]["nvidia.com/gpu"], 1)
            pod = deployment["spec"]["template"]
            anti = pod["spec"]["affinity"]["podAntiAffinity"]
            terms = anti["preferredDuringSchedulingIgnoredDuringExecution"]
            self.assertEqual(terms[0]["podAffinityTerm"]["topologyKey"], "kubernetes.io/hostname")
            [pdb] = find(objects, "PodDisruptionBudget")
            for k, v in pdb["spec"]["selector"]["matchLabels"].items():
                self.assertEqual(pod["metadata"]["labels"][k], v)
            [scaled] = find(objects, "ScaledObject")
            self.assertEqual(scaled["spec"]["scaleTargetRef"]["name"],
                             deployment["metadata"]["name"])
            self.assert_rule_exists(objects, scaled["spec"]["triggers"][0]["metadata"]["query"])

    def test_cpu_workers_scale_on_demand(self):
        objects = rendered("cpu")
        [(deployment, container)] = containers_of(objects, "ptune-worker")
        self.assertNotIn("nvidia.com/gpu", container["resources"].get("limits", {}))
        [hpa] = find(objects, "HorizontalPodAutoscaler")
        self.assertEqual(hpa["spec"]["scaleTargetRef"]["name"], deployment["metadata"]["name"])
        metric = hpa["spec"]["metrics"][0]["external"]["metric"]["name"]
        # prometheus-adapter serves the recording rule ptune:X:sum as ptune_X.
        self.assert_rule_exists(objects, "ptune:" + metric[len("ptune_"):] + ":sum")

    def assert_rule_exists(self, objects, name):
        [rule] = find(objects, "PrometheusRule")
        records = {r["record"] for g in rule["spec"]["groups"] for r in g["rules"] if "record" in r}
        self.assertIn(name, records)


class DeployStartTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="ptune-deploy-")

    def tearDown(self):
        self.dir.cleanup()

    def base_data(self, file, key):
        with open(os.path.join(K8S, "base", file)) as f:
            doc = yaml.safe_load(f)
        return doc.get("data", doc.get("stringData"))[key]

    def write(self, name, text):
        path = os.path.join(self.dir.name, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_scheduler_starts_with_the_configmap_and_the_tokens_secret(self):
        config = self.write("scheduler.ini", self.base_data("configmap.yaml", "scheduler.ini"))
        tokens = self.write("tokens", self.base_data("secret.yaml", "tokens"))
        metrics_port = free_port()
        [(_, container)] = containers_of(rendered("cpu"), "ptune-scheduler")
        # The manifest's args with loopback addresses, a temporary store and the mounted
        # files' paths replaced.
        replace = {"--listen": "127.0.0.1:0", "--metrics-listen": f"127.0.0.1:{metrics_port}",
                   "--store": os.path.join(self.dir.name, "ptune.db"), "--config": config,
                   "--tokens-file": tokens}
        args = [f"{flag}={replace[flag]}" for flag in
                (a.split("=", 1)[0] for a in container["args"])]
        with subprocess.Popen([BINARIES["ptune-scheduler"], *args], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) as process:
            try:
                self.assertIn("ptune_jobs_submitted_total",
                              wait_for_metrics(metrics_port, process))
            finally:
                code = stop(process)
            log = process.stdout.read()
        self.assertEqual(code, 0, log)
        self.assertNotIn("INSECURE", log, "the tokens file must switch insecure mode off")
        self.assertNotIn("change-me", log, "secrets never appear in logs")

    def test_worker_starts_with_each_overlays_flags(self):
        for overlay in OVERLAYS:
            [(_, container)] = containers_of(rendered(overlay), "ptune-worker")
            metrics_port = free_port()
            replace = {"--scheduler": f"127.0.0.1:{free_port()}", "--id": "deploy-test",
                       "--work-dir": os.path.join(self.dir.name, "work"),
                       "--metrics-listen": f"127.0.0.1:{metrics_port}",
                       "--tls-ca": self.write("ca.crt", "")}
            args = []
            for a in container["args"]:
                flag, _, value = a.partition("=")
                args.append(f"{flag}={replace.get(flag, value)}")
            if "--tls-ca" in flags_of(args):
                continue  # needs a real CA file; the flag itself is checked above
            with self.subTest(overlay=overlay), subprocess.Popen(
                    [BINARIES["ptune-worker"], *args], stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT, text=True,
                    env={**os.environ, "PTUNE_TOKEN": "change-me-worker"}) as process:
                try:
                    self.assertIn("ptune_worker_connected", wait_for_metrics(metrics_port, process))
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
        with open(os.path.join(K8S, "base", "alerts.yaml")) as f:
            rules = yaml.safe_load(f)["spec"]["groups"]
        exprs += [r["expr"] for g in rules for r in g["rules"]]
        self.assertGreater(len(exprs), 5)
        for expr in exprs:
            for metric in re.findall(r"\b(ptune_[a-z0-9_]+)", expr):
                family = re.sub(r"_(bucket|sum|count)$", "", metric)
                with self.subTest(metric=metric):
                    self.assertIn(family, exported, f"query {expr!r}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--scheduler", required=True)
    parser.add_argument("--worker", required=True)
    options, rest = parser.parse_known_args()
    BINARIES.update({"ptune-scheduler": options.scheduler, "ptune-worker": options.worker})
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)
