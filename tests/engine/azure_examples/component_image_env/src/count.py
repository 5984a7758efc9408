"""Count the lines of every CSV file in a folder and write one line per file."""

import argparse
import pathlib

parser = argparse.ArgumentParser()
parser.add_argument("--table_folder")
parser.add_argument("--caption")
parser.add_argument("--counts")
args = parser.parse_args()
print(args.caption)
lines = [
    f"{path.name} {len(path.read_text().splitlines())}"
    for path in sorted(pathlib.Path(args.table_folder).glob("*.csv"))
]
(pathlib.Path(args.counts) / "counts.txt").write_text("\n".join(lines) + "\n")
