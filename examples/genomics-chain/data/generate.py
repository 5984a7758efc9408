"""Generate a tiny synthetic sequencing run: a reference, genes, known variants and reads.

Writes next to this script:

    sample/reference.fasta       one 3,000-base contig, `chrSyn`, with three protein-coding genes
    sample/genes.tsv             gene, start, end (1-based, inclusive, + strand), description
    sample/known_variants.tsv    a small "database" of previously seen variants (id, pos, ref, alt)
    sample/reads.fastq           600 single-end 100-base reads of a diploid sample that carries
                                 eight single-nucleotide variants, with realistic base qualities,
                                 sequencing errors, some poor reads and some reads with `N`
    truth.tsv                    the eight planted variants (pos, ref, alt, genotype), for checking
                                 the pipeline's calls; no step reads it

Reads come from the forward strand only and carry no insertions or deletions, which keeps the
aligner short. Everything comes from `random.Random(SEED)`, whose sequence is the same on every
Python 3 version, so the committed files are reproduced byte for byte;
`python generate.py --check` compares a fresh run with them.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

SEED = 11
LENGTH = 3000
GENES = [("flzA", 201, 800), ("flzB", 1201, 1950), ("flzC", 2301, 2759)]
DESCRIPTIONS = {
    "flzA": "synthetic membrane transporter",
    "flzB": "synthetic DNA repair helicase",
    "flzC": "synthetic heat-shock chaperone",
}
N_READS, READ_LENGTH = 600, 100
BASES = "ACGT"
STOPS = {"TAA", "TAG", "TGA"}
CODONS = [a + b + c for a in BASES for b in BASES for c in BASES]
SENSE_CODONS = [codon for codon in CODONS if codon not in STOPS]


def make_reference(rng: random.Random) -> str:
    """Random sequence with an open reading frame (ATG … stop) at each gene's coordinates."""
    sequence = [rng.choice(BASES) for _ in range(LENGTH)]
    for _, start, end in GENES:
        codons = (end - start + 1) // 3
        body = "ATG" + "".join(rng.choice(SENSE_CODONS) for _ in range(codons - 2)) + "TAA"
        sequence[start - 1 : end] = body
    return "".join(sequence)


def plant_variants(rng: random.Random, reference: str) -> list[tuple[int, str, str, str]]:
    """Eight SNVs (pos, ref, alt, genotype): six inside genes, two between them."""
    positions: list[int] = []
    for _, start, end in GENES:
        positions += rng.sample(range(start + 3, end - 3), 2)  # not in start or stop codon
    positions += [rng.randint(1, 150), rng.randint(2800, 2950)]
    variants = []
    for pos in sorted(positions):
        ref = reference[pos - 1]
        alt = rng.choice([b for b in BASES if b != ref])
        variants.append((pos, ref, alt, rng.choice(["0/1", "1/1"])))
    return variants


def haplotypes(reference: str, variants: list[tuple[int, str, str, str]]) -> list[str]:
    """The sample's two copies of the contig: heterozygous variants sit on the first only."""
    copies = [list(reference), list(reference)]
    for pos, _, alt, genotype in variants:
        copies[0][pos - 1] = alt
        if genotype == "1/1":
            copies[1][pos - 1] = alt
    return ["".join(c) for c in copies]


def make_read(rng: random.Random, index: int, copies: list[str]) -> str:
    """One FASTQ record; qualities fall towards the 3' end and errors follow the qualities."""
    start = rng.randint(0, LENGTH - READ_LENGTH)
    template = rng.choice(copies)[start : start + READ_LENGTH]
    poor = rng.random() < 0.05
    bases, qualities = [], []
    for i, base in enumerate(template):
        top = 14 if poor else 38
        quality = max(2, min(40, int(rng.gauss(top - max(0, i - 80) * 1.2, 3))))
        if rng.random() < 10 ** (-quality / 10):
            base = rng.choice([b for b in BASES if b != base])
        bases.append(base)
        qualities.append(chr(quality + 33))
    if rng.random() < 0.02:
        bases[rng.randrange(READ_LENGTH)] = "N"
    return f"@read{index:04d}\n{''.join(bases)}\n+\n{''.join(qualities)}\n"


def generate() -> dict[str, str]:
    """Relative file name → content."""
    rng = random.Random(SEED)  # noqa: S311 - synthetic data, not security
    reference = make_reference(rng)
    variants = plant_variants(rng, reference)
    copies = haplotypes(reference, variants)
    reads = "".join(make_read(rng, i, copies) for i in range(1, N_READS + 1))

    fasta = ">chrSyn synthetic contig\n" + "".join(
        reference[i : i + 60] + "\n" for i in range(0, LENGTH, 60)
    )
    genes = "gene\tstart\tend\tdescription\n" + "".join(
        f"{name}\t{start}\t{end}\t{DESCRIPTIONS[name]}\n" for name, start, end in GENES
    )
    known = [(pos, ref, alt) for pos, ref, alt, _ in variants[::2]]  # every other one is known
    for _ in range(3):  # and a few the sample does not carry
        pos = rng.randint(1, LENGTH)
        ref = reference[pos - 1]
        known.append((pos, ref, rng.choice([b for b in BASES if b != ref])))
    database = "id\tpos\tref\talt\n" + "".join(
        f"syn{1000 + n}\t{pos}\t{ref}\t{alt}\n" for n, (pos, ref, alt) in enumerate(sorted(known))
    )
    truth = "pos\tref\talt\tgenotype\n" + "".join(
        f"{pos}\t{ref}\t{alt}\t{gt}\n" for pos, ref, alt, gt in variants
    )
    return {
        "sample/reference.fasta": fasta,
        "sample/genes.tsv": genes,
        "sample/known_variants.tsv": database,
        "sample/reads.fastq": reads,
        "truth.tsv": truth,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    root = Path(__file__).resolve().parent
    files = generate()
    if args.check:
        differ = [
            name
            for name, text in files.items()
            if not (root / name).is_file() or (root / name).read_text("utf-8") != text
        ]
        for name in differ:
            print(f"differs: {name}", file=sys.stderr)
        print("all files reproduced byte for byte" if not differ else f"{len(differ)} differ")
        return 1 if differ else 0
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
        print(f"wrote {name} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
