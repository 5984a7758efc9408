"""The step launcher: runs one step on the node where it is placed.

`python -m cairn.launcher WORKDIR` (or a fork of a warm launcher process) reads `WORKDIR/spec.json`,
materialises inputs, runs the command in its own process group with its logs captured, enforces
the timeout, commits outputs after exit 0, and writes `WORKDIR/record.json` last. The same
launcher runs under every executor; executors only choose where it runs.
"""
