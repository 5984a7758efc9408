"""Score every bond in the portfolio under rainfall scenarios.

A scenario scales the rainfall features of the most recent `--horizon-months` months of the
feature table by a factor (`baseline:1.0` keeps them as observed, `rain_plus_25:1.25` adds 25 %).
For each region the model gives a monthly flood-loss probability p; over the horizon the expected
number of loss months is `sum(p)` and the chance of at least one is `1 - prod(1 - p)`. A bond's
expected loss is its exposure times the expected loss months times `--loss-given-event` (the
share of exposure impaired by one month of flood losses in the issuer's region).

Writes `scenario_scores.csv` (one row per scenario and bond) and `scenarios.json` (totals per
scenario) to the output folder.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from pathlib import Path
from typing import Any

import pandas as pd


def parse_scenarios(text: str) -> dict[str, float]:
    """'baseline:1.0,rain_plus_10:1.1' → {'baseline': 1.0, 'rain_plus_10': 1.1}."""
    scenarios = {}
    for item in text.split(","):
        name, sep, factor = item.strip().partition(":")
        if not sep or not name:
            raise SystemExit(f"error: scenario `{item}` is not NAME:FACTOR")
        scenarios[name] = float(factor)
    return scenarios


def load_model(folder: Path) -> tuple[Any, dict[str, Any]]:
    card = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    with (folder / "model.pkl").open("rb") as handle:
        model = pickle.load(handle)  # noqa: S301 - written by this pipeline's own train step
    return model, card


def region_risk(
    model: Any, card: dict[str, Any], recent: pd.DataFrame, factor: float
) -> pd.DataFrame:
    """Expected loss months and the chance of at least one loss month, per region."""
    scenario = recent.copy()
    for column in card["rainfall_features"]:
        scenario[column] = scenario[column] * factor
    p = pd.Series(model.predict_proba(scenario[card["features"]])[:, 1], index=scenario.index)
    by_region = p.groupby(scenario["region_id"])
    return pd.DataFrame(
        {
            "expected_loss_months": by_region.sum(),
            "event_probability": 1 - (1 - p).groupby(scenario["region_id"]).prod(),
        }
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--features", type=Path, required=True)
    parser.add_argument("--scenarios", required=True, help="NAME:FACTOR,NAME:FACTOR,…")
    parser.add_argument("--horizon-months", type=int, required=True)
    parser.add_argument("--loss-given-event", type=float, required=True)
    parser.add_argument("--scores", type=Path, required=True, help="output folder")
    args = parser.parse_args()

    model, card = load_model(args.model)
    table = pd.read_csv(args.features / "features.csv", dtype={"region_id": str, "month": str})
    bonds = pd.read_csv(args.features / "bonds.csv", dtype={"region_id": str})
    months = sorted(table["month"].unique())[-args.horizon_months :]
    recent = table[table["month"].isin(months)]

    frames, totals = [], []
    for name, factor in parse_scenarios(args.scenarios).items():
        risk = region_risk(model, card, recent, factor)
        scored = bonds.merge(risk, left_on="region_id", right_index=True, how="left")
        scored[risk.columns] = scored[risk.columns].fillna(0.0).round(4)
        scored["expected_loss_usd"] = (
            scored["exposure_usd"] * scored["expected_loss_months"] * args.loss_given_event
        ).round(0)
        scored.insert(0, "scenario", name)
        scored.insert(1, "rainfall_factor", factor)
        frames.append(scored)
        totals.append(
            {
                "scenario": name,
                "rainfall_factor": factor,
                "exposure_usd": int(scored["exposure_usd"].sum()),
                "expected_loss_usd": float(scored["expected_loss_usd"].sum()),
                "loss_to_exposure": round(
                    float(scored["expected_loss_usd"].sum() / scored["exposure_usd"].sum()), 6
                ),
                "bonds_likely_hit": int((scored["event_probability"] >= 0.5).sum()),
            }
        )
        print(
            f"{name:>14} x{factor:.2f}: expected loss {totals[-1]['expected_loss_usd']:>12,.0f} "
            f"USD, {totals[-1]['bonds_likely_hit']} bonds with P(loss month) >= 0.5"
        )

    args.scores.mkdir(parents=True, exist_ok=True)
    pd.concat(frames).to_csv(args.scores / "scenario_scores.csv", index=False, lineterminator="\n")
    summary = {"horizon": months, "loss_given_event": args.loss_given_event, "scenarios": totals}
    (args.scores / "scenarios.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"scored {len(bonds)} bonds under {len(totals)} scenarios over {len(months)} months")
    return 0


if __name__ == "__main__":
    sys.exit(main())
