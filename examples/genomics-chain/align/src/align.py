"""Align the QC'd reads to the reference: the long step of the chain.

Each read is placed by seed-and-verify: the reference's 20-base words are indexed; a few words of
the read are looked up, each hit proposes a start position, and the position with the fewest
mismatches (at most `--max-mismatches`, no insertions or deletions) wins. Reads that fit nowhere,
or equally well in two places, stay unmapped.

Real aligners take minutes to hours; this one spreads its work over `--seconds` (0 = as fast as
it can) and prints a progress line every second, so a log-streaming client has something to
show. Writes `alignments.tsv` (read, 1-based position, mismatches, bases, qualities) and
`align.json` (counts and coverage) to the output folder.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

WORD = 20


def read_fasta(path: Path) -> tuple[str, str]:
    """(name, sequence) of the first record."""
    lines = path.read_text(encoding="ascii").splitlines()
    return lines[0][1:].split()[0], "".join(lines[1:]).upper()


def read_fastq(path: Path) -> list[tuple[str, str, str]]:
    lines = path.read_text(encoding="ascii").splitlines()
    return [(lines[i][1:], lines[i + 1], lines[i + 3]) for i in range(0, len(lines), 4)]


def index(reference: str) -> dict[str, list[int]]:
    words: dict[str, list[int]] = defaultdict(list)
    for start in range(len(reference) - WORD + 1):
        words[reference[start : start + WORD]].append(start)
    return words


def place(bases: str, reference: str, words: dict[str, list[int]], limit: int) -> tuple[int, int]:
    """(0-based start, mismatches) of the best unique placement, or (-1, -1)."""
    candidates = set()
    for offset in range(0, len(bases) - WORD + 1, WORD):
        for hit in words.get(bases[offset : offset + WORD], ()):
            start = hit - offset
            if 0 <= start <= len(reference) - len(bases):
                candidates.add(start)
    scored = sorted(
        (sum(a != b for a, b in zip(bases, reference[s : s + len(bases)], strict=True)), s)
        for s in candidates
    )
    scored = [(m, s) for m, s in scored if m <= limit]
    if not scored or (len(scored) > 1 and scored[0][0] == scored[1][0]):
        return -1, -1
    return scored[0][1], scored[0][0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=Path, required=True, help="folder with reads.fastq")
    parser.add_argument("--reference", type=Path, required=True, help="folder with reference.fasta")
    parser.add_argument("--seconds", type=int, required=True, help="spread the work over this")
    parser.add_argument("--max-mismatches", type=int, required=True)
    parser.add_argument("--alignments", type=Path, required=True, help="output folder")
    args = parser.parse_args()

    contig, reference = read_fasta(args.reference / "reference.fasta")
    reads = read_fastq(args.reads / "reads.fastq")
    words = index(reference)
    ticks = max(args.seconds, 1)
    size = f"{len(reads)} reads to {contig} ({len(reference)} bases)"
    print(f"aligning {size} over {args.seconds} s", flush=True)

    began = time.monotonic()
    rows, coverage = [], [0] * len(reference)
    done = 0
    for tick in range(1, ticks + 1):
        for name, bases, qualities in reads[done : len(reads) * tick // ticks]:
            start, mismatches = place(bases, reference, words, args.max_mismatches)
            if start >= 0:
                rows.append(f"{name}\t{start + 1}\t{mismatches}\t{bases}\t{qualities}\n")
                for i in range(start, start + len(bases)):
                    coverage[i] += 1
        done = len(reads) * tick // ticks
        if args.seconds:
            time.sleep(max(0.0, began + tick - time.monotonic()))
        print(
            f"align: {time.monotonic() - began:5.1f} s  {done}/{len(reads)} reads "
            f"({100 * done // len(reads)}%), {len(rows)} mapped",
            flush=True,
        )

    args.alignments.mkdir(parents=True, exist_ok=True)
    with (args.alignments / "alignments.tsv").open("w", encoding="ascii", newline="\n") as out:
        out.write("read\tpos\tmismatches\tbases\tqualities\n")
        out.writelines(rows)
    covered = sum(c > 0 for c in coverage)
    summary = {
        "contig": contig,
        "reads": len(reads),
        "mapped": len(rows),
        "mean_depth": round(sum(coverage) / len(reference), 2),
        "bases_covered": covered,
        "reference_length": len(reference),
    }
    (args.alignments / "align.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(
        f"mapped {len(rows)} of {len(reads)} reads; mean depth {summary['mean_depth']}x, "
        f"{covered} of {len(reference)} bases covered"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
