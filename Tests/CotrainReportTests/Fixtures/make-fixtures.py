#!/usr/bin/env python3
"""Writes the sample inputs of the report tests and scripts/check-report-render.sh:
two evaluation result files, two training logs, a round journal (canonical JSON lines
with real record hashes) and two small GIFs. Deterministic; rerun after format changes."""
import hashlib, json, math, random, struct

def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

def evaluation(policy, rates):
    cells = []
    for (task, condition), (k, n, completion) in rates.items():
        results = [{"seed": 1000 + i, "success": i < k, "completion": 1 if i < k else round(completion * 0.6, 3),
                    "steps": 80 + i, "scored_by": "robot", "instruction": f"{task} the red cube"} for i in range(n)]
        cells.append({"task": task, "condition": condition, "episodes": n, "successes": k,
                      "success_rate": round(k / n, 6), "success_ci95": [0, 1], "mean_completion": completion, "results": results})
    return {"format": "cotrain.evaluation.v1", "suite": "quick", "policy": policy, "robot": "sim", "embodiment": "ur5e",
            "complete": True, "stopped_early": None, "episodes": sum(c["episodes"] for c in cells), "seconds": 42.5,
            "episodes_per_second": 2.1, "timing": {}, "safety_adjustments": {}, "cells": cells}

conditions = ["nominal", "distractors", "paraphrase"]
vl = {("pick", "nominal"): (19, 20, 0.97), ("pick", "distractors"): (16, 20, 0.88), ("pick", "paraphrase"): (17, 20, 0.9),
      ("place", "nominal"): (17, 20, 0.91), ("place", "distractors"): (13, 20, 0.76), ("place", "paraphrase"): (14, 20, 0.8),
      ("push", "nominal"): (15, 20, 0.84), ("push", "distractors"): (11, 20, 0.7), ("push", "paraphrase"): (12, 20, 0.72)}
robot = {("pick", "nominal"): (18, 20, 0.95), ("pick", "distractors"): (9, 20, 0.62), ("pick", "paraphrase"): (6, 20, 0.5),
         ("place", "nominal"): (16, 20, 0.88), ("place", "distractors"): (8, 20, 0.55), ("place", "paraphrase"): (5, 20, 0.41),
         ("push", "nominal"): (16, 20, 0.86), ("push", "distractors"): (12, 20, 0.7), ("push", "paraphrase"): (14, 20, 0.75)}
for name, rates in [("eval-vl.json", ("vl+cross-embodiment", vl)), ("eval-robot-only.json", ("robot-only", robot))]:
    with open(name, "w") as f:
        json.dump(evaluation(*rates), f, indent=1)

def training_log(path, seed, text):
    rng = random.Random(seed)
    lines = []
    for step in range(1, 601):
        phase = "pretrain" if step <= 400 else "finetune"
        action = 0.08 + 1.6 * math.exp(-step / 90) * (1.15 if seed == 2 else 1.0) + rng.gauss(0, 0.02)
        line = {"step": step, "phase": phase, "lr": 0.0003 if step <= 400 else 0.0001,
                "action": round(abs(action), 5), "action_samples": 12, "tokens": 0, "token_samples": 0, "grad_norm": round(1 + rng.random(), 4)}
        text_loss = round(0.6 + 3.2 * math.exp(-step / 150) + abs(rng.gauss(0, 0.05)), 5) if text else 0
        line["text"], line["text_samples"] = text_loss, 4 if text else 0
        line["loss"] = round(line["action"] + text_loss, 5)
        lines.append(canonical(line))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")

training_log("training-vl.jsonl", 1, True)
training_log("training-robot-only.jsonl", 2, False)

def h(text):
    return hashlib.sha256(text.encode()).hexdigest()

labs = [h("lab-a"), h("lab-b"), h("lab-c"), h("lab-d")]
previous, result = "0" * 64, h("base-0")
with open("round-journal.jsonl", "w") as f:
    for rnd in [1, 2, 3, 4, 6, 7, 8]:
        members = [n for i, n in enumerate(labs) if (rnd + i) % 4 != 0 or rnd < 3]
        deltas = sorted([{"delta_hash": h(f"delta-{rnd}-{n}"), "node_id": n, "sample_count": 1600 + 400 * ((rnd * 7 + i) % 5)}
                         for i, n in enumerate(members)], key=lambda d: d["node_id"])
        rule = {"clip_value": 2, "clipping": "median_norm", "max_samples": None, "max_share": None, "method": "median",
                "server_lr": 1, "trim": None, "trim_fraction": None}
        body = {"base_hash": result, "deltas": deltas, "previous_hash": previous, "result_hash": h(f"result-{rnd}"),
                "round": rnd, "rule": rule, "version": 1}
        record = hashlib.sha256(canonical(body).encode()).hexdigest()
        f.write(canonical(dict(body, record_hash=record)) + "\n")
        previous, result = record, body["result_hash"]

def gif(path, size, frames, shade):
    """A tiny animated GIF89a: a square moving across, LZW with a clear code every 2 pixels (codes stay 3 bits)."""
    palette = bytes([245, 245, 245, 40, 40, 40, *shade, 200, 200, 200]) + bytes(4 * 3 * 0)
    out = bytearray(b"GIF89a" + struct.pack("<HH", size, size) + bytes([0xF1, 0, 0]) + palette)
    out += b"\x21\xFF\x0BNETSCAPE2.0\x03\x01\x00\x00\x00"
    for t in range(frames):
        pixels = []
        for y in range(size):
            for x in range(size):
                px = 4 + t * (size - 12) // frames
                pixels.append(2 if px <= x < px + 8 and size // 2 - 4 <= y < size // 2 + 4 else (3 if y > size * 3 // 4 else 0))
        out += b"\x21\xF9\x04\x04\x0A\x00\x00\x00" + b"\x2C" + struct.pack("<HHHH", 0, 0, size, size) + b"\x00\x02"
        codes, bits, acc, data = [], 0, 0, bytearray()
        for i, p in enumerate(pixels):
            if i % 2 == 0: codes.append(4)
            codes.append(p)
        codes.append(5)
        for c in codes:
            acc |= c << bits; bits += 3
            while bits >= 8: data.append(acc & 255); acc >>= 8; bits -= 8
        if bits: data.append(acc & 255)
        for i in range(0, len(data), 255):
            out += bytes([len(data[i:i + 255])]) + data[i:i + 255]
        out += b"\x00"
    out += b"\x3B"
    with open(path, "wb") as f:
        f.write(out)

gif("vl+cross-embodiment-pick-distractors-seed1000.gif", 48, 12, (0, 114, 178))
gif("robot-only-pick-distractors-seed1000.gif", 48, 12, (213, 94, 0))
