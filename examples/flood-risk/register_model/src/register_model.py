"""Write the registration record for a promoted model, and nothing for a rejected one.

Reads `evaluation.json`. When it says `promote: true`, writes `registration.json` to the output
folder: the model name, the path of the model folder this step was given, the SHA-256 of the
model's files (so the record proves which bytes were approved), the evaluation metrics and the
training metrics. When it says `promote: false`, writes `skipped.json` with the evaluation's
reasons instead, and registers nothing.

This step does not talk to a model registry; it prints what it would register. The record it
writes is what a registry (or a reviewer) needs to trace a model version back to its evidence.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any


def content_hash(folder: Path) -> tuple[str, list[dict[str, Any]]]:
    """SHA-256 over every file's relative path and bytes, in sorted order; and each file's hash."""
    total = hashlib.sha256()
    files = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        total.update(f"{relative}\0{len(data)}\0{digest}\n".encode())
        files.append({"path": relative, "bytes": len(data), "sha256": digest})
    return total.hexdigest(), files


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--evaluation", type=Path, required=True)
    parser.add_argument("--model-name", required=True)
    parser.add_argument("--registration", type=Path, required=True, help="output folder")
    args = parser.parse_args()

    evaluation = read_json(args.evaluation / "evaluation.json")
    args.registration.mkdir(parents=True, exist_ok=True)
    if not evaluation["promote"]:
        skipped = {"registered": False, "model_name": args.model_name, **evaluation}
        (args.registration / "skipped.json").write_text(json.dumps(skipped, indent=2) + "\n")
        print(f"not registering {args.model_name}: the evaluation did not promote the model")
        for reason in evaluation["reasons"]:
            print(f"  {reason}")
        return 0

    digest, files = content_hash(args.model)
    record = {
        "registered": True,
        "model_name": args.model_name,
        "model_path": str(args.model.resolve()),
        "content_sha256": digest,
        "files": files,
        "model": read_json(args.model / "model.json"),
        "training_metrics": read_json(args.model / "metrics.json"),
        "evaluation": {
            "candidate": evaluation["candidate"],
            "baseline": evaluation["baseline"],
            "reasons": evaluation["reasons"],
        },
    }
    out = args.registration / "registration.json"
    out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    candidate = evaluation["candidate"]
    print(
        f"would register model {args.model_name} from {record['model_path']} "
        f"(sha256 {digest[:16]}…, recall {candidate['recall']}, precision "
        f"{candidate['precision']}); record written to {out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
