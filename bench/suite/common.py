"""What every area of the benchmark suite shares: statistics, processes, the load average.

Python standard library only (Debian's python3; no numpy, no matplotlib).
"""
import os
import shlex
import statistics
import subprocess
import sys
import time


class BenchError(Exception):
    """A benchmark could not run or its output did not parse; the message says which."""


def median(values):
    return statistics.median(values) if values else None


def summary(values):
    """median, min, max, interquartile range and count of a list of numbers."""
    values = sorted(v for v in values if v is not None)
    if not values:
        return {"median": None, "min": None, "max": None, "q1": None, "q3": None, "count": 0}
    if len(values) >= 4:
        q1, _, q3 = statistics.quantiles(values, n=4)
    else:
        q1, q3 = values[0], values[-1]
    return {"median": statistics.median(values), "min": values[0], "max": values[-1],
            "q1": q1, "q3": q3, "count": len(values)}


def ratio(peer, ours):
    """peer / ours (> 1: ours is faster), None when either is missing."""
    if peer is None or ours in (None, 0):
        return None
    return peer / ours


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def run(argv, env=None, cwd=None, timeout=900):
    """Runs argv, returns (stdout, seconds). Raises BenchError naming the command on failure."""
    start = time.perf_counter()
    try:
        done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise BenchError(f"{shlex.join(argv)}: {e}") from e
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise BenchError(f"{shlex.join(argv)} exited {done.returncode}: " + " | ".join(tail))
    return done.stdout, seconds


def step_times(stdout, argv):
    """The seconds of every "step_s <s> loss <l>" line (the step benches' output)."""
    times, losses = [], []
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "step_s":
            times.append(float(parts[1]))
            if len(parts) >= 4 and parts[2] == "loss":
                losses.append(float(parts[3]))
    if not times:
        raise BenchError(f"{shlex.join(argv)}: no step_s lines in its output")
    return times, losses


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def fmt(value):
    """A number with about three significant digits (thousands separated)."""
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    a = abs(value)
    if a >= 1000:
        return f"{value:,.0f}"
    if a >= 100:
        return f"{value:.0f}"
    if a >= 10:
        return f"{value:.1f}"
    if a >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def fmt_spread(s):
    """"median (min–max)" of a summary()."""
    if s["median"] is None:
        return "–"
    if s["count"] < 2:
        return fmt(s["median"])
    return f"{fmt(s['median'])} ({fmt(s['min'])}–{fmt(s['max'])})"


def fmt_ratio(r):
    return "–" if r is None else f"**{r:.2f}×**"


def oracle_env(oracle_dir):
    """The environment of the HF oracle (env.sh's exports), or None when it is missing."""
    env_sh = os.path.join(oracle_dir, "env.sh")
    if not os.path.isfile(env_sh):
        return None
    out = subprocess.run(["bash", "-c", f'source "{env_sh}" >/dev/null && env -0'],
                         capture_output=True, text=True)
    if out.returncode != 0:
        return None
    return dict(item.split("=", 1) for item in out.stdout.split("\0") if "=" in item)
