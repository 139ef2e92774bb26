#!/usr/bin/env python3
"""Summarises a scripts/bench-ab.sh run: per scenario, headline and label, the median of
all rounds with their range, and the ratio to the floor (or to REF) in the same round.

Usage: scripts/bench-ab-summary.py target/bench-ab/<time> [REF]   (REF defaults to floor)
"""
import json
import pathlib
import re
import statistics
import sys
from collections import defaultdict


def main() -> None:
    out = pathlib.Path(sys.argv[1])
    ref = sys.argv[2] if len(sys.argv) > 2 else "floor"
    # values[scenario][headline][label][round] = value
    values = defaultdict(lambda: defaultdict(lambda: defaultdict(dict)))
    for path in sorted(out.glob("*.json")):
        match = re.fullmatch(r"(.+)-([a-z0-9]+)-(\d+)", path.stem)
        if not match:
            continue
        label, scenario, rnd = match.group(1), match.group(2), int(match.group(3))
        outcome = json.loads(path.read_text())
        for headline in outcome.get("headlines", []):
            values[scenario][headline["label"]][label][rnd] = headline["value"]
    for scenario, headlines in values.items():
        print(f"## {scenario}")
        for headline, labels in headlines.items():
            print(f"  {headline}")
            base = labels.get(ref, {})
            for label, rounds in sorted(labels.items()):
                runs = list(rounds.values())
                line = (f"    {label:>12}: median {statistics.median(runs):>12,.2f}"
                        f"  ({min(runs):,.2f}–{max(runs):,.2f}, {len(runs)} runs)")
                ratios = [v / base[r] for r, v in rounds.items() if base.get(r)]
                if label != ref and ratios:
                    line += (f"  ratio to {ref} {statistics.median(ratios):.2f}"
                             f" ({min(ratios):.2f}–{max(ratios):.2f})")
                print(line)


if __name__ == "__main__":
    main()
