"""Agreement of cxlens sentiment with the crowd labels: `python compare.py Tweets.csv scored.csv`."""
import csv, sys
from collections import Counter
labels = [row["airline_sentiment"] for row in csv.DictReader(open(sys.argv[1], encoding="utf-8"))]
scored = [row["sentiment"] for row in csv.DictReader(open(sys.argv[2], encoding="utf-8"))]
pairs = Counter(zip(labels, scored))
print(f"tweets {len(labels)}  agree {sum(n for (a, b), n in pairs.items() if a == b) / len(labels):.1%}")
print("label \\ cxlens  " + "  ".join(f"{s:>8}" for s in ("negative", "neutral", "positive")))
for label in ("negative", "neutral", "positive"):
    print(f"{label:<15} " + "  ".join(f"{pairs[label, s]:>8}" for s in ("negative", "neutral", "positive")))
