"""Checks deploy/: every YAML and JSON file parses, Kubernetes documents are
well formed, and every veille metric that the dashboard and the alert rules
query is one that veille exports.

    python3 deploy/check.py        (needs PyYAML)

Prints one line per file and exits non-zero on the first class of problem.
"""

import json
import pathlib
import re
import sys

import yaml

DEPLOY = pathlib.Path(__file__).resolve().parent
CRATES = DEPLOY.parent / "crates"
# Suffixes Prometheus adds to histogram series.
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def exported_metrics():
    """Metric names registered in the crates' sources."""
    names = set()
    for path in CRATES.glob("*/src/**/*.rs"):
        names.update(re.findall(r'"(veille_[a-z0-9_]+)"', path.read_text(encoding="utf-8")))
    return names


def queried_metrics(text):
    """veille metric names in PromQL expressions, histogram suffixes removed."""
    found = set()
    for name in re.findall(r"\b(veille_[a-z0-9_]+)", text):
        for suffix in HISTOGRAM_SUFFIXES:
            if name.endswith(suffix):
                name = name[: -len(suffix)]
                break
        found.add(name)
    return found


def main():
    problems = []
    expressions = []
    for path in sorted(DEPLOY.rglob("*")):
        rel = path.relative_to(DEPLOY)
        if path.suffix in (".yml", ".yaml"):
            try:
                docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
            except yaml.YAMLError as e:
                problems.append(f"{rel}: invalid YAML: {e}")
                continue
            if rel.parts[0] == "k8s":
                for i, doc in enumerate(docs):
                    for key in ("apiVersion", "kind"):
                        if key not in doc:
                            problems.append(f"{rel}: document {i} has no `{key}`")
                    if doc.get("kind") not in ("Kustomization",) and "name" not in doc.get("metadata", {}):
                        problems.append(f"{rel}: document {i} has no metadata.name")
            if rel.parts[0] == "prometheus" and path.name != "prometheus.yml":
                for group in docs[0].get("groups", []):
                    for rule in group.get("rules", []):
                        expressions.append((f"{rel} {rule.get('alert')}", rule.get("expr", "")))
            print(f"ok {rel} ({len(docs)} documents)")
        elif path.suffix == ".json":
            try:
                dashboard = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as e:
                problems.append(f"{rel}: invalid JSON: {e}")
                continue
            for panel in dashboard.get("panels", []):
                for target in panel.get("targets", []):
                    expressions.append((f"{rel} panel {panel.get('title')!r}", target.get("expr", "")))
            print(f"ok {rel}")
    exported = exported_metrics()
    for where, expr in expressions:
        for name in sorted(queried_metrics(expr) - exported):
            problems.append(f"{where}: queries `{name}`, which veille does not export")
    print(f"{len(expressions)} expressions checked against {len(exported)} exported metrics")
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
