"""Where steps run: slots per compute (a distributed step takes several), and computes and
datastores registered while the engine runs."""

from __future__ import annotations

from pathlib import Path

from cairn.store import job_timings
from cairn.workspace.resources import create_compute, create_datastore
from tests.engine.rig import ENV, Rig, S, assert_outputs_committed, max_overlap, slot_spans


def test_a_compute_runs_at_most_its_slots_at_once(rig: Rig) -> None:
    create_compute(rig.workspace, name="pair", type="local", max_instances=2)
    stamps = rig.root / "stamps.txt"
    jobs = "\n".join(
        f"""
          s{i}:
            type: command
            environment: {ENV}
            command: >-
              echo "start $(date +%s.%N) s{i}" >> {stamps} && sleep 0.3 &&
              echo "end $(date +%s.%N) s{i}" >> {stamps}"""
        for i in range(6)
    )
    file = rig.write("slots.yml", f"type: pipeline\ncompute: azureml:pair\njobs:{jobs}\n")
    rig.start()
    job = rig.run(file)
    assert job.status is S.COMPLETED
    spans = slot_spans(rig, job.id)
    assert len(spans) == 6
    assert max_overlap((s.start.timestamp(), s.end.timestamp(), 1) for s in spans) == 2
    # The processes themselves, by their own clocks: never more than two at once.
    marks = [line.split() for line in stamps.read_text().splitlines()]
    starts = sorted(float(t) for kind, t, _ in marks if kind == "start")
    ends = sorted(float(t) for kind, t, _ in marks if kind == "end")
    assert len(starts) == len(ends) == 6
    assert max_overlap((s, e, 1) for s, e in zip(starts, ends, strict=True)) <= 2
    # Four of the six waited in the queue for a slot.
    waited = [job_timings(rig.events(c.id)).queued_s or 0.0 for c in rig.steps(job.id).values()]
    assert sum(1 for w in waited if w >= 0.2) >= 3


def test_pytorch_two_by_two_runs_four_ranks_on_two_slots(rig: Rig) -> None:
    create_compute(rig.workspace, name="pair", type="local", max_instances=2)
    solo = "".join(
        f"\n  solo{i}:\n    type: command\n    environment: {ENV}\n    command: sleep 0.2{i}"
        for i in range(2)
    )
    file = rig.write(
        "ddp.yml",
        f"""type: pipeline
compute: azureml:pair
jobs:
  ddp:
    type: command
    environment: {ENV}
    resources: {{instance_count: 2}}
    distribution: {{type: pytorch, process_count_per_instance: 2}}
    command: >-
      env | grep -E '^(RANK|WORLD_SIZE|LOCAL_RANK|NODE_RANK|MASTER_ADDR)=' | sort
      > ${{{{outputs.ranks}}}}/rank_$RANK.txt && sleep 0.3
    outputs: {{ranks: {{type: uri_folder}}}}{solo}
""",
    )
    rig.start()
    job = rig.run(file)
    assert job.status is S.COMPLETED
    ddp = rig.steps(job.id)["ddp"]
    assert_outputs_committed(ddp)
    folder = Path(ddp.properties["outputs"]["ranks"]["path"])
    assert sorted(p.name for p in folder.iterdir()) == [f"rank_{r}.txt" for r in range(4)]
    for rank in range(4):
        env = dict(
            line.split("=", 1) for line in (folder / f"rank_{rank}.txt").read_text().splitlines()
        )
        assert env == {
            "LOCAL_RANK": str(rank % 2),
            "MASTER_ADDR": "127.0.0.1",
            "NODE_RANK": str(rank // 2),
            "RANK": str(rank),
            "WORLD_SIZE": "4",
        }
    # The distributed step holds both slots: nothing else ran beside it.
    spans = slot_spans(rig, job.id)
    weights = {"ddp": 2}
    intervals = [(s.start.timestamp(), s.end.timestamp(), weights.get(s.step, 1)) for s in spans]
    assert max_overlap(intervals) == 2
    ddp_span = next(s for s in spans if s.step == "ddp")
    for other in spans:
        if other.step != "ddp":
            assert other.end <= ddp_span.start or other.start >= ddp_span.end


def test_a_compute_created_while_the_engine_runs_gets_its_slots(rig: Rig) -> None:
    rig.start()
    create_compute(rig.workspace, name="late", type="local", max_instances=2)
    file = rig.write(
        "late.yml",
        f"""
        type: pipeline
        compute: azureml:late
        jobs:
          wide:
            type: command
            environment: {ENV}
            resources: {{instance_count: 2}}
            command: echo wide
        """,
    )
    job = rig.run(file)
    wide = rig.steps(job.id)["wide"]
    assert (job.status, wide.status) == (S.COMPLETED, S.COMPLETED), rig.events(wide.id)[-1]


def test_a_datastore_registered_while_the_engine_runs_is_usable(rig: Rig) -> None:
    rig.start()
    rig.write("scratch/in/table.csv", "a,b\n1,2\n")
    create_datastore(
        rig.workspace, rig.write("scratch.yml", "name: scratch\ntype: local\npath: ./scratch\n")
    )
    file = rig.write(
        "scratch-job.yml",
        f"""
        type: pipeline
        compute: local
        jobs:
          count:
            type: command
            environment: {ENV}
            command: wc -l < ${{{{inputs.table}}}}/table.csv > ${{{{outputs.out}}}}/lines
            inputs:
              table: {{type: uri_folder, path: "azureml://datastores/scratch/paths/in"}}
            outputs:
              out: {{type: uri_folder, path: "azureml://datastores/scratch/paths/counted"}}
        """,
    )
    job = rig.run(file)
    count = rig.steps(job.id)["count"]
    assert (job.status, count.status) == (S.COMPLETED, S.COMPLETED), count.properties
    assert (rig.root / "project" / "scratch" / "counted" / "lines").read_text().strip() == "2"
    assert_outputs_committed(count)
