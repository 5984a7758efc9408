"""Quality-control the raw reads: trim poor 3' ends and drop reads that cannot be trusted.

For every FASTQ record in `reads.fastq` of the sample folder:
  1. trim bases off the 3' end while their quality is below `--min-quality` (Phred);
  2. drop the read if it contains an `N`, if fewer than `--min-length` bases are left, or if its
     mean quality is still below `--min-quality`.

Writes the surviving reads to `reads.fastq` and the counts to `qc.json` in the output folder.
Fails when fewer than half of the reads survive: that is a failed run, not a sample to analyse.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

Record = tuple[str, str, str]


def read_fastq(path: Path) -> Iterator[Record]:
    """(name, bases, qualities) for each four-line record."""
    with path.open(encoding="ascii") as handle:
        while header := handle.readline().rstrip("\n"):
            bases = handle.readline().rstrip("\n")
            handle.readline()
            qualities = handle.readline().rstrip("\n")
            if not header.startswith("@") or len(bases) != len(qualities):
                raise SystemExit(f"error: {path}: malformed FASTQ record `{header}`")
            yield header[1:], bases, qualities


def phred(qualities: str) -> list[int]:
    return [ord(q) - 33 for q in qualities]


def clean(record: Record, min_quality: int, min_length: int) -> tuple[Record | None, str]:
    """The trimmed record, or None and the reason it was dropped."""
    name, bases, qualities = record
    scores = phred(qualities)
    end = len(scores)
    while end and scores[end - 1] < min_quality:
        end -= 1
    bases, qualities, scores = bases[:end], qualities[:end], scores[:end]
    if "N" in bases:
        return None, "contains N"
    if end < min_length:
        return None, "too short after trimming"
    if sum(scores) / end < min_quality:
        return None, "low mean quality"
    return (name, bases, qualities), "kept"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=Path, required=True, help="folder with reads.fastq")
    parser.add_argument("--min-quality", type=int, required=True)
    parser.add_argument("--min-length", type=int, required=True)
    parser.add_argument("--reads", type=Path, required=True, help="output folder")
    args = parser.parse_args()

    outcomes: Counter[str] = Counter()
    bases_in = bases_out = 0
    args.reads.mkdir(parents=True, exist_ok=True)
    with (args.reads / "reads.fastq").open("w", encoding="ascii", newline="\n") as out:
        for record in read_fastq(args.sample / "reads.fastq"):
            bases_in += len(record[1])
            kept, outcome = clean(record, args.min_quality, args.min_length)
            outcomes[outcome] += 1
            if kept:
                bases_out += len(kept[1])
                out.write(f"@{kept[0]}\n{kept[1]}\n+\n{kept[2]}\n")

    total = sum(outcomes.values())
    report = {
        "reads_in": total,
        "reads_out": outcomes["kept"],
        "bases_in": bases_in,
        "bases_out": bases_out,
        "dropped": {k: v for k, v in sorted(outcomes.items()) if k != "kept"},
        "min_quality": args.min_quality,
        "min_length": args.min_length,
    }
    (args.reads / "qc.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    dropped = ", ".join(f"{v} {k}" for k, v in report["dropped"].items()) or "none"
    n_kept = outcomes["kept"]
    print(f"kept {n_kept} of {total} reads ({bases_out} of {bases_in} bases); dropped: {dropped}")
    if outcomes["kept"] < total / 2:
        print("error: fewer than half of the reads passed QC; not aligning", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
