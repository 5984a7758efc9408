"""Annotate the called variants: which gene, what it does to the protein, and whether it is known.

For each variant in `variants.vcf`:
  - the gene whose coding sequence contains it (from `genes.tsv`; genes are on the + strand and
    run from their start codon to their stop codon), or `intergenic`;
  - in a gene, the codon and amino-acid change under the standard genetic code, and the effect:
    `synonymous`, `missense`, `stop_gained`, `stop_lost` or `start_lost`;
  - the id of the same change in `known_variants.tsv`, or `novel`.

Writes `annotated.tsv` and a short `report.md` to the output folder.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

BASES = "TCAG"
AMINO_ACIDS = "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG"
CODE = {
    a + b + c: AMINO_ACIDS[16 * i + 4 * j + k]
    for i, a in enumerate(BASES)
    for j, b in enumerate(BASES)
    for k, c in enumerate(BASES)
}
COLUMNS = ["pos", "ref", "alt", "genotype", "depth", "gene", "codon", "change", "effect", "known"]


def read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def read_vcf(path: Path) -> list[dict[str, str]]:
    variants = []
    for line in path.read_text(encoding="ascii").splitlines():
        if line.startswith("#"):
            continue
        _, pos, _, ref, alt, _, _, info, _, genotype = line.split("\t")
        depth = dict(item.split("=") for item in info.split(";"))["DP"]
        variants.append({"pos": pos, "ref": ref, "alt": alt, "genotype": genotype, "depth": depth})
    return variants


def effect(reference: str, gene: dict[str, str], pos: int, alt: str) -> tuple[str, str, str]:
    """(codon change, amino-acid change, effect) of `alt` at 1-based `pos` inside `gene`."""
    start = int(gene["start"])
    codon_start = start + (pos - start) // 3 * 3
    before = reference[codon_start - 1 : codon_start + 2]
    after = "".join(alt if codon_start + i == pos else b for i, b in enumerate(before))
    old, new = CODE[before], CODE[after]
    number = (pos - start) // 3 + 1
    change = f"{old}{number}{new}"
    if codon_start == start and new != "M":
        kind = "start_lost"
    elif old == new:
        kind = "synonymous"
    elif new == "*":
        kind = "stop_gained"
    elif old == "*":
        kind = "stop_lost"
    else:
        kind = "missense"
    return f"{before}>{after}", change, kind


def annotate(
    variants: list[dict[str, str]],
    reference: str,
    genes: list[dict[str, str]],
    known: list[dict[str, str]],
) -> list[dict[str, str]]:
    ids = {(k["pos"], k["ref"], k["alt"]): k["id"] for k in known}
    rows = []
    for variant in variants:
        pos = int(variant["pos"])
        row = dict(variant, gene="intergenic", codon="-", change="-", effect="intergenic")
        for gene in genes:
            if int(gene["start"]) <= pos <= int(gene["end"]):
                codon, change, kind = effect(reference, gene, pos, variant["alt"])
                row.update(gene=gene["gene"], codon=codon, change=change, effect=kind)
        row["known"] = ids.get((variant["pos"], variant["ref"], variant["alt"]), "novel")
        rows.append(row)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=Path, required=True)
    parser.add_argument("--sample", type=Path, required=True, help="reference, genes, known")
    parser.add_argument("--annotated", type=Path, required=True, help="output folder")
    args = parser.parse_args()

    lines = (args.sample / "reference.fasta").read_text(encoding="ascii").splitlines()
    reference = "".join(lines[1:]).upper()
    rows = annotate(
        read_vcf(args.variants / "variants.vcf"),
        reference,
        read_tsv(args.sample / "genes.tsv"),
        read_tsv(args.sample / "known_variants.tsv"),
    )

    args.annotated.mkdir(parents=True, exist_ok=True)
    with (args.annotated / "annotated.tsv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, COLUMNS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    report = ["# Variant report", "", f"{len(rows)} variants.", ""]
    report += ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    report += ["| " + " | ".join(row[c] for c in COLUMNS) + " |" for row in rows]
    (args.annotated / "report.md").write_text("\n".join(report) + "\n", encoding="utf-8")
    for row in rows:
        print(
            f"  {row['pos']:>5} {row['ref']}>{row['alt']} {row['genotype']}  {row['gene']:<10} "
            f"{row['change']:<8} {row['effect']:<11} {row['known']}"
        )
    coding = sum(row["gene"] != "intergenic" for row in rows)
    novel = sum(row["known"] == "novel" for row in rows)
    print(f"annotated {len(rows)} variants: {coding} in genes, {novel} novel")
    return 0


if __name__ == "__main__":
    sys.exit(main())
