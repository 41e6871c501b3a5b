#!/usr/bin/env python3
"""Turns a methods_bench output directory into tables (Markdown) and SVG plots.

    report.py RUN_DIR [--target 0.65,0.70,0.75] [--plots DIR] [--plot-seed 0] > table.md

Accuracy columns: the last periodic validation ("final"), the best periodic validation,
and the test accuracy of the best-validation parameters (the trainer reloads them for
its final evaluation). Step time and tokens/s are medians over steps 4.. of each run.

Python standard library only. Reads RUN_DIR/grid.json, the per-run event streams
RUN_DIR/<method>-<tsloss>-s<seed>.jsonl and the artifacts (parameter counts from
RUN_DIR/jobs/<run>/prompt.safetensors).
"""
import argparse
import json
import math
import os
import statistics
import struct
import sys


def load_events(path):
    steps, evals, topo = [], [], []
    with open(path) as f:
        for line in f:
            e = json.loads(line)
            if "step" in e and isinstance(e["step"], dict):
                steps.append(e["step"])
            elif "eval" in e:
                evals.append(e["eval"])
            elif "topology" in e:
                topo.append(e["topology"])
    return steps, evals, topo


def trainable_params(path):
    """Sum of the method.* tensors' sizes in a safetensors file (header only)."""
    try:
        with open(path, "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            header = json.loads(f.read(n))
    except OSError:
        return None
    total = 0
    for name, info in header.items():
        if name.startswith("method."):
            total += math.prod(info["shape"])
    return total


def mean_std(values):
    values = [v for v in values if v is not None]
    if not values:
        return None, None
    if len(values) == 1:
        return values[0], 0.0
    return statistics.mean(values), statistics.stdev(values)


def fmt(ms, scale=1.0, digits=1, suffix=""):
    m, s = ms
    if m is None:
        return "—"
    return f"{m * scale:.{digits}f} ± {s * scale:.{digits}f}{suffix}"


def summarize_run(run_dir, run, targets):
    steps, evals, topo = load_events(os.path.join(run_dir, run["name"] + ".jsonl"))
    # Skip the first 3 steps (allocator and cache warm-up).
    timed = [s for s in steps if int(s["step"]) > 3] or steps
    val = [(int(e["step"]), e["metrics"]["accuracy"]) for e in evals
           if e["split"] == "validation"]
    test = [e["metrics"]["accuracy"] for e in evals if e["split"] == "test"]
    # The trainer's final evaluation (Trainer::FinalEvaluation) reloads the best-validation
    # parameters and evaluates validation then test: that last validation event repeats
    # the best score, so it is not a training-time point.
    if test and val:
        val = val[:-1]
    reach = {t: next((st for st, acc in val if acc >= t), None) for t in targets}
    return {
        "step_seconds": statistics.median(float(s["step_seconds"]) for s in timed),
        "tokens_per_second": statistics.median(float(s["tokens_per_second"]) for s in timed),
        "persistence_seconds": statistics.mean(float(s["persistence_seconds"]) for s in timed),
        "final_val": val[-1][1] if val else None,
        "best_val": max(a for _, a in val) if val else None,
        "test_at_best": test[-1] if test else None,
        "steps_to_target": reach,
        "params": trainable_params(os.path.join(run_dir, "jobs", run["name"],
                                                "prompt.safetensors")),
        "steps": steps, "evals": val, "topology": topo,
    }


def svg_lines(title, series, width=460, height=260, ylabel=""):
    """A small line chart: series = [(label, color, [(x, y), ...]), ...]."""
    pts = [p for _, _, s in series for p in s if p[1] is not None and math.isfinite(p[1])]
    if not pts:
        return ""
    x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
    y0, y1 = min(p[1] for p in pts), max(p[1] for p in pts)
    if x1 == x0:
        x1 = x0 + 1
    if y1 == y0:
        y1 = y0 + 1
    left, right, top, bottom = 52, 10, 24, 30
    w, h = width - left - right, height - top - bottom

    def sx(x):
        return left + (x - x0) / (x1 - x0) * w

    def sy(y):
        return top + (1 - (y - y0) / (y1 - y0)) * h

    out = [f'<g><rect x="0" y="0" width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left}" y="15" font-size="12" font-family="sans-serif">{title}</text>',
           f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="none" stroke="#999"/>']
    for i in range(5):
        yv = y0 + (y1 - y0) * i / 4
        out.append(f'<text x="{left - 4}" y="{sy(yv) + 4:.1f}" font-size="9" text-anchor="end" '
                   f'font-family="sans-serif">{yv:.3g}</text>')
        xv = x0 + (x1 - x0) * i / 4
        out.append(f'<text x="{sx(xv):.1f}" y="{top + h + 12}" font-size="9" '
                   f'text-anchor="middle" font-family="sans-serif">{xv:.0f}</text>')
    out.append(f'<text x="{left + w / 2}" y="{height - 4}" font-size="9" text-anchor="middle" '
               f'font-family="sans-serif">step {ylabel}</text>')
    for k, (label, color, s) in enumerate(series):
        s = [p for p in s if p[1] is not None and math.isfinite(p[1])]
        if not s:
            continue
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in s)
        out.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.3" points="{path}"/>')
        out.append(f'<text x="{left + w - 4}" y="{top + 12 + 11 * k}" font-size="10" '
                   f'text-anchor="end" fill="{color}" font-family="sans-serif">{label}</text>')
    out.append("</g>")
    return "\n".join(out)


def smooth(points, window=10):
    out = []
    for i in range(len(points)):
        lo = max(0, i - window + 1)
        chunk = [p[1] for p in points[lo:i + 1]]
        out.append((points[i][0], sum(chunk) / len(chunk)))
    return out


def write_svg(path, panels, columns=2, width=460, height=260):
    rows = (len(panels) + columns - 1) // columns
    body = []
    for i, panel in enumerate(panels):
        x, y = (i % columns) * width, (i // columns) * height
        body.append(f'<g transform="translate({x},{y})">{panel}</g>')
    with open(path, "w") as f:
        f.write(f'<svg xmlns="http://www.w3.org/2000/svg" width="{columns * width}" '
                f'height="{rows * height}">\n' + "\n".join(body) + "\n</svg>\n")


COLORS = {"pt": "#1f77b4", "dept": "#2ca02c", "ept": "#d62728"}


def plots(runs, plot_dir, seed):
    os.makedirs(plot_dir, exist_ok=True)
    pick = {(r["method"], r["tsloss"]): r for r in runs if r["seed"] == seed}
    methods = [m for m in ("pt", "dept", "ept") if (m, "off") in pick or (m, "on") in pick]
    loss_panels = []
    for ts in ("off", "on"):
        series = []
        for m in methods:
            r = pick.get((m, ts))
            if r:
                pts = [(int(s["step"]), float(s["task_loss"])) for s in r["s"]["steps"]]
                series.append((f"{m} task loss", COLORS[m], smooth(pts)))
        loss_panels.append(svg_lines(f"Task loss (10-step mean), TSLoss {ts}, seed {seed}",
                                     series))
    series = []
    for m in methods:
        r = pick.get((m, "on"))
        if r:
            pts = [(int(s["step"]), float(s["tsloss"])) for s in r["s"]["steps"]]
            series.append((f"{m} TSLoss", COLORS[m], smooth(pts)))
    loss_panels.append(svg_lines(f"TSLoss value (10-step mean), seed {seed}", series))
    series = []
    for m in methods:
        for ts, dash in (("off", ""), ("on", "")):
            r = pick.get((m, ts))
            if r:
                series.append((f"{m} {ts}", COLORS[m] if ts == "on" else "#999",
                               [(st, a) for st, a in r["s"]["evals"]]))
    loss_panels.append(svg_lines(f"Validation accuracy (grey: TSLoss off), seed {seed}",
                                 series))
    write_svg(os.path.join(plot_dir, "methods-loss.svg"), loss_panels)

    topo_panels = []
    for key, title in (("h0_total_persistence", "H0 total persistence"),
                       ("h1_total_persistence", "H1 total persistence"),
                       ("h1_bars", "H1 bar count"), ("mean_distance", "mean pairwise distance")):
        series = []
        for m in methods:
            for ts in ("off", "on"):
                r = pick.get((m, ts))
                if r:
                    pts = [(int(t["step"]), float(t["summary"][key])) for t in r["s"]["topology"]]
                    series.append((f"{m} TSLoss {ts}",
                                   COLORS[m] if ts == "on" else _grey(m), pts))
        topo_panels.append(svg_lines(f"{title} of the visible prompt, seed {seed}", series))
    write_svg(os.path.join(plot_dir, "methods-topology.svg"), topo_panels)


def _grey(method):
    return {"pt": "#9ecae1", "dept": "#a1d99b", "ept": "#fcae91"}[method]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run_dir")
    ap.add_argument("--target", default="0.80",
                    help="validation accuracy target(s), comma-separated")
    ap.add_argument("--plots", default="")
    ap.add_argument("--plot-seed", type=int, default=0)
    args = ap.parse_args()
    targets = [float(t) for t in args.target.split(",")]
    with open(os.path.join(args.run_dir, "grid.json")) as f:
        grid = json.load(f)
    runs = grid["runs"]
    for r in runs:
        r["s"] = summarize_run(args.run_dir, r, targets)
    groups = {}
    for r in runs:
        groups.setdefault((r["method"], r["tsloss"]), []).append(r["s"])
    seeds = sorted({r["seed"] for r in runs})
    out = sys.stdout
    out.write(f"Grid: {len(runs)} runs, seeds {seeds}, {grid['steps']} steps, batch "
              f"{grid['batch']}, PT length {grid['prompt_length']}, max_seq_len "
              f"{grid['max_seq_len']}, validation every {grid['eval_every']} steps. "
              f"Runtime: {grid['runtime']}.\n\n")
    out.write("| method | TSLoss | trainable params | step time (ms) | tokens/s | "
              "persistence ms/step | final val acc (%) | best val acc (%) | "
              "test acc at best val (%) |\n")
    out.write("|---|---|---|---|---|---|---|---|---|\n")
    order = [(m, t) for m in ("pt", "dept", "ept") for t in ("off", "on") if (m, t) in groups]
    for key in order:
        g = groups[key]
        params = g[0]["params"]
        out.write(f"| {key[0]} | {key[1]} | {params if params else '—'} | "
                  f"{fmt(mean_std([s['step_seconds'] for s in g]), 1000, 0)} | "
                  f"{fmt(mean_std([s['tokens_per_second'] for s in g]), 1, 0)} | "
                  f"{fmt(mean_std([s['persistence_seconds'] for s in g]), 1000, 2)} | "
                  f"{fmt(mean_std([s['final_val'] for s in g]), 100)} | "
                  f"{fmt(mean_std([s['best_val'] for s in g]), 100)} | "
                  f"{fmt(mean_std([s['test_at_best'] for s in g]), 100)} |\n")

    out.write("\nSteps to reach a validation accuracy (first evaluation at or above it; mean "
              "over the runs that reached it, reached/runs; per seed in brackets):\n\n")
    out.write("| method | TSLoss | " + " | ".join(f"val ≥ {100 * t:.0f}%" for t in targets)
              + " |\n")
    out.write("|---|---|" + "---|" * len(targets) + "\n")
    for key in order:
        cells = []
        for t in targets:
            per_seed = [s["steps_to_target"][t] for s in groups[key]]
            reached = [x for x in per_seed if x is not None]
            mean = f"{statistics.mean(reached):.0f}" if reached else "—"
            seeds_txt = ", ".join("—" if x is None else str(x) for x in per_seed)
            cells.append(f"{mean} ({len(reached)}/{len(per_seed)}) [{seeds_txt}]")
        out.write(f"| {key[0]} | {key[1]} | " + " | ".join(cells) + " |\n")

    out.write("\nLast 20 steps' mean task loss, and the visible prompt's topology at the last "
              "snapshot (normalised units; mean ± std over seeds):\n\n")
    out.write("| method | TSLoss | task loss (last 20 steps) | TSLoss value (last 20) | "
              "H0 total persistence | H1 total persistence | H1 bars | "
              "mean distance (raw) |\n|---|---|---|---|---|---|---|---|\n")
    for key in order:
        g = groups[key]

        def tail_mean(s, field):
            vals = [float(x[field]) for x in s["steps"][-20:]]
            return statistics.mean(vals) if vals else None

        def last_topo(s, field):
            return float(s["topology"][-1]["summary"][field]) if s["topology"] else None

        out.write(f"| {key[0]} | {key[1]} | "
                  f"{fmt(mean_std([tail_mean(s, 'task_loss') for s in g]), 1, 3)} | "
                  f"{fmt(mean_std([tail_mean(s, 'tsloss') for s in g]), 1, 4)} | "
                  f"{fmt(mean_std([last_topo(s, 'h0_total_persistence') for s in g]), 1, 1)} | "
                  f"{fmt(mean_std([last_topo(s, 'h1_total_persistence') for s in g]), 1, 2)} | "
                  f"{fmt(mean_std([last_topo(s, 'h1_bars') for s in g]), 1, 1)} | "
                  f"{fmt(mean_std([last_topo(s, 'mean_distance') for s in g]), 1, 1)} |\n")

    def ratio(a, b):
        """Per-seed ratio of median step times, then mean ± std over seeds."""
        by_seed = {}
        for r in runs:
            by_seed.setdefault(r["seed"], {})[(r["method"], r["tsloss"])] = r["s"]["step_seconds"]
        vals = [v[a] / v[b] for v in by_seed.values() if a in v and b in v]
        return mean_std(vals)

    out.write("\nStep-time ratios (per seed, then mean ± std):\n\n")
    out.write("| ratio | value |\n|---|---|\n")
    for m in ("dept", "ept"):
        if (m, "off") in groups and ("pt", "off") in groups:
            out.write(f"| {m} / pt (TSLoss off) | {fmt(ratio((m, 'off'), ('pt', 'off')), 1, 3)} |\n")
    for m in ("pt", "dept", "ept"):
        if (m, "on") in groups and (m, "off") in groups:
            out.write(f"| {m}: TSLoss on / off | {fmt(ratio((m, 'on'), (m, 'off')), 1, 3)} |\n")
    if args.plots:
        plots(runs, args.plots, args.plot_seed)


if __name__ == "__main__":
    main()
