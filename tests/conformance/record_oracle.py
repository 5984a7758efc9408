"""Record what Azure's own SDK decides about every corpus file, into `index.yml`.

A developer tool, not a test: CI never needs Azure's SDK. It runs the offline oracle
(`azure-oracle`, Microsoft's azure-ai-ml run without network) over the corpus in one call per
document kind (`--as=job`, `--as=component`; asset files are left to the oracle to recognise) and
rewrites the `oracle` field of each entry — the verdict (`pass`, `fail`, or `skip` where Azure
cannot tell what the file is) and a short excerpt of the error — keeping the rest as written.

    .venv/bin/python tests/conformance/record_oracle.py [--oracle PATH] [--check]

`--check` changes nothing and exits 1 when a recorded verdict differs from the oracle's.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
INDEX = HERE / "index.yml"
DEFAULT_ORACLE = HERE.parents[2] / "shared" / "tools" / "azure-oracle" / "azure-oracle"
EXCERPT_CHARS = 160
BATCH = 60


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--oracle", default=os.environ.get("AZURE_ORACLE", str(DEFAULT_ORACLE)))
    parser.add_argument("--check", action="store_true", help="report differences, write nothing")
    args = parser.parse_args(argv)

    yaml = _yaml()
    entries = yaml.load(INDEX.read_text(encoding="utf-8"))
    verdicts = run_oracle(args.oracle, [(str(e["file"]), str(e["as"])) for e in entries])
    changed = 0
    for entry in entries:
        verdict, excerpt = verdicts[str(entry["file"])]
        old = entry.get("oracle") or {}
        if old.get("verdict") != verdict:
            changed += 1
            print(f"{entry['file']}: oracle {old.get('verdict')} -> {verdict}  {excerpt}")
        entry["oracle"] = _oracle_field(verdict, excerpt)
    if args.check:
        return 1 if changed else 0
    with INDEX.open("w", encoding="utf-8") as handle:
        yaml.dump(entries, handle)
    print(f"recorded {len(entries)} oracle verdicts ({changed} changed)")
    return 0


def run_oracle(oracle: str, files: list[tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """For each (file, kind): ("pass" | "fail" | "skip", excerpt). One process per kind and
    batch."""
    out: dict[str, tuple[str, str]] = {}
    for kind in sorted({k for _, k in files}):
        names = [f for f, k in files if k == kind]
        for start in range(0, len(names), BATCH):
            batch = names[start : start + BATCH]
            forced = [f"--as={kind}"] if kind in ("job", "component") else []
            done = subprocess.run(
                [oracle, *batch, "--json", *forced],
                cwd=CORPUS,
                capture_output=True,
                text=True,
                check=False,
            )
            try:
                results = json.loads(done.stdout)["results"]
            except (ValueError, KeyError):
                sys.exit(f"the oracle gave no JSON:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
            for result in results:
                verdict = {True: "pass", False: "fail", None: "skip"}[result["ok"]]
                out[result["path"]] = (verdict, excerpt(str(result.get("error") or "")))
    return out


def excerpt(error: str) -> str:
    """The telling part of an oracle error, short and free of this machine's paths."""
    text = error
    message = re.search(r'"message": "((?:[^"\\]|\\.)*)"', error)
    if message:
        text = json.loads(f'"{message.group(1)}"')
        where = re.compile(r'"path": "([^"]*)"').search(error, message.end())
        if where and where.group(1) not in ("", "*"):
            text = f"{where.group(1)}: {text}"
    text = text.replace(str(CORPUS) + "/", "").replace(str(CORPUS), "")
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def _oracle_field(verdict: str, text: str) -> CommentedMap:
    field = CommentedMap()
    field["verdict"] = verdict
    if verdict == "fail":
        field["excerpt"] = text
    return field


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 100
    yaml.indent(mapping=2, sequence=2, offset=0)
    return yaml


if __name__ == "__main__":
    sys.exit(main())
