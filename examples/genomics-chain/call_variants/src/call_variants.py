"""Call single-nucleotide variants from the alignments by counting bases at each position.

Every aligned base with quality at least `--min-base-quality` is counted at its reference
position. A position becomes a variant when at least `--min-depth` bases were counted there and
the most common non-reference base makes up at least `--min-allele-fraction` of them. The
genotype is `1/1` when that fraction is 0.8 or more, else `0/1`.

Writes `variants.vcf` (VCF 4.2, one sample) to the output folder.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from pathlib import Path

HEADER = """##fileformat=VCFv4.2
##source=call_variants.py
##reference=reference.fasta
##contig=<ID={contig},length={length}>
##INFO=<ID=DP,Number=1,Type=Integer,Description="Bases counted at the position">
##INFO=<ID=AF,Number=A,Type=Float,Description="Fraction of counted bases that are the alt base">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tsample
"""


def read_fasta(path: Path) -> tuple[str, str]:
    lines = path.read_text(encoding="ascii").splitlines()
    return lines[0][1:].split()[0], "".join(lines[1:]).upper()


def pileup(path: Path, length: int, min_quality: int) -> list[Counter[str]]:
    """Per reference position (0-based), how often each base was seen with enough quality."""
    counts: list[Counter[str]] = [Counter() for _ in range(length)]
    with path.open(newline="", encoding="ascii") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            start = int(row["pos"]) - 1
            for i, (base, quality) in enumerate(zip(row["bases"], row["qualities"], strict=True)):
                if ord(quality) - 33 >= min_quality:
                    counts[start + i][base] += 1
    return counts


def call(
    reference: str, counts: list[Counter[str]], min_depth: int, min_fraction: float
) -> list[tuple[int, str, str, int, float, str]]:
    """(1-based pos, ref, alt, depth, allele fraction, genotype) for each variant position."""
    calls = []
    for pos, (ref, seen) in enumerate(zip(reference, counts, strict=True), start=1):
        depth = sum(seen.values())
        alts = [(n, base) for base, n in seen.items() if base != ref]
        if depth < min_depth or not alts:
            continue
        n, alt = max(alts)
        fraction = n / depth
        if fraction >= min_fraction:
            calls.append((pos, ref, alt, depth, fraction, "1/1" if fraction >= 0.8 else "0/1"))
    return calls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alignments", type=Path, required=True)
    parser.add_argument("--reference", type=Path, required=True, help="folder with reference.fasta")
    parser.add_argument("--min-base-quality", type=int, required=True)
    parser.add_argument("--min-depth", type=int, required=True)
    parser.add_argument("--min-allele-fraction", type=float, required=True)
    parser.add_argument("--variants", type=Path, required=True, help="output folder")
    args = parser.parse_args()

    contig, reference = read_fasta(args.reference / "reference.fasta")
    counts = pileup(args.alignments / "alignments.tsv", len(reference), args.min_base_quality)
    calls = call(reference, counts, args.min_depth, args.min_allele_fraction)

    args.variants.mkdir(parents=True, exist_ok=True)
    lines = [HEADER.format(contig=contig, length=len(reference))]
    for pos, ref, alt, depth, fraction, genotype in calls:
        quality = min(99, round(depth * fraction * 3))
        info = f"DP={depth};AF={fraction:.3f}"
        lines.append(f"{contig}\t{pos}\t.\t{ref}\t{alt}\t{quality}\tPASS\t{info}\tGT\t{genotype}\n")
    (args.variants / "variants.vcf").write_text("".join(lines), encoding="ascii")
    low = sum(sum(c.values()) < args.min_depth for c in counts)
    print(f"called {len(calls)} variants; {low} positions below depth {args.min_depth}")
    for pos, ref, alt, depth, fraction, genotype in calls:
        print(f"  {contig}:{pos} {ref}>{alt} {genotype} (depth {depth}, AF {fraction:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
