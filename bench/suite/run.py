#!/usr/bin/env python3
"""The benchmark suite (scripts/bench.sh drives it): runs every area with its peer in the
same run, writes benchmarks.md, benchmarks.json and the SVG plots.

    run.py --build-dir DIR --out-md FILE --out-dir DIR [--smoke] [--only AREA ...] [--reps N]
           [--threads N] [--device cpu|cuda] [--hf-oracle DIR] [--command TEXT]

Areas: topology, training, methods, service. Exit status 1 when a benchmark fails or its
output does not parse (a missing peer is a skip with its reason, not a failure).
"""
import argparse
import contextlib
import datetime
import fcntl
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BenchError, loadavg, log  # noqa: E402
import methods  # noqa: E402
import page  # noqa: E402
import service  # noqa: E402
import topology  # noqa: E402
import training  # noqa: E402

AREAS = {"topology": topology, "training": training, "methods": methods, "service": service}
ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def _out(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, cwd=ROOT).stdout.strip()
    except OSError:
        return ""


def machine():
    cpu, flags = "", ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name") and not cpu:
                cpu = line.split(":", 1)[1].strip()
            if line.startswith("flags") and not flags:
                flags = line.split(":", 1)[1]
    with open("/proc/meminfo") as f:
        mem_kb = int(next(line for line in f if line.startswith("MemTotal")).split()[1])
    torch = _out(["/usr/bin/python3", "-c", "import torch; print(torch.__version__)"])
    dirty = bool(_out(["git", "status", "--porcelain", "--untracked-files=no"]))
    return {"cpu": cpu, "nproc": os.cpu_count(), "avx512": "avx512f" in flags.split(),
            "memory_gib": round(mem_kb / 2 ** 20, 1), "kernel": platform.release(),
            "python_torch": torch, "ripser": _out(["dpkg-query", "-W", "-f", "${Version}", "ripser"]),
            "gudhi": _out(["dpkg-query", "-W", "-f", "${Version}", "libgudhi-dev"]),
            "commit": _out(["git", "rev-parse", "--short=12", "HEAD"]) + (" (with uncommitted changes)" if dirty else ""),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


@contextlib.contextmanager
def exclusive(lock_file):
    """Holds an exclusive flock on lock_file (when given) for one area, so that builds
    sharing the machine wait between areas rather than during one."""
    if not lock_file:
        yield
        return
    with open(lock_file, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--out-md", required=True)
    parser.add_argument("--out-dir", required=True, help="benchmarks.json and the plots")
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--only", action="append", choices=sorted(AREAS))
    parser.add_argument("--reps", type=int)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--hf-oracle", default=os.environ.get("HF_ORACLE", "/tmp/hf-oracle"))
    parser.add_argument("--lock", help="flock this file exclusively around each area")
    parser.add_argument("--command", default="scripts/bench.sh", help="how the suite was started (for the page)")
    a = parser.parse_args()
    if a.reps is not None and a.reps < 1:
        parser.error("--reps must be >= 1")
    cache = os.environ.get("PTUNE_CACHE", os.path.expanduser("~/.cache/ptune"))
    started = time.time()
    os.makedirs(a.out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ptune-bench-") as work:
        ctx = argparse.Namespace(
            root=ROOT, build_dir=os.path.abspath(a.build_dir), smoke=a.smoke,
            reps=a.reps or (1 if a.smoke else 3), threads=a.threads, device=a.device,
            hf_oracle=a.hf_oracle, cache=cache, use_lite=os.path.join(cache, "models/use-lite/dist"),
            plots_dir=a.out_dir, work_dir=work)
        results = {"machine": machine(), "command": a.command, "smoke": a.smoke, "reps": ctx.reps,
                   "threads": a.threads, "device": a.device, "areas": {}}
        failed = []
        for name in (a.only or list(AREAS)):
            os.makedirs(os.path.join(work, name), exist_ok=True)
            ctx.work_dir = os.path.join(work, name)
            with exclusive(a.lock):
                log(f"{name}: start (load {loadavg()})")
                before, t0 = loadavg(), time.time()
                try:
                    area = AREAS[name].run_area(ctx)
                except BenchError as e:
                    area = {"error": str(e)}
                    failed.append(name)
                except Exception:  # a parse error is a failure of the suite too
                    area = {"error": traceback.format_exc()}
                    failed.append(name)
                after = loadavg()
            area.update({"load_before": before, "load_after": after, "seconds": round(time.time() - t0, 1)})
            results["areas"][name] = area
            log(f"{name}: {'FAILED: ' + area['error'] if 'error' in area else 'skipped: ' + area['skipped'] if 'skipped' in area else 'done'}"
                f" in {area['seconds']} s (load {area['load_after']})")
        results["seconds"] = round(time.time() - started, 1)
    page.write(results, a.out_md, a.out_dir)
    log(f"wrote {a.out_md} and {a.out_dir}/benchmarks.json in {results['seconds']} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
