"""Pretend to fit a model and write its parameters."""

import argparse
import json
import pathlib

parser = argparse.ArgumentParser()
parser.add_argument("--features")
parser.add_argument("--rounds", type=int)
parser.add_argument("--step-size", type=float)
parser.add_argument("--penalty")
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--model")
args = parser.parse_args()
out = pathlib.Path(args.model)
out.mkdir(parents=True, exist_ok=True)
(out / "params.json").write_text(json.dumps(vars(args)))
