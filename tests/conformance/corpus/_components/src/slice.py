"""Keep every n-th row of the input, starting at the given offset."""

import argparse
import pathlib

parser = argparse.ArgumentParser()
parser.add_argument("--rows")
parser.add_argument("--index", type=int)
parser.add_argument("--count", type=int)
parser.add_argument("--part")
args = parser.parse_args()
out = pathlib.Path(args.part)
out.mkdir(parents=True, exist_ok=True)
rows = [
    r for p in sorted(pathlib.Path(args.rows).glob("*.csv")) for r in p.read_text().splitlines()
]
(out / "part.csv").write_text("\n".join(rows[args.index :: args.count]) + "\n")
