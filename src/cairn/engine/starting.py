"""Starting a step the scheduler let through: reuse an earlier result, or write the step's folder
and hand it to the executor — with the store writes that go with each.

Owns: the order of those writes, chosen so that an engine dying between any two of them leaves
a state the next engine completes correctly: a reuse records the outputs before it completes the
step; a launch writes `spec.json`, then records `Preparing` with the step's folder, then asks the
executor (a step `Preparing` with a `spec.json` but no launcher is started again by the next
engine's poll).
Must not: decide what runs next (the scheduler does) or wait for the step.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from cairn.engine.launching import Materializer, launch_spec
from cairn.engine.reuse import ReuseChecker
from cairn.errors import CairnError
from cairn.store.records import Move
from cairn.store.status import JobStatus

if TYPE_CHECKING:
    from cairn.engine.recovery import HeldJob
    from cairn.engine.writes import PendingWrites
    from cairn.executors.base import Executor
    from cairn.workspace.context import Workspace

S = JobStatus
log = logging.getLogger("cairn.engine")
ATTEMPT = 1


class StepStarter:
    def __init__(
        self,
        workspace: Workspace,
        executor: Executor,
        writes: PendingWrites,
        *,
        actor: str,
        grace: float,
        log_cap_bytes: int,
    ) -> None:
        self.workspace = workspace
        self.store = workspace.store
        self.executor = executor
        self.writes = writes
        self.actor = actor
        self.grace = grace
        self.log_cap_bytes = log_cap_bytes
        self.reuse = ReuseChecker(workspace)
        self.materializer = Materializer(workspace.catalog(), workspace.home)

    def refresh(self) -> None:
        """See datastores registered since the last refresh."""
        self.materializer = Materializer(self.workspace.catalog(), self.workspace.home)

    def start(self, held: HeldJob, step_id: str) -> JobStatus:
        """Reuse or launch the step: `Completed` (reused), `Failed` (it could not be launched)
        or `Preparing` (handed to the executor, its folder in `held.workdirs`)."""
        step = held.plan.steps[step_id]
        child = held.child_ids[step_id]
        decision = self.reuse.decide(
            step, child, held.job.id, force_rerun=held.plan.settings.force_rerun
        )
        hit = decision.hit
        if hit is not None:
            # One transaction: the outputs and the completion (and the link) together.
            self.writes.add(
                held.job.id,
                [
                    Move(
                        child,
                        S.COMPLETED,
                        reason=hit.reason,
                        detail={"reused_from": hit.job_name, "reused_from_id": hit.job_id},
                        reused_from=hit.job_id,
                    )
                ],
                {
                    child: {
                        "outputs": hit.outputs,
                        "azureml.isreused": "true",
                        "azureml.reusedrunid": hit.job_name,
                        "cairn.reuse": decision.record(),
                    }
                },
                lazy=True,
            )
            held.outputs[step_id] = hit.outputs
            held.statuses[step_id] = S.COMPLETED
            return S.COMPLETED
        workdir = self.workspace.home.step_workdir(self.workspace.name, step.name, ATTEMPT)
        try:
            spec = launch_spec(
                step,
                workdir,
                held.outputs,
                self.materializer,
                grace=self.grace,
                log_cap_bytes=self.log_cap_bytes,
                notify=getattr(self.executor, "notify", None),
                attempt=ATTEMPT,
            )
            spec.write()
        except (CairnError, OSError) as exc:
            message = exc.message if isinstance(exc, CairnError) else f"cannot prepare: {exc}"
            self.writes.add(
                held.job.id,
                [Move(child, S.FAILED, reason="launch_error", detail={"message": message})],
                {child: {"reason": "launch_error", "message": message}},
                lazy=True,
            )
            held.statuses[step_id] = S.FAILED
            return S.FAILED
        # Recorded with the loop's next commit, after the launch: an engine that dies in between
        # launches the step again from its (deterministic) folder, where the launcher's lock and
        # record make the second launch a no-op.
        self.writes.add(
            held.job.id,
            [Move(child, S.PREPARING, reason="launched")],
            {
                child: {
                    "workdir": str(workdir),
                    "attempt": ATTEMPT,
                    "environment": step.environment.note,
                    # what an engine that died deciding to reuse the step may have left
                    "outputs": None,
                    "azureml.isreused": None,
                    "azureml.reusedrunid": None,
                    "cairn.reuse": decision.record(),
                }
            },
            lazy=True,
        )
        held.workdirs[step_id] = workdir
        held.statuses[step_id] = S.PREPARING
        try:
            self.executor.launch(spec)
        except Exception:
            # Whether a launcher started is unknown: the step stays `Preparing` with its folder,
            # and the engine's poll launches it again, a bounded number of times, if none did.
            log.exception("handing step %s to the executor failed", step.name)
        return S.PREPARING
