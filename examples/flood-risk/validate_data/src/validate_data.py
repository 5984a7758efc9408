"""Check the raw flood-risk inputs before anything is trained on them.

Reads `rainfall.csv`, `elevation.csv`, `portfolio.csv` and `loss_events.csv` from the input
folder and checks that the files and columns are there, that no value is missing, that every
reading is physically possible (rainfall within the configured bounds, elevations on Earth), that
every region has rainfall and loss records for every month of the data window, and that every
bond's region has terrain data.

Writes `quality.json` (every check, passed or not) to the output folder in all cases, then exits
with status 1 and a one-line summary on stderr when any check failed, so that the pipeline stops
before feature building and training.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

COLUMNS = {
    "rainfall": ["region_id", "month", "rainfall_mm"],
    "elevation": ["region_id", "elevation_m", "slope_pct", "river_distance_km"],
    "portfolio": ["bond_id", "issuer", "sector", "region_id", "exposure_usd", "maturity_year"],
    "loss_events": ["region_id", "month", "flood_loss"],
}
# Physical limits, not business thresholds: the Dead Sea shore to the top of Everest.
ELEVATION_RANGE_M = (-430.0, 8850.0)
SLOPE_RANGE_PCT = (0.0, 100.0)
MAX_EXAMPLES = 5


class Report:
    """The list of checks made, and the problems found, in the order they were made."""

    def __init__(self) -> None:
        self.checks: list[dict[str, Any]] = []

    def add(self, check: str, table: str, problems: list[str]) -> None:
        self.checks.append(
            {"check": check, "file": f"{table}.csv", "passed": not problems, "problems": problems}
        )

    @property
    def problems(self) -> list[str]:
        return [f"{c['file']}: {p}" for c in self.checks for p in c["problems"]]


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def where(frame: pd.DataFrame, mask: pd.Series) -> str:
    """'line 12 (R07 2022-06), line 40 (…)': the first few offending CSV lines, 1-based."""
    keys = [c for c in ("bond_id", "region_id", "month") if c in frame.columns]
    shown = []
    for index in frame.index[mask][:MAX_EXAMPLES]:
        label = " ".join(str(frame.at[index, k]) for k in keys)
        shown.append(f"line {index + 2} ({label})")
    more = int(mask.sum()) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def load(folder: Path, report: Report) -> dict[str, pd.DataFrame]:
    """Read each expected file; record missing files and columns as problems."""
    tables = {}
    for name, columns in COLUMNS.items():
        path = folder / f"{name}.csv"
        if not path.is_file():
            report.add("file present", name, [f"missing file {path}"])
            continue
        frame = pd.read_csv(path, dtype={"region_id": str, "month": str, "bond_id": str})
        absent = [c for c in columns if c not in frame.columns]
        report.add("columns present", name, [f"missing column `{c}`" for c in absent])
        if not absent:
            tables[name] = frame
    return tables


def check_missing(tables: dict[str, pd.DataFrame], report: Report) -> None:
    for name, frame in tables.items():
        problems = []
        for column in COLUMNS[name]:
            mask = frame[column].isna()
            if mask.any():
                count = plural(int(mask.sum()), f"missing `{column}` value")
                problems.append(f"{count} at {where(frame, mask)}")
        report.add("no missing values", name, problems)


def check_range(
    report: Report, name: str, frame: pd.DataFrame, column: str, low: float, high: float
) -> None:
    values = pd.to_numeric(frame[column], errors="coerce")
    mask = values.notna() & ((values < low) | (values > high))
    problems = []
    if mask.any():
        bad = values[mask]
        seen = f"{bad.min():g}" if bad.min() == bad.max() else f"{bad.min():g} to {bad.max():g}"
        problems.append(
            f"{plural(int(mask.sum()), '`' + column + '` value')} outside [{low:g}, {high:g}] "
            f"(seen: {seen}) at {where(frame, mask)}"
        )
    report.add(f"{column} in range", name, problems)


def month_range(start: str, end: str) -> list[str]:
    return [str(p) for p in pd.period_range(start, end, freq="M")]


def check_completeness(tables: dict[str, pd.DataFrame], window: list[str], report: Report) -> None:
    """Every region with terrain data needs one row per month of the window, and no duplicates."""
    if "elevation" not in tables:
        return
    regions = sorted(tables["elevation"]["region_id"].dropna().unique())
    expected = pd.MultiIndex.from_product([regions, window], names=["region_id", "month"])
    for name in ("rainfall", "loss_events"):
        if name not in tables:
            continue
        frame = tables[name]
        keys = pd.MultiIndex.from_frame(frame[["region_id", "month"]])
        duplicated = keys.duplicated()
        gaps = expected.difference(keys)
        problems = []
        if len(gaps):
            shown = ", ".join(f"{r} {m}" for r, m in gaps[:MAX_EXAMPLES])
            problems.append(f"{plural(len(gaps), 'region-month')} of the window missing: {shown}")
        if duplicated.any():
            problems.append(f"{plural(int(duplicated.sum()), 'duplicate region-month row')}")
        report.add("window complete", name, problems)


def check_references(tables: dict[str, pd.DataFrame], report: Report) -> None:
    if "portfolio" not in tables or "elevation" not in tables:
        return
    portfolio = tables["portfolio"]
    mask = ~portfolio["region_id"].isin(tables["elevation"]["region_id"])
    problems = []
    if mask.any():
        count = plural(int(mask.sum()), "bond")
        problems.append(f"{count} in regions with no terrain data at {where(portfolio, mask)}")
    report.add("bond regions known", "portfolio", problems)


def validate(folder: Path, window: list[str], rain_low: float, rain_high: float) -> Report:
    report = Report()
    tables = load(folder, report)
    check_missing(tables, report)
    if "rainfall" in tables:
        check_range(report, "rainfall", tables["rainfall"], "rainfall_mm", rain_low, rain_high)
    if "elevation" in tables:
        elevation = tables["elevation"]
        check_range(report, "elevation", elevation, "elevation_m", *ELEVATION_RANGE_M)
        check_range(report, "elevation", elevation, "slope_pct", *SLOPE_RANGE_PCT)
        check_range(report, "elevation", elevation, "river_distance_km", 0.0, 20000.0)
    if "portfolio" in tables:
        check_range(report, "portfolio", tables["portfolio"], "exposure_usd", 1.0, 1e12)
    if "loss_events" in tables:
        check_range(report, "loss_events", tables["loss_events"], "flood_loss", 0, 1)
    check_completeness(tables, window, report)
    check_references(tables, report)
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw-data", type=Path, required=True)
    parser.add_argument("--window-start", required=True, help="first month, YYYY-MM")
    parser.add_argument("--window-end", required=True, help="last month, YYYY-MM")
    parser.add_argument("--min-rainfall-mm", type=float, required=True)
    parser.add_argument("--max-rainfall-mm", type=float, required=True)
    parser.add_argument("--quality-report", type=Path, required=True, help="output folder")
    args = parser.parse_args()

    window = month_range(args.window_start, args.window_end)
    if not window:
        print(f"error: window {args.window_start}..{args.window_end} is empty", file=sys.stderr)
        return 2
    report = validate(args.raw_data, window, args.min_rainfall_mm, args.max_rainfall_mm)
    problems = report.problems
    summary = {
        "passed": not problems,
        "window": {"start": window[0], "end": window[-1], "months": len(window)},
        "rainfall_bounds_mm": [args.min_rainfall_mm, args.max_rainfall_mm],
        "checks": report.checks,
        "problems": problems,
    }
    args.quality_report.mkdir(parents=True, exist_ok=True)
    out = args.quality_report / "quality.json"
    out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")

    passed = sum(c["passed"] for c in report.checks)
    print(f"{passed}/{len(report.checks)} checks passed for window {window[0]}..{window[-1]}")
    if problems:
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        print(
            f"data quality check failed: {plural(len(problems), 'problem')} in {args.raw_data}; "
            f"training stopped (details in {out})",
            file=sys.stderr,
        )
        return 1
    print(f"data quality check passed; report written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
