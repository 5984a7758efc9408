"""Summarise one plant's refresh: readings checked, anomalies per machine, and a status.

A machine's status comes from the number of distinct days with at least one anomaly in the
window: `ok` (none), `watch` (one or two), `inspect` (three or more). Writes `summary.json` (read
by the cross-plant comparison) and `summary.md` (for people) to the output folder.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def status(anomaly_days: int) -> str:
    if anomaly_days == 0:
        return "ok"
    return "watch" if anomaly_days <= 2 else "inspect"


def summarise(
    plant_id: str, readings: list[dict[str, str]], anomalies: list[dict[str, str]]
) -> dict[str, Any]:
    window = [r for r in readings if r["in_window"] == "1"]
    days: dict[str, set[str]] = defaultdict(set)
    sensors: dict[str, Counter[str]] = defaultdict(Counter)
    for anomaly in anomalies:
        days[anomaly["machine_id"]].add(anomaly["date"])
        sensors[anomaly["machine_id"]][anomaly["sensor"]] += 1
    machines = {}
    for machine in sorted({r["machine_id"] for r in window}):
        dates = sorted(days[machine])
        machines[machine] = {
            "readings": sum(r["machine_id"] == machine for r in window),
            "anomalies": sum(sensors[machine].values()),
            "anomaly_days": len(dates),
            "first_anomaly": dates[0] if dates else None,
            "last_anomaly": dates[-1] if dates else None,
            "by_sensor": dict(sorted(sensors[machine].items())),
            "status": status(len(dates)),
        }
    dates = sorted(r["date"] for r in window)
    return {
        "plant_id": plant_id,
        "window": {"start": dates[0], "end": dates[-1]},
        "readings": len(window),
        "anomalies": len(anomalies),
        "anomaly_rate": round(len(anomalies) / len(window), 4),
        "machines_to_inspect": [m for m, v in machines.items() if v["status"] == "inspect"],
        "machines": machines,
    }


def markdown(summary: dict[str, Any]) -> str:
    window = summary["window"]
    lines = [
        f"# Plant {summary['plant_id']}: {window['start']} to {window['end']}",
        "",
        f"{summary['readings']} machine-days, {summary['anomalies']} anomalous readings.",
        "",
        "| machine | status | anomaly days | first | last | sensors |",
        "|---|---|---|---|---|---|",
    ]
    for machine, m in summary["machines"].items():
        by_sensor = ", ".join(f"{s} ({n})" for s, n in m["by_sensor"].items()) or "-"
        lines.append(
            f"| {machine} | {m['status']} | {m['anomaly_days']} | {m['first_anomaly'] or '-'} "
            f"| {m['last_anomaly'] or '-'} | {by_sensor} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plant-id", required=True)
    parser.add_argument("--readings", type=Path, required=True)
    parser.add_argument("--anomalies", type=Path, required=True)
    parser.add_argument("--summary", type=Path, required=True, help="output folder")
    args = parser.parse_args()

    summary = summarise(
        args.plant_id,
        read_csv(args.readings / "readings.csv"),
        read_csv(args.anomalies / "anomalies.csv"),
    )
    args.summary.mkdir(parents=True, exist_ok=True)
    (args.summary / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", "utf-8")
    (args.summary / "summary.md").write_text(markdown(summary), "utf-8")
    statuses = ", ".join(f"{m} {v['status']}" for m, v in summary["machines"].items())
    print(f"{args.plant_id}: {statuses}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
