"""Train the flood-loss classifier on the training months of the feature table.

The model predicts whether a region records a flood-loss event in a month from its rainfall and
terrain. It is trained without class weights so that its probabilities stay calibrated (the
scenario step multiplies them into expected losses); recall is bought instead with a decision
threshold below 0.5 (`--decision-threshold`), since a missed flood costs a bond portfolio far more
than a false alarm. The threshold is saved with the model, so every version carries its own
operating point.

Writes to the output folder:

    model.pkl       the fitted scikit-learn estimator (pickle)
    model.json      algorithm, hyperparameters, feature columns and library versions
    metrics.json    precision, recall, F1, ROC AUC on the training and the held-out test months
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import sklearn
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def make_model(args: argparse.Namespace) -> Any:
    if args.algorithm == "gradient_boosting":
        return GradientBoostingClassifier(
            n_estimators=args.n_estimators,
            learning_rate=args.learning_rate,
            max_depth=args.max_depth,
            random_state=args.seed,
        )
    return make_pipeline(
        StandardScaler(), LogisticRegression(max_iter=1000, random_state=args.seed)
    )


def hyperparameters(args: argparse.Namespace) -> dict[str, Any]:
    """The settings that shaped the fitted model (the boosting ones only apply to boosting)."""
    if args.algorithm == "gradient_boosting":
        return {
            "n_estimators": args.n_estimators,
            "learning_rate": args.learning_rate,
            "max_depth": args.max_depth,
            "seed": args.seed,
        }
    return {"max_iter": 1000, "seed": args.seed}


def scores(
    model: Any, frame: pd.DataFrame, features: list[str], threshold: float
) -> dict[str, float | int]:
    truth = frame["flood_loss"].to_numpy()
    probability = model.predict_proba(frame[features])[:, 1]
    predicted = (probability >= threshold).astype(int)
    return {
        "rows": len(frame),
        "positives": int(truth.sum()),
        "precision": round(float(precision_score(truth, predicted, zero_division=0)), 4),
        "recall": round(float(recall_score(truth, predicted, zero_division=0)), 4),
        "f1": round(float(f1_score(truth, predicted, zero_division=0)), 4),
        "roc_auc": round(float(roc_auc_score(truth, probability)), 4),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=Path, required=True)
    parser.add_argument(
        "--algorithm", choices=["gradient_boosting", "logistic_regression"], required=True
    )
    parser.add_argument("--n-estimators", type=int, required=True)
    parser.add_argument("--learning-rate", type=float, required=True)
    parser.add_argument("--max-depth", type=int, required=True)
    parser.add_argument("--decision-threshold", type=float, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--model", type=Path, required=True, help="output folder")
    args = parser.parse_args()

    table = pd.read_csv(args.features / "features.csv", dtype={"region_id": str, "month": str})
    spec = json.loads((args.features / "feature_spec.json").read_text(encoding="utf-8"))
    features: list[str] = spec["features"]
    train = table[table["split"] == "train"]
    test = table[table["split"] == "test"]

    model = make_model(args)
    model.fit(train[features], train["flood_loss"])

    threshold = args.decision_threshold
    metrics = {
        "decision_threshold": threshold,
        "train": scores(model, train, features, threshold),
        "test": scores(model, test, features, threshold),
    }
    card = {
        "algorithm": args.algorithm,
        "hyperparameters": hyperparameters(args),
        "decision_threshold": threshold,
        "features": features,
        "rainfall_features": spec["rainfall_features"],
        "label": spec["label"],
        "window": spec["window"],
        "libraries": {"scikit-learn": sklearn.__version__, "pandas": pd.__version__},
    }
    args.model.mkdir(parents=True, exist_ok=True)
    with (args.model / "model.pkl").open("wb") as handle:
        pickle.dump(model, handle)
    (args.model / "model.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    (args.model / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")

    print(f"trained {args.algorithm} on {len(train)} region-months")
    for split in ("train", "test"):
        values = metrics[split]
        shown = ", ".join(f"{k} {v}" for k, v in values.items())
        print(f"  {split}: {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
