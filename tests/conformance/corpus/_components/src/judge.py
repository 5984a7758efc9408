"""Summarise predictions into a short report."""

import argparse
import pathlib

parser = argparse.ArgumentParser()
parser.add_argument("--predictions")
parser.add_argument("--report")
args = parser.parse_args()
out = pathlib.Path(args.report)
out.mkdir(parents=True, exist_ok=True)
total = len((pathlib.Path(args.predictions) / "predictions.txt").read_text().split())
(out / "report.md").write_text(f"rows scored: {total}\n")
