"""Distributed steps emulated on one machine: how many processes, and what each is told.

Owns: Azure's launch environment for `distribution.type` (azure-compat.md §8.7) —
`pytorch`: `instance_count × process_count_per_instance` processes with `MASTER_ADDR`,
`MASTER_PORT`, `WORLD_SIZE`, `NODE_RANK`, `RANK`, `LOCAL_RANK` (and `LOCAL_WORLD_SIZE`);
`tensorflow`: `worker_count` workers (default `instance_count`) and `parameter_server_count`
parameter servers, each with its `TF_CONFIG`; `mpi`: one `mpirun -np N` when `mpirun` is on PATH.
Every address is loopback and every port a free one picked now.
Must not: start processes (the supervisor does) or decide the command.
"""

from __future__ import annotations

import json
import shutil
import socket
from dataclasses import dataclass, field
from typing import Any

from cairn.launcher.outcome import StepFailure

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class ProcessPlan:
    """One process of the step: its rank (None for a plain step), extra environment, and the
    words put before `bash -c SCRIPT` (`mpirun -np N` for MPI)."""

    rank: int | None = None
    env: dict[str, str] = field(default_factory=dict)
    prefix: tuple[str, ...] = ()


def plan_processes(
    distribution: dict[str, Any] | None, instance_count: int, path: str | None
) -> list[ProcessPlan]:
    """The processes to start; `path` is the PATH the step runs with (to find `mpirun`)."""
    if not distribution:
        return [ProcessPlan()]
    kind = str(distribution.get("type", "")).lower()
    if kind == "pytorch":
        return _pytorch(instance_count, _count(distribution, "process_count_per_instance", 1))
    if kind == "tensorflow":
        workers = _count(distribution, "worker_count", instance_count)
        return _tensorflow(workers, _count(distribution, "parameter_server_count", 0))
    if kind == "mpi":
        mpirun = shutil.which("mpirun", path=path)
        if mpirun is None:
            raise StepFailure(
                "launch_error",
                "mpi distribution is not supported yet: no `mpirun` on the step's PATH",
            )
        total = instance_count * _count(distribution, "process_count_per_instance", 1)
        return [ProcessPlan(prefix=(mpirun, "-np", str(total)))]
    raise StepFailure("launch_error", f"distribution type {kind!r} is not supported")


def _count(distribution: dict[str, Any], key: str, default: int) -> int:
    value = distribution.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise StepFailure("launch_error", f"distribution.{key} must be a whole number >= 0")
    return value


def _pytorch(nodes: int, per_node: int) -> list[ProcessPlan]:
    world = nodes * per_node
    if world < 1:
        raise StepFailure("launch_error", "a pytorch step needs at least one process")
    common = {
        "MASTER_ADDR": LOOPBACK,
        "MASTER_PORT": str(free_ports(1)[0]),
        "WORLD_SIZE": str(world),
        "LOCAL_WORLD_SIZE": str(per_node),
    }
    return [
        ProcessPlan(
            rank=rank,
            env={
                **common,
                "NODE_RANK": str(rank // per_node),
                "RANK": str(rank),
                "LOCAL_RANK": str(rank % per_node),
            },
        )
        for rank in range(world)
    ]


def _tensorflow(workers: int, servers: int) -> list[ProcessPlan]:
    if workers < 1:
        raise StepFailure("launch_error", "a tensorflow step needs at least one worker")
    ports = free_ports(workers + servers)
    cluster: dict[str, list[str]] = {"worker": [f"{LOOPBACK}:{p}" for p in ports[:workers]]}
    if servers:
        cluster["ps"] = [f"{LOOPBACK}:{p}" for p in ports[workers:]]
    tasks = [("worker", i) for i in range(workers)] + [("ps", i) for i in range(servers)]
    return [
        ProcessPlan(
            rank=rank,
            env={
                "TF_CONFIG": json.dumps(
                    {
                        "cluster": cluster,
                        "task": {"type": kind, "index": index},
                        "environment": "cloud",
                    }
                )
            },
        )
        for rank, (kind, index) in enumerate(tasks)
    ]


def free_ports(count: int) -> list[int]:
    """`count` distinct loopback ports that are free now (held open together while choosing)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((LOOPBACK, 0))
            sockets.append(sock)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for sock in sockets:
            sock.close()
