"""Scores or times texts with the Python VADER reference implementations.

Usage:
    vader_reference.py score en|fr TEXTS.json OUT.json
    vader_reference.py time en|fr TEXTS.json [ROUNDS]

TEXTS.json holds a JSON array of strings. `score` writes a JSON array of
[compound, pos, neu, neg] per text. `time` prints one JSON object with the
number of texts scored and posts per second (best of ROUNDS passes, timed by
the thread's CPU clock: the throughput of one core, however busy the machine).
"""

import json
import sys
import time
import warnings


def analyzer(lang):
    warnings.filterwarnings("ignore")
    if lang == "en":
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    elif lang == "fr":
        from vaderSentiment_fr.vaderSentiment import SentimentIntensityAnalyzer
    else:
        raise SystemExit(f"unknown language {lang!r}")
    return SentimentIntensityAnalyzer()


def main(argv):
    if len(argv) < 4 or argv[1] not in ("score", "time"):
        raise SystemExit(__doc__)
    mode, lang, path = argv[1], argv[2], argv[3]
    with open(path, encoding="utf-8") as f:
        texts = json.load(f)
    scorer = analyzer(lang)
    if mode == "score":
        results = []
        for text in texts:
            s = scorer.polarity_scores(text)
            results.append([s["compound"], s["pos"], s["neu"], s["neg"]])
        with open(argv[4], "w", encoding="utf-8") as f:
            json.dump(results, f)
        return
    rounds = int(argv[4]) if len(argv) > 4 else 3
    best = float("inf")
    for _ in range(rounds):
        start = time.thread_time()
        for text in texts:
            scorer.polarity_scores(text)
        best = min(best, time.thread_time() - start)
    print(json.dumps({"posts": len(texts), "posts_per_second": len(texts) / best}))


if __name__ == "__main__":
    main(sys.argv)
