"""Executors: where a step's launcher runs. Each is a short implementation of `Executor`."""
