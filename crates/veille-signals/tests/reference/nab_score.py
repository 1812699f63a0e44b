"""Independent re-implementation of NAB's scoring, for cross-checking veille.

Reads NAB results files (timestamp,value,anomaly_score,label) under a results
directory, the label windows JSON and the profiles JSON, and prints, as JSON,
the raw score of every file (keyed by file name) for every profile, plus the
normalised total. Follows NAB's documented algorithm (nab/sweeper.py):
probationary period min(floor(0.15 n), 0.15 * 5000) rows, scaled sigmoid
weights, earliest detection per window, FP weights relative to the preceding
window, null detector = no detection, perfect = tpWeight per window.

Usage: nab_score.py RESULTS_DIR WINDOWS_JSON PROFILES_JSON
Standard library only.
"""

import csv
import json
import math
import os
import sys
from datetime import datetime

PROBATION_PERCENT = 0.15


def parse_time(text):
    text = text.strip()
    for fmt in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            pass
    raise ValueError("not a timestamp: %r" % text)


def scaled_sigmoid(position):
    if position >= 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * position)) - 1.0


def raw_score(times, detected, windows, cost):
    n = len(times)
    probation = min(math.floor(PROBATION_PERCENT * n), PROBATION_PERCENT * 5000)
    limits = [(times.index(a), times.index(b)) for a, b in windows]
    max_tp = scaled_sigmoid(-1.0)
    parts = {}
    fp_total = 0.0
    current = None
    previous = None
    pending = list(range(len(windows)))
    for i, t in enumerate(times):
        if current is None and pending and t == windows[pending[0]][0]:
            current = pending.pop(0)
        if current is not None:
            left, right = limits[current]
            width = right - left + 1.0
            weight = scaled_sigmoid(-(right - i + 1) / width) * cost["tpWeight"] / max_tp
        elif previous is None or previous[1] <= 1.0:
            weight = scaled_sigmoid(3.0) * cost["fpWeight"]
        else:
            weight = scaled_sigmoid(abs(previous[0] - i) / (previous[1] - 1.0)) * cost["fpWeight"]
        if i >= probation:
            if current is not None:
                parts.setdefault(current, -cost["fnWeight"])
                if detected[i]:
                    parts[current] = max(parts[current], weight)
            elif detected[i]:
                fp_total += weight
        if current is not None and t == windows[current][1]:
            left, right = limits[current]
            previous = (right, right - left + 1.0)
            current = None
    null = -cost["fnWeight"] * len(parts)
    return sum(parts.values()) + fp_total, null, cost["tpWeight"] * len(windows)


def main():
    results_dir, windows_path, profiles_path = sys.argv[1:4]
    with open(windows_path) as f:
        windows = {os.path.basename(k): [(parse_time(a), parse_time(b)) for a, b in v] for k, v in json.load(f).items()}
    with open(profiles_path) as f:
        profiles = json.load(f)
    files = {}
    for root, _, names in os.walk(results_dir):
        for name in sorted(names):
            if name.endswith(".csv"):
                with open(os.path.join(root, name)) as f:
                    rows = list(csv.DictReader(f))
                data_name = name[len("veille_"):] if name.startswith("veille_") else name
                files[data_name] = (
                    [parse_time(r["timestamp"]) for r in rows],
                    [float(r["anomaly_score"]) >= 0.5 for r in rows],
                )
    out = {}
    for profile, spec in profiles.items():
        cost = spec["CostMatrix"]
        per_file = {}
        raw_sum = null_sum = perfect_sum = 0.0
        for name, (times, detected) in sorted(files.items()):
            raw, null, perfect = raw_score(times, detected, windows[name], cost)
            per_file[name] = raw
            raw_sum, null_sum, perfect_sum = raw_sum + raw, null_sum + null, perfect_sum + perfect
        overall = 100.0 * (raw_sum - null_sum) / (perfect_sum - null_sum) if perfect_sum > null_sum else 0.0
        out[profile] = {"raw": per_file, "overall": overall}
    json.dump(out, sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
