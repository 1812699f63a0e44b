"""Reference PageRank for veille-graph's tests.

Usage: pagerank.py EDGES.tsv [DAMPING [TOL [MAX_ITER]]]

Reads `source<TAB>target[<TAB>weight]` lines (blank lines and `#` comments
skipped), builds a networkx MultiDiGraph (parallel edges add their weights)
and prints networkx.pagerank of every node as one JSON object. DAMPING, TOL
and MAX_ITER default to networkx's own defaults (0.85, 1e-6, 100).
"""

import json
import sys

import networkx as nx


def main() -> None:
    path = sys.argv[1]
    damping = float(sys.argv[2]) if len(sys.argv) > 2 else 0.85
    tol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-6
    max_iter = int(sys.argv[4]) if len(sys.argv) > 4 else 100
    graph = nx.MultiDiGraph()
    with open(path, encoding="utf-8", newline="") as f:
        for line in f:
            line = line.rstrip("\n").rstrip("\r")
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split("\t")
            weight = float(fields[2]) if len(fields) > 2 else 1.0
            graph.add_edge(fields[0], fields[1], weight=weight)
    ranks = nx.pagerank(graph, alpha=damping, tol=tol, max_iter=max_iter)
    json.dump(ranks, sys.stdout)


if __name__ == "__main__":
    main()
