"""Copy rows, dropping blank lines."""

import argparse
import pathlib

parser = argparse.ArgumentParser()
parser.add_argument("--source")
parser.add_argument("--target")
args = parser.parse_args()
out = pathlib.Path(args.target)
out.mkdir(parents=True, exist_ok=True)
for path in pathlib.Path(args.source).glob("*.csv"):
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    (out / path.name).write_text("\n".join(lines) + "\n")
