"""Write the portfolio exposure report from the scenario scores.

Reads `scenario_scores.csv` and writes to the output folder:

    exposure_report.md       expected loss per scenario and its change against the first
                             (baseline) scenario, losses by sector, and the `--top-n` bonds with
                             the largest expected loss under the most severe scenario
    exposure_by_region.csv   exposure and expected loss per scenario and region
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table (kept here to avoid a dependency for one function)."""
    lines = [
        "| " + " | ".join(frame.columns) + " |",
        "|" + "|".join("---" for _ in frame.columns) + "|",
    ]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(False)]
    return "\n".join(lines)


def usd(value: float) -> str:
    return f"{value:,.0f}"


def scenario_table(scores: pd.DataFrame) -> pd.DataFrame:
    order = list(dict.fromkeys(scores["scenario"]))
    totals = scores.groupby("scenario", sort=False).agg(
        rainfall_factor=("rainfall_factor", "first"),
        exposure_usd=("exposure_usd", "sum"),
        expected_loss_usd=("expected_loss_usd", "sum"),
    )
    totals = totals.loc[order]
    base = totals["expected_loss_usd"].iloc[0]
    return pd.DataFrame(
        {
            "scenario": totals.index,
            "rainfall factor": totals["rainfall_factor"].map("{:.2f}".format),
            "exposure (USD)": totals["exposure_usd"].map(usd),
            "expected loss (USD)": totals["expected_loss_usd"].map(usd),
            "vs baseline": (totals["expected_loss_usd"] / base - 1).map("{:+.1%}".format),
        }
    )


def sector_table(worst: pd.DataFrame) -> pd.DataFrame:
    sectors = worst.groupby("sector").agg(
        bonds=("bond_id", "count"),
        exposure_usd=("exposure_usd", "sum"),
        expected_loss_usd=("expected_loss_usd", "sum"),
    )
    sectors = sectors.sort_values("expected_loss_usd", ascending=False)
    return pd.DataFrame(
        {
            "sector": sectors.index,
            "bonds": sectors["bonds"],
            "exposure (USD)": sectors["exposure_usd"].map(usd),
            "expected loss (USD)": sectors["expected_loss_usd"].map(usd),
        }
    )


def top_bonds(worst: pd.DataFrame, top_n: int) -> pd.DataFrame:
    top = worst.sort_values(["expected_loss_usd", "bond_id"], ascending=[False, True]).head(top_n)
    return pd.DataFrame(
        {
            "bond": top["bond_id"],
            "issuer": top["issuer"],
            "region": top["region_id"],
            "exposure (USD)": top["exposure_usd"].map(usd),
            "P(loss month)": top["event_probability"].map("{:.2f}".format),
            "expected loss (USD)": top["expected_loss_usd"].map(usd),
        }
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scores", type=Path, required=True)
    parser.add_argument("--top-n", type=int, required=True)
    parser.add_argument("--report", type=Path, required=True, help="output folder")
    args = parser.parse_args()

    scores = pd.read_csv(args.scores / "scenario_scores.csv", dtype={"region_id": str})
    worst_name = scores.loc[scores["rainfall_factor"].idxmax(), "scenario"]
    worst = scores[scores["scenario"] == worst_name]

    text = "\n\n".join(
        [
            "# Flood exposure of the municipal bond portfolio",
            f"{worst['bond_id'].nunique()} bonds, {worst['region_id'].nunique()} regions.",
            "## Expected loss by rainfall scenario",
            markdown_table(scenario_table(scores)),
            f"## By sector, scenario `{worst_name}`",
            markdown_table(sector_table(worst)),
            f"## Top {args.top_n} bonds by expected loss, scenario `{worst_name}`",
            markdown_table(top_bonds(worst, args.top_n)),
        ]
    )
    args.report.mkdir(parents=True, exist_ok=True)
    (args.report / "exposure_report.md").write_text(text + "\n", encoding="utf-8")

    regions = scores.groupby(["scenario", "region_id"], sort=False, as_index=False).agg(
        exposure_usd=("exposure_usd", "sum"), expected_loss_usd=("expected_loss_usd", "sum")
    )
    regions.to_csv(args.report / "exposure_by_region.csv", index=False, lineterminator="\n")
    print(f"exposure report written to {args.report} (most severe scenario: {worst_name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
