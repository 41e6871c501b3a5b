"""Method cost at equal budget: DePT and EPT vs PT (l = 100's parameter budget), TSLoss on vs
off, and the topology telemetry's own cost, on USE-Lite + uci-sentiment (methods_bench).
Configurations alternate within each round; odd rounds run in reverse order."""
import json
import os
import sys

from common import BenchError, fmt, fmt_ratio, log, median, ratio, run, summary

SKIP_STEPS = 2  # the first steps pay allocation and warm-up


def _steps(path):
    steps = []
    with open(path) as f:
        for line in f:
            e = json.loads(line)
            if isinstance(e.get("step"), dict):
                steps.append(e["step"])
    return steps


def run_area(ctx):
    binary = os.path.join(ctx.build_dir, "bench/methods/methods_bench")
    if not os.path.isfile(binary):
        return {"skipped": f"{binary} is not built"}
    if not os.path.isfile(os.path.join(ctx.use_lite, "model.json")):
        return {"skipped": f"{ctx.use_lite}/model.json is missing (run scripts/setup.sh)"}
    sys.path.insert(0, os.path.join(ctx.root, "bench/methods"))
    from report import trainable_params  # the parameter count of docs/results/methods.md

    # Smoke: one run proves the binary runs and its telemetry parses.
    configs = [("pt", "on")] if ctx.smoke else [(m, t) for m in ("pt", "dept", "ept") for t in ("off", "on")]
    rounds = min(ctx.reps, 2)  # ~15 s per run: 6 configurations x 2 rounds is most of the budget
    if ctx.smoke:
        steps, batch, prompt, seq = 12, 2, 10, 8
    else:
        steps, batch, prompt, seq = 14, 16, 100, 32
    runs = {c: {"step_s": [], "persistence_s": [], "rounds": []} for c in configs}
    commands = []
    for r in range(rounds):
        for method, ts in (configs if r % 2 == 0 else configs[::-1]):
            out = os.path.join(ctx.work_dir, "methods", f"r{r}")
            argv = [binary, "--out", out, "--methods", method, "--tsloss", ts, "--seeds", "0", "--steps", str(steps),
                    "--batch", str(batch), "--prompt-length", str(prompt), "--max-seq-len", str(seq),
                    "--eval-every", "1000", "--eval-fraction", "0.02", "--threads", str(ctx.threads)]
            if r == 0 and not commands:
                commands.append(" ".join(argv))
            log(f"methods: round {r} {method} tsloss={ts}")
            run(argv, env={**os.environ, "PTUNE_CACHE": ctx.cache}, timeout=1800)
            events = _steps(os.path.join(out, f"{method}-{ts}-s0.jsonl"))[SKIP_STEPS:]
            if not events:
                raise BenchError(f"{out}/{method}-{ts}-s0.jsonl: no step events after step {SKIP_STEPS}")
            rec = runs[(method, ts)]
            times = [float(e["step_seconds"]) for e in events]
            rec["step_s"] += times
            rec["persistence_s"] += [float(e.get("persistence_seconds", 0)) for e in events]
            rec["rounds"].append(median(times))
            rec["params"] = trainable_params(os.path.join(out, "jobs", f"{method}-{ts}-s0", "prompt.safetensors"))

    med = {c: median(v["step_s"]) for c, v in runs.items()}
    rows = []
    for (method, ts) in configs:
        v = runs[(method, ts)]
        s = summary(v["step_s"])
        rounds = f" (rounds {fmt(min(v['rounds']) * 1e3)}–{fmt(max(v['rounds']) * 1e3)})" if len(v["rounds"]) > 1 else ""
        persistence_ms = sum(v["persistence_s"]) / len(v["persistence_s"]) * 1e3
        rows.append([method.upper() if method != "dept" else "DePT", ts, fmt(v.get("params")),
                     f"{fmt(s['median'] * 1e3)}{rounds}", f"{fmt(s['q1'] * 1e3)}–{fmt(s['q3'] * 1e3)}",
                     fmt(persistence_ms), fmt_ratio(ratio(med[(method, ts)], med.get(("pt", ts)))),
                     fmt_ratio(ratio(med[(method, "on")], med.get((method, "off")))) if ts == "on" else ""])
    return {
        "title": "Method cost: DePT and EPT vs PT at equal budget, TSLoss on vs off, topology telemetry",
        "commands": commands,
        "tables": [{"caption": f"USE-Lite + uci-sentiment, PT l = {prompt} and DePT/EPT at PT's parameter budget, "
                               f"batch {batch}, {seq} tokens, {ctx.threads} threads, {steps} steps per run (the "
                               f"first {SKIP_STEPS} not counted), {rounds} rounds alternating the "
                               "configurations (odd rounds reversed). Step = data gather, forward, backward, "
                               "optimizer. \"persistence\" is the time the step spent in persistent homology "
                               "(`persistence_seconds`: TSLoss when on; with TSLoss off, the topology telemetry "
                               "snapshot every 10 steps), averaged over all steps.",
                    "header": ["method", "TSLoss", "trainable params", "step ms, median (round medians)",
                               "step ms IQR", "persistence ms/step", "step / PT (same TSLoss)", "TSLoss on / off"],
                    "rows": rows}],
        "plots": [],
        "verdicts": [],
        "raw": {f"{m}-{t}": v for (m, t), v in runs.items()} | {
            "settings": {"steps": steps, "batch": batch, "prompt_length": prompt, "max_seq_len": seq,
                         "threads": ctx.threads, "skip_steps": SKIP_STEPS}},
    }
