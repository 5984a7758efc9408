"""A plan under a new job name: what `job rerun` submits.

Everything resolved stays as it was — components, code snapshots, environments, input data and
its hashes, reuse keys — so completed steps are reused; only the names that derive from the job
name change: the steps' job names and the output paths built from `${{name}}`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cairn.plan.sources import fill_output_path

if TYPE_CHECKING:
    from cairn.plan.model import OutputDest, Plan


def renamed(plan: Plan, job_name: str) -> Plan:
    datastore = plan.settings.default_datastore
    steps = {}
    outputs: dict[str, OutputDest] = {}
    for step_id, step in plan.steps.items():
        name = f"{job_name}.{step_id.replace('/', '.')}"
        dests = {
            output: dest.model_copy(
                update={"uri": fill_output_path(dest.template, name, output, datastore)}
            )
            for output, dest in step.outputs.items()
        }
        steps[step_id] = step.model_copy(update={"name": name, "outputs": dests})
        outputs.update({d.pipeline_output: d for d in dests.values() if d.pipeline_output})
    return plan.model_copy(update={"job_name": job_name, "steps": steps, "outputs": outputs})
