"""Compare the plant summaries of one refresh run and rank the plants.

Takes the summary folder of each plant (`--summary`, repeated), ranks the plants by anomaly rate,
and lists every machine that needs an inspection. Writes `comparison.csv` (one row per plant)
and `comparison.md` to the output folder. Fails if two summaries cover different windows, since
their rates would not be comparable.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--summary", type=Path, action="append", required=True)
    parser.add_argument("--comparison", type=Path, required=True, help="output folder")
    args = parser.parse_args()

    summaries: list[dict[str, Any]] = [
        json.loads((folder / "summary.json").read_text("utf-8")) for folder in args.summary
    ]
    windows = {(s["window"]["start"], s["window"]["end"]) for s in summaries}
    if len(windows) > 1:
        shown = sorted(windows)
        print(f"error: the plant summaries cover different windows: {shown}", file=sys.stderr)
        return 1
    ranked = sorted(summaries, key=lambda s: (-s["anomaly_rate"], s["plant_id"]))

    args.comparison.mkdir(parents=True, exist_ok=True)
    columns = ["rank", "plant_id", "readings", "anomalies", "anomaly_rate", "machines_to_inspect"]
    rows = [
        [rank, *(s[c] for c in columns[1:5]), " ".join(s["machines_to_inspect"])]
        for rank, s in enumerate(ranked, start=1)
    ]
    with (args.comparison / "comparison.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)

    start, end = windows.pop()
    lines = [f"# Plant comparison, {start} to {end}", "", "| " + " | ".join(columns) + " |"]
    lines.append("|" + "---|" * len(columns))
    lines += ["| " + " | ".join(str(v) or "-" for v in row) + " |" for row in rows]
    inspect = [f"{s['plant_id']}/{m}" for s in ranked for m in s["machines_to_inspect"]]
    lines += ["", f"Machines to inspect: {', '.join(inspect) or 'none'}."]
    (args.comparison / "comparison.md").write_text("\n".join(lines) + "\n", "utf-8")
    for row in rows:
        print(f"{row[0]}. {row[1]}: anomaly rate {row[4]}, inspect: {row[5] or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
