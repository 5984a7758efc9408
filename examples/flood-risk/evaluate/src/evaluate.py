"""Decide whether the newly trained model may replace the registered one.

Scores the candidate model on the held-out test months of the feature table, each model at its
own decision threshold (saved in its `model.json`). With `--baseline` (the folder of the
previously registered model version) the baseline is scored on the same rows.

The candidate is promoted when its recall is at least `--min-recall` and, if there is a
baseline, neither its recall nor its precision falls more than `--max-regression` below the
baseline's. Writes `evaluation.json` with both sets of metrics, `promote: true|false` and the
reasons, to the output folder. Not promoting is a normal outcome, not a failure.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score


def measure(folder: Path, test: pd.DataFrame) -> dict[str, Any]:
    """Precision, recall, F1 and ROC AUC of the model in `folder` on the test rows."""
    card = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    missing = [c for c in card["features"] if c not in test.columns]
    if missing:
        raise SystemExit(f"error: model in {folder} needs features the table lacks: {missing}")
    with (folder / "model.pkl").open("rb") as handle:
        model = pickle.load(handle)  # noqa: S301 - a model this pipeline trained and registered
    threshold = float(card.get("decision_threshold", 0.5))
    truth = test["flood_loss"].to_numpy()
    probability = model.predict_proba(test[card["features"]])[:, 1]
    predicted = (probability >= threshold).astype(int)
    return {
        "model": str(folder),
        "algorithm": card.get("algorithm"),
        "decision_threshold": threshold,
        "precision": round(float(precision_score(truth, predicted, zero_division=0)), 4),
        "recall": round(float(recall_score(truth, predicted, zero_division=0)), 4),
        "f1": round(float(f1_score(truth, predicted, zero_division=0)), 4),
        "roc_auc": round(float(roc_auc_score(truth, probability)), 4),
    }


def decide(
    candidate: dict[str, Any],
    baseline: dict[str, Any] | None,
    min_recall: float,
    max_regression: float,
) -> tuple[bool, list[str]]:
    """The promotion decision, and a reason for every rule that was applied."""
    reasons = []
    ok = candidate["recall"] >= min_recall
    relation = ">=" if ok else "<"
    reasons.append(f"recall {candidate['recall']:.4f} {relation} min_recall {min_recall:.4f}")
    if baseline is None:
        reasons.append("no baseline model given: judged on min_recall alone")
        return ok, reasons
    for metric in ("recall", "precision"):
        floor = baseline[metric] - max_regression
        holds = candidate[metric] >= floor
        ok = ok and holds
        verb = "holds" if holds else "regresses"
        reasons.append(
            f"{metric} {candidate[metric]:.4f} {verb} against baseline {baseline[metric]:.4f} "
            f"(allowed drop {max_regression:.4f})"
        )
    return ok, reasons


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--features", type=Path, required=True)
    parser.add_argument("--baseline", type=Path, help="previously registered model folder")
    parser.add_argument("--min-recall", type=float, required=True)
    parser.add_argument("--max-regression", type=float, required=True)
    parser.add_argument("--evaluation", type=Path, required=True, help="output folder")
    args = parser.parse_args()

    table = pd.read_csv(args.features / "features.csv", dtype={"region_id": str, "month": str})
    test = table[table["split"] == "test"]
    candidate = measure(args.model, test)
    baseline = measure(args.baseline, test) if args.baseline else None
    promote, reasons = decide(candidate, baseline, args.min_recall, args.max_regression)

    result = {
        "promote": promote,
        "reasons": reasons,
        "min_recall": args.min_recall,
        "max_regression": args.max_regression,
        "test_rows": len(test),
        "test_positives": int(test["flood_loss"].sum()),
        "candidate": candidate,
        "baseline": baseline,
    }
    args.evaluation.mkdir(parents=True, exist_ok=True)
    out = args.evaluation / "evaluation.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    for reason in reasons:
        print(f"  {reason}")
    print(f"promote: {str(promote).lower()} (written to {out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
