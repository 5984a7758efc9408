"""Pipeline shapes run end to end by a real engine: chain, diamond, fan-out of 100, nested
pipeline components (`test_slots.py` has the shapes of where steps run).

Each test checks statuses, the event timelines (and the queue/preparation/run figures taken from
them), the committed outputs (present, with the hash the step's job records) and the step logs.
"""

from __future__ import annotations

from pathlib import Path

from cairn.store import job_timings
from cairn.workspace.resources import local_slots
from tests.engine.rig import (
    ENV,
    Rig,
    S,
    assert_monotonic,
    assert_outputs_committed,
    max_overlap,
    slot_spans,
    std_log,
)

APPEND_PY = """
import argparse
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--inp")
parser.add_argument("--word", required=True)
parser.add_argument("--out", required=True)
args = parser.parse_args()
words = (Path(args.inp) / "words.txt").read_text() if args.inp else ""
(Path(args.out) / "words.txt").write_text(words + args.word + "\\n")
print(f"appended {args.word}")
"""

APPEND_YML = f"""
$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
type: command
name: append_word
inputs:
  inp:
    type: uri_folder
    optional: true
  word:
    type: string
outputs:
  out:
    type: uri_folder
code: ./src
environment: {ENV}
command: >-
  python append.py $[[--inp ${{{{inputs.inp}}}}]] --word ${{{{inputs.word}}}}
  --out ${{{{outputs.out}}}}
"""

PHASES = [S.NOT_STARTED, S.QUEUED, S.PREPARING, S.RUNNING, S.FINALIZING, S.COMPLETED]


def write_append(rig: Rig) -> None:
    rig.write("append/src/append.py", APPEND_PY)
    rig.write("append/component.yml", APPEND_YML)


def test_linear_chain_passes_data_and_records_every_phase(rig: Rig) -> None:
    write_append(rig)
    file = rig.write(
        "chain.yml",
        """
        type: pipeline
        compute: local
        jobs:
          first:
            type: command
            component: ./append/component.yml
            inputs: {word: alpha}
          second:
            type: command
            component: ./append/component.yml
            inputs:
              inp: ${{parent.jobs.first.outputs.out}}
              word: beta
          third:
            type: command
            component: ./append/component.yml
            inputs:
              inp: ${{parent.jobs.second.outputs.out}}
              word: gamma
        """,
    )
    rig.start()
    job = rig.run(file)
    assert job.status is S.COMPLETED
    parent_events = rig.events(job.id)
    assert [e.status for e in parent_events] == [S.NOT_STARTED, S.QUEUED, S.RUNNING, S.COMPLETED]
    steps = rig.steps(job.id)
    assert list(steps) == ["first", "second", "third"]
    for child in steps.values():
        events = rig.events(child.id)
        assert [e.status for e in events] == PHASES
        assert_monotonic(events)
        timings = job_timings(events)
        for figure in (timings.queued_s, timings.preparing_s, timings.running_s):
            assert figure is not None and figure >= 0
        assert child.reused_from_id is None
        assert_outputs_committed(child)
    # Each step started only after the one it reads from had completed.
    for before, after in (("first", "second"), ("second", "third")):
        done = rig.events(steps[before].id)[-1].at
        assert rig.events(steps[after].id)[2].at >= done
    final = Path(steps["third"].properties["outputs"]["out"]["path"]) / "words.txt"
    assert final.read_text() == "alpha\nbeta\ngamma\n"
    log = std_log(steps["second"])
    assert log.rstrip().endswith("appended beta")
    assert log[:4].isdigit() and "Z appended beta" in log  # time-stamped lines


def test_diamond_joins_both_branches(rig: Rig) -> None:
    file = rig.write(
        "diamond.yml",
        f"""
        type: pipeline
        compute: local
        jobs:
          top:
            type: command
            environment: {ENV}
            command: echo 3 > ${{{{outputs.n}}}}/n
            outputs: {{n: {{type: uri_folder}}}}
          left:
            type: command
            environment: {ENV}
            command: echo $(( $(cat ${{{{inputs.n}}}}/n) * 2 )) > ${{{{outputs.n}}}}/n
            inputs: {{n: "${{{{parent.jobs.top.outputs.n}}}}"}}
            outputs: {{n: {{type: uri_folder}}}}
          right:
            type: command
            environment: {ENV}
            command: echo $(( $(cat ${{{{inputs.n}}}}/n) + 10 )) > ${{{{outputs.n}}}}/n
            inputs: {{n: "${{{{parent.jobs.top.outputs.n}}}}"}}
            outputs: {{n: {{type: uri_folder}}}}
          bottom:
            type: command
            environment: {ENV}
            command: >-
              echo $(( $(cat ${{{{inputs.a}}}}/n) + $(cat ${{{{inputs.b}}}}/n) ))
              | tee ${{{{outputs.n}}}}/n
            inputs:
              a: ${{{{parent.jobs.left.outputs.n}}}}
              b: ${{{{parent.jobs.right.outputs.n}}}}
            outputs: {{n: {{type: uri_folder}}}}
        """,
    )
    rig.start()
    job = rig.run(file)
    assert job.status is S.COMPLETED
    steps = rig.steps(job.id)
    assert {k: v.status for k, v in steps.items()} == dict.fromkeys(steps, S.COMPLETED)
    bottom_start = rig.events(steps["bottom"].id)[2]
    assert bottom_start.status is S.PREPARING
    for branch in ("left", "right"):
        assert bottom_start.at >= rig.events(steps[branch].id)[-1].at
    assert (Path(steps["bottom"].properties["outputs"]["n"]["path"]) / "n").read_text() == "19\n"
    assert std_log(steps["bottom"]).rstrip().endswith(" 19")
    for child in steps.values():
        assert_outputs_committed(child)


