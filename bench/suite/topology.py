"""Persistent homology: ptune-ph vs the ripser CLI (whole processes, same files) and the
engine vs GUDHI in-process, alternating, over n; the typical TSLoss prompt in-process."""
import json
import os

from common import BenchError, fmt, fmt_spread, ratio, run, summary
import svg

GOAL = 10.0  # ripser / ptune-ph at every n >= 256 (issue 17)


def _ms(series):
    return summary(series["wall_ms"])


def run_area(ctx):
    binary = os.path.join(ctx.build_dir, "bench/topology/ptune_topology_bench")
    if not os.path.isfile(binary):
        return {"skipped": f"{binary} is not built (a build without torch?)"}
    if not os.path.isfile("/usr/bin/ripser"):
        return {"skipped": "/usr/bin/ripser is missing (apt-get install ripser; scripts/setup.sh does)"}
    sizes = [64, 128] if ctx.smoke else [64, 128, 256, 512, 1024, 2048]
    gudhi_max = 128 if ctx.smoke else 512
    prompt_reps = 5 if ctx.smoke else 200
    out_json = os.path.join(ctx.work_dir, "topology.json")
    argv = [binary, "--sizes", *map(str, sizes), "--repeats", str(ctx.reps), "--gudhi-max-n",
            str(gudhi_max), "--prompt-repeats", str(prompt_reps), "--dir", ctx.work_dir, "--json", out_json]
    run(argv, timeout=1800)
    with open(out_json) as f:
        raw = json.load(f)
    if len(raw.get("rows", [])) != len(sizes) or "prompt" not in raw:
        raise BenchError(f"{out_json}: want {len(sizes)} rows and the prompt figures")

    rows, points = [], {"ripser CLI": [], "ptune-ph": [], "engine (in-process)": [], "GUDHI (in-process)": []}
    ratios, verdict_bad = [], []
    for r in raw["rows"]:
        n = r["n"]
        rip, ph, eng = _ms(r["ripser"]), _ms(r["ptune_ph"]), _ms(r["engine"])
        gud = _ms(r["gudhi"]) if "gudhi" in r else None
        pair = [a / b for a, b in zip(r["ripser"]["wall_ms"], r["ptune_ph"]["wall_ms"]) if b > 0]
        wall = ratio(rip["median"], ph["median"])
        cpu = ratio(summary(r["ripser"]["cpu_ms"])["median"], summary(r["ptune_ph"]["cpu_ms"])["median"])
        ratios.append((n, wall))
        if n >= 256 and (wall is None or wall < GOAL):
            verdict_bad.append(f"n = {n}: {wall:.1f}×")
        pair_text = f" ({min(pair):.1f}–{max(pair):.1f})" if len(pair) > 1 else ""
        rows.append([str(n), fmt_spread(rip), fmt_spread(ph), f"**{wall:.1f}×**{pair_text}", f"{cpu:.1f}×",
                     fmt(r["ripser_peak_kb"] / 1024), fmt(r["ptune_ph_peak_kb"] / 1024), fmt_spread(eng),
                     fmt_spread(gud) if gud else "not run", f"{gud['median'] / eng['median']:.0f}×" if gud else "–"])
        points["ripser CLI"].append((n, rip["median"]))
        points["ptune-ph"].append((n, ph["median"]))
        points["engine (in-process)"].append((n, eng["median"]))
        if gud:
            points["GUDHI (in-process)"].append((n, gud["median"]))

    p = raw["prompt"]
    prompt_rows = []
    for key, what in (("compute", "`PersistenceLayer::Compute` (distances + H0/H1 + gather)"),
                      ("compute_backward", "`Compute` + backward (TSLoss step: 0.1·ΣH0 + 0.1·H1 total)"),
                      ("engine", "`RipsEngine::ComputeSquare` alone")):
        w, c = summary(p[key]["wall_ms"]), summary(p[key]["cpu_ms"])
        prompt_rows.append([what, f"{fmt(w['median'])} (IQR {fmt(w['q1'])}–{fmt(w['q3'])})",
                            f"{fmt(c['median'])} (IQR {fmt(c['q1'])}–{fmt(c['q3'])})"])

    plots = []
    if svg.line_plot(os.path.join(ctx.plots_dir, "topology-scaling.svg"),
                     "Persistent homology (H0+H1, d = 768): time vs n", "n (points)", "median wall time (ms)",
                     [{"label": k, "points": v} for k, v in points.items() if v], log_x=True, log_y=True):
        plots.append(("topology-scaling.svg", "H0+H1 time vs n: CLIs (whole process) and in-process engines"))
    if svg.line_plot(os.path.join(ctx.plots_dir, "topology-ratio.svg"), "ripser CLI / ptune-ph (wall)",
                     "n (points)", "speed-up (×)",
                     [{"label": "ripser / ptune-ph", "points": ratios},
                      {"label": f"goal {GOAL:.0f}× (n ≥ 256)", "points": [(256, GOAL), (sizes[-1], GOAL)]}],
                     log_x=True):
        plots.append(("topology-ratio.svg", "ripser CLI / ptune-ph by n, with the 10× goal"))

    big = [n for n in sizes if n >= 256]
    if not big:
        verdict = "goal ≥ 10× ripser at n ≥ 256: not measured in this run (no n ≥ 256)"
    elif verdict_bad:
        verdict = "goal ≥ 10× ripser at every n ≥ 256: **not met** (" + ", ".join(verdict_bad) + ")"
    else:
        verdict = "goal ≥ 10× ripser at every n ≥ 256: **met** (" + ", ".join(
            f"n = {n}: {r:.1f}×" for n, r in ratios if n >= 256) + ")"
    return {
        "title": "Persistent homology: ptune-ph vs ripser, engine vs GUDHI",
        "commands": [" ".join(argv)],
        "tables": [
            {"caption": f"Gaussian clouds in d = 768, `--format lower-distance --dim 1`; ptune-ph and ripser "
                        f"alternate as whole processes on the same file after one untimed warm-up each, "
                        f"{ctx.reps} timed runs each; the engine and GUDHI alternate in-process on the same float "
                        f"matrix (GUDHI up to n = {gudhi_max}: it takes ~14 s at n = 512 and minutes at 1024). "
                        f"Times in ms, median (min–max); ratio = ripser / ptune-ph of the medians "
                        f"(range of the per-pair ratios); MiB = peak RSS of each CLI.",
             "header": ["n", "ripser CLI (ms)", "ptune-ph (ms)", "ripser / ptune-ph (wall)", "(CPU)",
                        "ripser MiB", "ptune-ph MiB", "engine (ms)", "GUDHI (ms)", "GUDHI / engine"],
             "rows": rows},
            {"caption": f"Typical TSLoss prompt (n = 100, d = 768, float32, Euclidean, normalised, distances "
                        f"included), in-process, one thread, {prompt_reps} calls after one warm-up; ms.",
             "header": ["call", "wall ms, median", "CPU ms, median"], "rows": prompt_rows},
        ],
        "plots": plots,
        "verdicts": [verdict],
        "raw": raw,
    }
