"""Renders the suite's results as benchmarks.md (tables per area) and benchmarks.json.

    page.py RESULTS/benchmarks.json OUT.md     re-renders the page of an earlier run
"""
import json
import os

INTRO = """\
One command, `scripts/bench.sh`, runs every benchmark of the project with its peer **in the
same run**, alternating (ours, peer, ours, peer, …) with repetitions, and writes this page,
the raw results ([`{json}`]({json})) and the plots. Medians with their spread (min–max, or the
interquartile range where many samples exist) and the ratio peer / ptune (> 1: ptune faster).
The machine may be shared: each area gives the 1-minute load average (`/proc/loadavg`)
before → after it, and only figures from one run compare; ratios taken in the same run are
what to trust."""

GPU = """\
## GPU rows

Absent: no GPU was lent to the sessions that produced this page. `scripts/bench.sh --device
cuda` passes `--device cuda` to the four step benchmarks (ptune and Python sides move the
model and the batch to the device and wait for each step through `loss.item()`); that path
is **untested**. The comparison the issue asks for on a GPU, against HF PEFT's prompt
tuning on the same shapes, is not written: PEFT is not available here."""

USAGE = """\
## Running it

```sh
scripts/bench.sh                     # Release build in build-bench/, every area, writes docs/benchmarks.md
scripts/bench.sh --only topology     # one area (topology, training, methods, service); repeatable
scripts/bench.sh --reps 5            # repetitions per comparison (default 3)
scripts/bench.sh --smoke             # seconds: tiny sizes, 1 repetition, output to a temp dir
scripts/bench.sh --smoke --build-dir build   # reuse a build's binaries (the CTest entry bench_smoke)
```

Options: `--build-dir DIR` (use DIR's binaries, do not build), `--out DIR` (write
`benchmarks.md`, `results/benchmarks.json` and `results/*.svg` under DIR instead of `docs/`),
`--threads N` (torch threads of the step benchmarks, default 2), `--device cpu|cuda`,
`--hf-oracle DIR` (default `/tmp/hf-oracle`, see `../shared/oracles/hf/README.md`; without it
the HF rows are skipped and say so). The driver is `bench/suite/` (Python standard library,
plots written as SVG by hand); each area calls the benchmark binaries of `bench/` and the
Python peers in `bench/engine/`. Benchmarks never run in CTest; `bench_smoke` (label `bench`)
runs the smoke mode so the suite cannot rot."""


def _table(t):
    lines = [t["caption"], "", "| " + " | ".join(t["header"]) + " |", "|" + "---|" * len(t["header"])]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in t["rows"]]
    return "\n".join(lines)


def _area(name, a, rel_plots):
    title = a.get("title", name)
    out = [f"## {title}", "",
           f"Load average {a['load_before']} before → {a['load_after']} after ({a['seconds']} s)."]
    if "error" in a:
        return "\n".join(out + ["", "**Failed:**", "", "```", a["error"].strip(), "```"])
    if "skipped" in a:
        return "\n".join(out + ["", f"**Skipped:** {a['skipped']}"])
    for v in a.get("verdicts", []):
        out += ["", f"* {v}"]
    for t in a.get("tables", []):
        out += ["", _table(t)]
    for s in a.get("skipped_rows", []):
        out += ["", f"**Skipped:** {s}"]
    for n in a.get("notes", []):
        out += ["", n]
    for file, caption in a.get("plots", []):
        out += ["", f"![{caption}]({rel_plots}/{file})"]
    if a.get("commands"):
        out += ["", "Commands (as run):", "", "```"] + a["commands"] + ["```"]
    return "\n".join(out)


def render(json_path, out_md):
    """Rewrites out_md from an earlier run's benchmarks.json (page changes without a rerun)."""
    with open(json_path) as f:
        results = json.load(f)
    write(results, out_md, os.path.dirname(json_path))


def write(results, out_md, out_dir):
    json_path = os.path.join(out_dir, "benchmarks.json")
    with open(json_path, "w") as f:
        json.dump(results, f, indent=1, default=list)
        f.write("\n")
    md_dir = os.path.dirname(os.path.abspath(out_md))
    rel_plots = os.path.relpath(os.path.abspath(out_dir), md_dir)
    m = results["machine"]
    head = [
        "# Benchmarks", "", INTRO.format(json=f"{rel_plots}/benchmarks.json"), "",
        "| | |", "|---|---|",
        f"| machine | {m['cpu']}, {m['nproc']} CPUs (nproc){', AVX-512' if m['avx512'] else ''}, "
        f"{m['memory_gib']} GiB, Linux {m['kernel']} |",
        f"| date | {m['date']} |",
        f"| commit | `{m['commit']}` |",
        f"| command | `{results['command']}` ({results['seconds']:.0f} s in all) |",
        f"| repetitions | {results['reps']} per comparison{' (smoke mode: tiny sizes)' if results['smoke'] else ''} |",
        f"| threads, device | {results['threads']} torch threads for the step benchmarks; {results['device']} |",
        f"| peers | ripser {m['ripser'] or '?'}, GUDHI {m['gudhi'] or '?'} (C++ headers), "
        f"Debian python3-torch {m['python_torch'] or '?'}, HF transformers 4.44.2 via the oracle |",
    ]
    body = [_area(name, a, rel_plots) for name, a in results["areas"].items()]
    with open(out_md, "w") as f:
        f.write("\n".join(head) + "\n\n" + "\n\n".join(body) + "\n\n" + GPU + "\n\n" + USAGE + "\n")


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 3:
        sys.exit("usage: page.py RESULTS/benchmarks.json OUT.md   (re-renders the page of a run)")
    render(sys.argv[1], sys.argv[2])
