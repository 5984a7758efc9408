"""Write the model-quality report: data checks, model metrics, promotion and scenario sanity.

Reads the data-quality report, the model's training metrics, the evaluation and the scenario
scores, and writes to the output folder:

    quality_report.md    a reviewer's summary of all four
    quality_checks.csv   one row per check (area, check, passed, detail)

The scenario sanity checks are the ones a reviewer asks first: every bond scored under every
scenario, probabilities within [0, 1], and portfolio expected loss that does not fall as rainfall
rises. A failed sanity check is reported, not raised: this step documents, the evaluation decides.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

Check = tuple[str, str, bool, str]


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def data_checks(quality: dict[str, Any]) -> list[Check]:
    return [
        ("data", f"{c['file']}: {c['check']}", bool(c["passed"]), "; ".join(c["problems"]))
        for c in quality["checks"]
    ]


def model_checks(metrics: dict[str, Any], evaluation: dict[str, Any]) -> list[Check]:
    train, test = metrics["train"], metrics["test"]
    gap = train["recall"] - test["recall"]
    reasons = evaluation["reasons"]
    return [
        ("model", "train/test recall gap below 0.15", gap < 0.15, f"gap {gap:.4f}"),
        ("model", "promoted by evaluation", bool(evaluation["promote"]), "; ".join(reasons)),
    ]


def scenario_checks(scores: pd.DataFrame) -> list[Check]:
    per_scenario = scores.groupby("scenario")["bond_id"].nunique()
    complete = per_scenario.nunique() == 1
    counts = ", ".join(f"{name}: {n} bonds" for name, n in per_scenario.items())
    in_range = scores["event_probability"].between(0, 1).all()
    totals = scores.groupby("rainfall_factor")["expected_loss_usd"].sum().sort_index()
    monotone = totals.is_monotonic_increasing
    shown = ", ".join(f"x{f:.2f}: {v:,.0f}" for f, v in totals.items())
    return [
        ("scenarios", "every bond scored in every scenario", bool(complete), counts),
        ("scenarios", "probabilities within [0, 1]", bool(in_range), ""),
        ("scenarios", "expected loss rises with rainfall", bool(monotone), shown),
    ]


def metrics_table(metrics: dict[str, Any], evaluation: dict[str, Any]) -> str:
    rows = [("train", metrics["train"]), ("test", metrics["test"])]
    if evaluation.get("baseline"):
        rows.append(("baseline (test)", evaluation["baseline"]))
    lines = ["| set | precision | recall | F1 | ROC AUC |", "|---|---|---|---|---|"]
    for name, m in rows:
        lines.append(f"| {name} | {m['precision']} | {m['recall']} | {m['f1']} | {m['roc_auc']} |")
    return "\n".join(lines)


def render(checks: list[Check], metrics: dict[str, Any], evaluation: dict[str, Any]) -> str:
    failed = [c for c in checks if not c[2]]
    lines = [
        "# Flood-exposure model: quality report",
        "",
        f"{len(checks) - len(failed)} of {len(checks)} checks passed. "
        f"Promotion decision: **{'promote' if evaluation['promote'] else 'do not promote'}**.",
        "",
        "## Metrics",
        "",
        metrics_table(metrics, evaluation),
        "",
        "## Checks",
        "",
        "| area | check | result | detail |",
        "|---|---|---|---|",
    ]
    for area, name, passed, detail in checks:
        lines.append(f"| {area} | {name} | {'pass' if passed else 'FAIL'} | {detail} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-quality", type=Path, required=True)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--evaluation", type=Path, required=True)
    parser.add_argument("--scores", type=Path, required=True)
    parser.add_argument("--report", type=Path, required=True, help="output folder")
    args = parser.parse_args()

    metrics = read_json(args.model / "metrics.json")
    evaluation = read_json(args.evaluation / "evaluation.json")
    scores = pd.read_csv(args.scores / "scenario_scores.csv")
    checks = [
        *data_checks(read_json(args.data_quality / "quality.json")),
        *model_checks(metrics, evaluation),
        *scenario_checks(scores),
    ]

    args.report.mkdir(parents=True, exist_ok=True)
    text = render(checks, metrics, evaluation)
    (args.report / "quality_report.md").write_text(text, encoding="utf-8")
    with (args.report / "quality_checks.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["area", "check", "passed", "detail"])
        writer.writerows(checks)
    failed = sum(not c[2] for c in checks)
    print(
        f"quality report written to {args.report}: {len(checks) - failed} passed, {failed} failed"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
