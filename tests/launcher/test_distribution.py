"""Distributed steps emulated with local processes: pytorch, tensorflow, mpi."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from tests.launcher.steps import log_text, make_spec, output, run_step, survivors

RANK_LINE = (
    'echo "$RANK $LOCAL_RANK $NODE_RANK $WORLD_SIZE $LOCAL_WORLD_SIZE $MASTER_ADDR $MASTER_PORT"'
    " > ${{outputs.out}}/rank_$RANK.txt; echo hello from $RANK"
)


def test_pytorch_two_by_two_runs_four_ranks_with_their_environment(tmp_path: Path) -> None:
    spec = make_spec(
        tmp_path,
        RANK_LINE,
        outputs=[output(tmp_path, "out")],
        instance_count=2,
        distribution={"type": "pytorch", "process_count_per_instance": 2},
    )
    record = run_step(spec)
    assert record.status == "Completed", record.message
    out = tmp_path / "datastore" / "out"
    seen = {}
    for rank in range(4):
        fields = (out / f"rank_{rank}.txt").read_text().split()
        seen[rank] = fields
        assert fields[:6] == [str(rank), str(rank % 2), str(rank // 2), "4", "2", "127.0.0.1"]
        assert log_text(spec, f"std_log_process_{rank}.txt").endswith(f"Z hello from {rank}\n")
    assert len({fields[6] for fields in seen.values()}) == 1  # one MASTER_PORT for all
    assert 1024 < int(seen[0][6]) < 65536
    main_log = log_text(spec)
    assert all(f"[rank {rank}] hello from {rank}" in main_log for rank in range(4))
    assert sorted(record.log_tail) == [f"[rank {r}] hello from {r}" for r in range(4)]


def test_a_failing_rank_fails_the_step_and_stops_the_others(tmp_path: Path) -> None:
    spec = make_spec(
        tmp_path,
        'if [ "$RANK" = 2 ]; then exit 4; fi; sleep 100',
        instance_count=2,
        distribution={"type": "pytorch", "process_count_per_instance": 2},
        grace=1.0,
    )
    started = time.monotonic()
    record = run_step(spec)
    assert (record.status, record.reason, record.exit_code) == ("Failed", "exit_code", 4)
    assert record.message == "rank 2 exited with code 4"
    assert time.monotonic() - started < 10
    assert survivors(spec.workdir) == []


def test_tensorflow_workers_and_parameter_servers_get_tf_config(tmp_path: Path) -> None:
    spec = make_spec(
        tmp_path,
        'echo "$TF_CONFIG" > ${{outputs.out}}/$(python3 -c \'import json, os; '
        't = json.loads(os.environ["TF_CONFIG"])["task"]; print(t["type"], t["index"], sep="_")\')',
        outputs=[output(tmp_path, "out")],
        instance_count=3,
        distribution={"type": "tensorflow", "worker_count": 2, "parameter_server_count": 1},
    )
    record = run_step(spec)
    assert record.status == "Completed", record.message
    out = tmp_path / "datastore" / "out"
    assert sorted(p.name for p in out.iterdir()) == ["ps_0", "worker_0", "worker_1"]
    configs = {p.name: json.loads(p.read_text()) for p in out.iterdir()}
    cluster = configs["worker_0"]["cluster"]
    assert [a.split(":")[0] for a in cluster["worker"] + cluster["ps"]] == ["127.0.0.1"] * 3
    assert len({a.split(":")[1] for a in cluster["worker"] + cluster["ps"]}) == 3
    for name, config in configs.items():
        kind, index = name.split("_")
        assert config == {
            "cluster": cluster,
            "task": {"type": kind, "index": int(index)},
            "environment": "cloud",
        }


def test_tensorflow_worker_count_defaults_to_instance_count(tmp_path: Path) -> None:
    spec = make_spec(
        tmp_path,
        'echo "$TF_CONFIG"',
        instance_count=2,
        distribution={"type": "tensorflow"},
    )
    record = run_step(spec)
    assert record.status == "Completed", record.message
    configs = [json.loads(line.split("] ", 1)[1]) for line in record.log_tail]
    assert sorted(c["task"]["index"] for c in configs) == [0, 1]
    assert all(len(c["cluster"]["worker"]) == 2 and "ps" not in c["cluster"] for c in configs)


def test_mpi_without_mpirun_fails_clearly(tmp_path: Path) -> None:
    bin_dir = _bin_with(tmp_path, {})
    spec = make_spec(
        tmp_path,
        "true",
        env={"PATH": str(bin_dir)},
        distribution={"type": "mpi", "process_count_per_instance": 2},
    )
    record = run_step(spec)
    assert (record.status, record.reason) == ("Failed", "launch_error")
    assert record.message.startswith("mpi distribution is not supported yet")


def test_mpi_runs_through_mpirun_with_the_process_count(tmp_path: Path) -> None:
    fake = '#!/bin/bash\necho "mpirun $1 $2"\nshift 2\nexec "$@"\n'
    bin_dir = _bin_with(tmp_path, {"mpirun": fake})
    spec = make_spec(
        tmp_path,
        "echo inside",
        env={"PATH": str(bin_dir)},
        instance_count=2,
        distribution={"type": "mpi", "process_count_per_instance": 3},
    )
    record = run_step(spec)
    assert record.status == "Completed", record.message
    assert record.log_tail == ["mpirun -np 6", "inside"]


def _bin_with(root: Path, scripts: dict[str, str]) -> Path:
    """A PATH folder holding only bash (and `scripts`), so that nothing else is found."""
    bin_dir = root / "bin"
    bin_dir.mkdir()
    bash = next(
        Path(d, "bash") for d in os.environ["PATH"].split(os.pathsep) if Path(d, "bash").exists()
    )
    (bin_dir / "bash").symlink_to(bash)
    for name, text in scripts.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    return bin_dir