def fan_out_yaml(width: int) -> str:
    lines = ["type: pipeline", "compute: local", "jobs:"]
    lines += [
        "  start:",
        "    type: command",
        f"    environment: {ENV}",
        "    command: echo go > ${{outputs.out}}/go",
        "    outputs: {out: {type: uri_folder}}",
    ]
    for i in range(width):
        lines += [
            f"  s{i}:",
            "    type: command",
            f"    environment: {ENV}",
            f"    command: echo {i} > ${{{{outputs.out}}}}/v",
            "    inputs: {go: '${{parent.jobs.start.outputs.out}}'}",
            "    outputs: {out: {type: uri_folder}}",
        ]
    cats = " ".join(f"${{{{inputs.i{i}}}}}/v" for i in range(width))
    lines += [
        "  end:",
        "    type: command",
        f"    environment: {ENV}",
        f"    command: cat {cats} > ${{{{outputs.out}}}}/all",
        "    outputs: {out: {type: uri_folder}}",
        "    inputs:",
    ]
    lines += [f"      i{i}: ${{{{parent.jobs.s{i}.outputs.out}}}}" for i in range(width)]
    return "\n".join(lines) + "\n"


def test_fan_out_of_a_hundred_and_back(rig: Rig) -> None:
    file = rig.write("fan.yml", fan_out_yaml(100))
    rig.start()
    job = rig.run(file, timeout=120)
    assert job.status is S.COMPLETED
    steps = rig.steps(job.id)
    assert len(steps) == 102
    assert all(child.status is S.COMPLETED for child in steps.values())
    merged = Path(steps["end"].properties["outputs"]["out"]["path"]) / "all"
    assert merged.read_text().split() == [str(i) for i in range(100)]
    spans = slot_spans(rig, job.id)
    most = max_overlap((s.start.timestamp(), s.end.timestamp(), 1) for s in spans)
    assert 1 <= most <= local_slots()
    end_start = next(s.start for s in spans if s.step == "end")
    assert all(s.end <= end_start for s in spans if s.step != "end")
    assert_outputs_committed(steps["end"])


STAGE_YML = """
$schema: https://azuremlschemas.azureedge.net/latest/pipelineComponent.schema.json
type: pipeline
name: stage
inputs:
  inp:
    type: uri_folder
    optional: true
  word:
    type: string
outputs:
  out:
    type: uri_folder
jobs:
  add:
    type: command
    component: ./append/component.yml
    inputs:
      inp: ${{parent.inputs.inp}}
      word: ${{parent.inputs.word}}
  seal:
    type: pipeline
    component: ./seal.yml
    inputs:
      inp: ${{parent.jobs.add.outputs.out}}
    outputs:
      out: ${{parent.outputs.out}}
"""

SEAL_YML = f"""
$schema: https://azuremlschemas.azureedge.net/latest/pipelineComponent.schema.json
type: pipeline
name: seal
inputs:
  inp:
    type: uri_folder
outputs:
  out:
    type: uri_folder
jobs:
  stamp:
    type: command
    environment: {ENV}
    inputs:
      inp: ${{{{parent.inputs.inp}}}}
    outputs:
      out: ${{{{parent.outputs.out}}}}
    command: >-
      cp ${{{{inputs.inp}}}}/words.txt ${{{{outputs.out}}}}/ &&
      echo "sealed by $CAIRN_STEP_ID" >> ${{{{outputs.out}}}}/words.txt
"""


def test_nested_pipeline_components_scope_steps_and_carry_data(rig: Rig) -> None:
    write_append(rig)
    rig.write("stage.yml", STAGE_YML)
    rig.write("seal.yml", SEAL_YML)
    file = rig.write(
        "nested.yml",
        """
        type: pipeline
        compute: local
        jobs:
          one:
            type: pipeline
            component: ./stage.yml
            inputs: {word: alpha}
          two:
            type: pipeline
            component: ./stage.yml
            inputs:
              inp: ${{parent.jobs.one.outputs.out}}
              word: beta
          last:
            type: command
            component: ./append/component.yml
            inputs:
              inp: ${{parent.jobs.two.outputs.out}}
              word: omega
        """,
    )
    rig.start()
    job = rig.run(file)
    assert job.status is S.COMPLETED
    steps = rig.steps(job.id)
    assert sorted(steps) == ["last", "one/add", "one/seal/stamp", "two/add", "two/seal/stamp"]
    assert steps["two/seal/stamp"].node_name == "stamp"
    assert all(child.status is S.COMPLETED for child in steps.values())
    words = Path(steps["last"].properties["outputs"]["out"]["path"]) / "words.txt"
    assert words.read_text() == (
        "alpha\nsealed by one/seal/stamp\nbeta\nsealed by two/seal/stamp\nomega\n"
    )
    # The same component used twice ran as two distinct steps, each after its upstream.
    assert steps["one/add"].id != steps["two/add"].id
    assert rig.events(steps["two/add"].id)[2].at >= rig.events(steps["one/seal/stamp"].id)[-1].at
    for child in steps.values():
        assert_outputs_committed(child)
