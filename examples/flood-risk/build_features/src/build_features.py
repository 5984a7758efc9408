"""Join rainfall, terrain, loss events and portfolio exposure into one feature table.

One row per region and month of the data window (`--window-start`..`--window-end`, YYYY-MM):

    rainfall_mm, rainfall_3m_mm     the month's rainfall and the three-month total ending with it
    rainfall_anomaly                the month's rainfall over the region's mean for that calendar
                                    month (computed on all the history given, so it is stable)
    elevation_m, slope_pct, river_distance_km
    exposure_usd, n_bonds           what the portfolio holds in the region
    flood_loss                      the label: a recorded flood-loss event
    split                           `train`, or `test` for the last `--holdout-months` months

Writes `features.csv`, the portfolio's bonds (`bonds.csv`) and `feature_spec.json` (which columns
are model features and which of them scale with rainfall) to the output folder. Refuses to run
when the data-quality report it is given says the data did not pass.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

FEATURES = [
    "rainfall_mm",
    "rainfall_3m_mm",
    "rainfall_anomaly",
    "elevation_m",
    "slope_pct",
    "river_distance_km",
]
RAINFALL_FEATURES = ["rainfall_mm", "rainfall_3m_mm", "rainfall_anomaly"]


def read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv", dtype={"region_id": str, "month": str})


def rainfall_features(rainfall: pd.DataFrame) -> pd.DataFrame:
    """Rolling three-month totals and anomalies, computed before the window is cut."""
    frame = rainfall.sort_values(["region_id", "month"]).copy()
    by_region = frame.groupby("region_id")["rainfall_mm"]
    rolling = by_region.transform(lambda s: s.rolling(3, min_periods=1).sum())
    frame["rainfall_3m_mm"] = rolling.round(1)
    calendar_month = frame["month"].str[5:7]
    normal = frame.groupby(["region_id", calendar_month])["rainfall_mm"].transform("mean")
    frame["rainfall_anomaly"] = (frame["rainfall_mm"] / normal).round(4)
    return frame


def build(folder: Path, start: str, end: str, holdout_months: int) -> pd.DataFrame:
    rain = rainfall_features(read(folder, "rainfall"))
    terrain = read(folder, "elevation")
    losses = read(folder, "loss_events")
    portfolio = read(folder, "portfolio")
    exposure = portfolio.groupby("region_id").agg(
        exposure_usd=("exposure_usd", "sum"), n_bonds=("bond_id", "count")
    )

    table = rain[(rain["month"] >= start) & (rain["month"] <= end)]
    table = table.merge(terrain, on="region_id", how="inner", validate="many_to_one")
    table = table.merge(losses, on=["region_id", "month"], how="inner", validate="one_to_one")
    table = table.merge(exposure, on="region_id", how="left")
    table[["exposure_usd", "n_bonds"]] = table[["exposure_usd", "n_bonds"]].fillna(0).astype(int)

    months = sorted(table["month"].unique())
    if holdout_months >= len(months):
        raise SystemExit(
            f"error: --holdout-months {holdout_months} leaves no training months in a window "
            f"of {len(months)} months"
        )
    first_test = months[len(months) - holdout_months]
    table["split"] = (table["month"] >= first_test).map({True: "test", False: "train"})
    columns = ["region_id", "month", *FEATURES, "exposure_usd", "n_bonds", "flood_loss", "split"]
    return table[columns].sort_values(["month", "region_id"]).reset_index(drop=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw-data", type=Path, required=True)
    parser.add_argument("--quality-report", type=Path, required=True)
    parser.add_argument("--window-start", required=True)
    parser.add_argument("--window-end", required=True)
    parser.add_argument("--holdout-months", type=int, required=True)
    parser.add_argument("--features", type=Path, required=True, help="output folder")
    args = parser.parse_args()

    quality = json.loads((args.quality_report / "quality.json").read_text(encoding="utf-8"))
    if not quality.get("passed"):
        print("error: the data-quality report says the data did not pass", file=sys.stderr)
        return 1

    table = build(args.raw_data, args.window_start, args.window_end, args.holdout_months)
    args.features.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.features / "features.csv", index=False, lineterminator="\n")
    bonds = read(args.raw_data, "portfolio").sort_values("bond_id")
    bonds.to_csv(args.features / "bonds.csv", index=False, lineterminator="\n")
    spec = {
        "features": FEATURES,
        "rainfall_features": RAINFALL_FEATURES,
        "label": "flood_loss",
        "window": {"start": args.window_start, "end": args.window_end},
        "test_months": sorted(table.loc[table["split"] == "test", "month"].unique().tolist()),
    }
    (args.features / "feature_spec.json").write_text(json.dumps(spec, indent=2) + "\n")

    counts = table["split"].value_counts()
    print(
        f"{len(table)} region-months ({counts.get('train', 0)} train, {counts.get('test', 0)} "
        f"test), positive rate {table['flood_loss'].mean():.3f}, {len(bonds)} bonds"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
