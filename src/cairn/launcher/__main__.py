"""`python -m cairn.launcher WORKDIR [--lock-fd N]`: run the step whose `spec.json` is in WORKDIR.

`--lock-fd` names an inherited descriptor on which the starter already holds the step lock.
Parsed by hand: argparse costs more to import than this whole launcher does to start.
"""

from __future__ import annotations

import sys

from cairn.launcher.run import EXIT_UNUSABLE, main

USAGE = "usage: python -m cairn.launcher WORKDIR [--lock-fd N]"


def _entry(argv: list[str]) -> int:
    if len(argv) == 1 and not argv[0].startswith("-"):
        return main(argv[0])
    if len(argv) == 3 and argv[1] == "--lock-fd" and argv[2].isdigit():
        return main(argv[0], lock_fd=int(argv[2]))
    print(USAGE, file=sys.stderr)
    return EXIT_UNUSABLE


if __name__ == "__main__":
    sys.exit(_entry(sys.argv[1:]))
