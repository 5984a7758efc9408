"""Load one plant's sensor readings for the data window, plus a look-back as reference period.

Reads `<plant_id>.csv` from the readings folder and keeps the rows from `--lookback-days` before
`--window-start` up to `--window-end` (dates as YYYY-MM-DD). Rows are sorted by machine and date
and marked `in_window` 1 or 0, so that the anomaly detector can take each machine's normal from
the days just before the window. Writes `readings.csv` to the output folder.

Fails with a clear message when the plant has no file or no readings in the window.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=Path, required=True, help="folder of <plant>.csv")
    parser.add_argument("--plant-id", required=True)
    parser.add_argument("--window-start", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--window-end", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--lookback-days", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    args = parser.parse_args()

    source = args.readings / f"{args.plant_id}.csv"
    if not source.is_file():
        known = sorted(p.stem for p in args.readings.glob("*.csv"))
        print(f"error: no readings for plant `{args.plant_id}` (plants: {known})", file=sys.stderr)
        return 1
    first = args.window_start - dt.timedelta(days=args.lookback_days)
    with source.open(newline="", encoding="utf-8") as handle:
        rows = [
            row
            for row in csv.DictReader(handle)
            if first <= dt.date.fromisoformat(row["date"]) <= args.window_end
        ]
    for row in rows:
        row["in_window"] = "1" if row["date"] >= args.window_start.isoformat() else "0"
    rows.sort(key=lambda row: (row["machine_id"], row["date"]))
    in_window = sum(row["in_window"] == "1" for row in rows)
    if not in_window:
        print(
            f"error: plant `{args.plant_id}` has no readings between {args.window_start} and "
            f"{args.window_end}",
            file=sys.stderr,
        )
        return 1

    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "readings.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    machines = sorted({row["machine_id"] for row in rows})
    print(
        f"{args.plant_id}: {in_window} readings in window {args.window_start}..{args.window_end} "
        f"(+{len(rows) - in_window} look-back) from machines {', '.join(machines)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
