"""Flag sensor readings that stray too far from each machine's reference period.

The reference period is the look-back that `load_readings` added before the window (rows with
`in_window` 0): for every machine and sensor, its mean and standard deviation there are the
machine's normal. A reading in the window whose z-score against that normal reaches
`--threshold` in either direction is an anomaly. A fixed reference (rather than a rolling one)
keeps a slow drift, such as a wearing bearing, from quietly becoming the new normal.

Reads `readings.csv` from the input folder; writes `anomalies.csv` (one row per anomalous
reading) to the output folder. Fails when a machine has too short a reference period.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
from collections import defaultdict
from pathlib import Path

SENSORS = ["vibration_mm_s", "temperature_c", "pressure_bar"]
FIELDS = ["plant_id", "machine_id", "date", "sensor", "value", "baseline_mean", "baseline_std", "z"]
MIN_REFERENCE_DAYS = 7

Baselines = dict[tuple[str, str], tuple[float, float]]


def baselines(rows: list[dict[str, str]]) -> Baselines:
    """(machine, sensor) → (mean, standard deviation) over the reference period."""
    values: dict[tuple[str, str], list[float]] = defaultdict(list)
    for row in rows:
        if row["in_window"] == "0":
            for sensor in SENSORS:
                values[row["machine_id"], sensor].append(float(row[sensor]))
    machines = {row["machine_id"] for row in rows}
    short = sorted(m for m in machines if len(values[m, SENSORS[0]]) < MIN_REFERENCE_DAYS)
    if short:
        raise SystemExit(
            f"error: machines {short} have fewer than {MIN_REFERENCE_DAYS} reference days; "
            "increase lookback_days"
        )
    return {key: (statistics.fmean(v), statistics.stdev(v)) for key, v in values.items()}


def detect(rows: list[dict[str, str]], normal: Baselines, threshold: float) -> list[list[str]]:
    """The anomalous readings in the window, in the order of `rows`."""
    found = []
    for row in rows:
        if row["in_window"] != "1":
            continue
        for sensor in SENSORS:
            value = float(row[sensor])
            mean, std = normal[row["machine_id"], sensor]
            z = (value - mean) / std if std > 0 else 0.0
            if abs(z) >= threshold:
                stats = [f"{value:g}", f"{mean:.3f}", f"{std:.3f}", f"{z:.2f}"]
                found.append([row["plant_id"], row["machine_id"], row["date"], sensor, *stats])
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=Path, required=True)
    parser.add_argument("--threshold", type=float, required=True, help="|z| that is anomalous")
    parser.add_argument("--anomalies", type=Path, required=True, help="output folder")
    args = parser.parse_args()

    with (args.readings / "readings.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    found = detect(rows, baselines(rows), args.threshold)

    args.anomalies.mkdir(parents=True, exist_ok=True)
    with (args.anomalies / "anomalies.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(FIELDS)
        writer.writerows(found)
    checked = sum(row["in_window"] == "1" for row in rows) * len(SENSORS)
    print(f"{len(found)} anomalies in {checked} sensor readings (|z| >= {args.threshold:g})")
    for row in found[:8]:
        print(f"  {row[1]} {row[2]} {row[3]} = {row[4]} (z {row[7]})")
    if len(found) > 8:
        print(f"  … and {len(found) - 8} more")
    return 0


if __name__ == "__main__":
    sys.exit(main())
