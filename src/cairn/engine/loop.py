"""The engine loop: the thin part that carries out the scheduler's decisions.

One thread. It claims queued jobs from the store (and adopts jobs whose engine died), feeds the
scheduler what happens — steps launched, reused, running, ended, jobs cancelled — and writes every
status change through the store. Launchers report progress over the executor's event queue; a
periodic poll of every active step is the safety net that catches lost events and vanished
processes (a step with neither a record nor a live launcher fails with reason `lost`).
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.engine.launching import Materializer, launch_spec
from cairn.engine.reuse import ReuseChecker
from cairn.engine.scheduler import Cancel, Decision, FinishJob, Launch, MarkQueued, Scheduler, Skip
from cairn.engine.timeline import moves_to_end, moves_to_running, outcome_properties
from cairn.errors import CairnError
from cairn.executors.base import Alive, ExecutorEvent, Gone
from cairn.launcher.protocol import PIDS, StepRecord
from cairn.plan.model import Plan
from cairn.store.records import Move
from cairn.store.status import ACTIVE_STATUSES, JobStatus
from cairn.workspace.resources import compute_slots

if TYPE_CHECKING:
    from cairn.executors.base import Executor
    from cairn.store.records import Job
    from cairn.workspace.context import Workspace

log = logging.getLogger("cairn.engine")
S = JobStatus
ENGINE_ACTOR = "engine"


@dataclass(frozen=True)
class EngineConfig:
    owner: str = field(
        default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    )
    lease_seconds: float = 30.0
    poll_interval: float = 0.5
    claim_interval: float = 1.0
    grace: float = 10.0
    log_cap_bytes: int = 100 * 1024 * 1024


@dataclass
class _Held:
    """A job this engine holds: its plan, its steps' child jobs, and what they produced."""

    job: Job
    plan: Plan
    child_ids: dict[str, int]
    statuses: dict[str, JobStatus]
    outputs: dict[str, dict[str, dict[str, Any]]]
    workdirs: dict[str, Path] = field(default_factory=dict)


def owner_is_gone(owner: str) -> bool:
    """An owner id `host:pid:…` of this host whose process no longer exists: its leases can be
    taken over at once instead of waiting for them to expire."""
    host, _, rest = owner.partition(":")
    pid_text = rest.split(":", 1)[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class Engine:
    def __init__(
        self, workspace: Workspace, executor: Executor, config: EngineConfig | None = None
    ) -> None:
        self.workspace = workspace
        self.store = workspace.store
        self.executor = executor
        self.config = config or EngineConfig()
        self.scheduler = Scheduler(capacity=compute_slots(workspace), default_capacity=1)
        self.materializer = Materializer(workspace.catalog(), workspace.home)
        self.reuse = ReuseChecker(workspace)
        self.held: dict[int, _Held] = {}
        self.by_workdir: dict[str, tuple[int, str]] = {}
        self._cancels: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._claim_now = threading.Event()
        self._stop = threading.Event()
        self._last = {"claim": 0.0, "poll": 0.0, "lease": 0.0}

    # -- control from other threads -----------------------------------------------------------

    def wake(self) -> None:
        """A job was submitted: claim it now rather than at the next claim interval."""
        self._claim_now.set()
        self.executor.events.put(ExecutorEvent("", "wake", time.time()))

    def request_cancel(self, job_id: int) -> None:
        self._cancels.put(job_id)
        self.executor.events.put(ExecutorEvent("", "wake", time.time()))

    def stop(self) -> None:
        self._stop.set()
        self.executor.events.put(ExecutorEvent("", "wake", time.time()))

    # -- the loop -----------------------------------------------------------------------------

    def run(self) -> None:
        """Run until `stop()`; never raises for a problem with one job."""
        self._adopt()
        while not self._stop.is_set():
            self.run_once(timeout=self.config.poll_interval)
        self.store.jobs.release_lease(self.config.owner, list(self.held))

    def run_once(self, timeout: float) -> None:
        now = time.monotonic()
        if self._claim_now.is_set() or now - self._last["claim"] >= self.config.claim_interval:
            self._claim_now.clear()
            self._last["claim"] = now
            self._guard(self._claim)
        self._guard(self._take_cancels)
        try:
            event = self.executor.events.get(timeout=timeout)
        except queue.Empty:
            event = None
        while event is not None:
            self._guard(lambda e=event: self._on_event(e))
            try:
                event = self.executor.events.get_nowait()
            except queue.Empty:
                event = None
        now = time.monotonic()
        if now - self._last["poll"] >= self.config.poll_interval:
            self._last["poll"] = now
            self._guard(self._poll_active)
            self._guard(self._check_store_cancels)
        if now - self._last["lease"] >= self.config.lease_seconds / 3:
            self._last["lease"] = now
            self._guard(self._renew)

    def _guard(self, action: Any) -> None:
        try:
            action()
        except Exception:
            log.exception("engine step failed")

    # -- claiming -----------------------------------------------------------------------------

    def _claim(self) -> None:
        claimed = self.store.jobs.claim_queued(
            self.config.owner, self.config.lease_seconds, limit=16, workspace=self.workspace.name
        )
        for job in claimed:
            self._hold(job)

    def _adopt(self) -> None:
        gone = [o for o in self.store.jobs.lease_owners(self.workspace.name) if owner_is_gone(o)]
        adopted = self.store.jobs.adopt_expired(
            self.config.owner,
            self.config.lease_seconds,
            workspace=self.workspace.name,
            owners_gone=gone,
        )
        for job in adopted:
            self._hold(job)

    def _hold(self, job: Job) -> None:
        raw = self.store.jobs.plan(job.id)
        if raw is None:
            self._apply([Move(job.id, S.FAILED, reason="no plan")])
            return
        plan = Plan.from_json(dict(raw))
        children = {c.node_path or c.node_name or "": c for c in self.store.jobs.children(job.id)}
        held = _Held(
            job=job,
            plan=plan,
            child_ids={sid: children[sid].id for sid in plan.steps if sid in children},
            statuses={sid: children[sid].status for sid in plan.steps if sid in children},
            outputs={
                sid: dict(children[sid].properties.get("outputs") or {})
                for sid in plan.steps
                if sid in children and children[sid].status is S.COMPLETED
            },
        )
        for sid in plan.steps:
            child = children.get(sid)
            if child is not None and child.properties.get("workdir"):
                held.workdirs[sid] = Path(str(child.properties["workdir"]))
                self.by_workdir[str(held.workdirs[sid])] = (job.id, sid)
        self.held[job.id] = held
        if job.status is S.QUEUED:
            self._apply([Move(job.id, S.RUNNING, reason="claimed", expected_from=S.QUEUED)])
        for decision in self.scheduler.add_job(job.id, plan, held.statuses):
            self._carry_out(decision)
        if job.status is S.CANCEL_REQUESTED:
            self._cancel_job(job.id)
        self._poll_job(job.id)

    # -- decisions ----------------------------------------------------------------------------

    def _carry_out(self, decision: Decision) -> None:
        held = self.held.get(decision.job_id)
        if held is None:
            return
        if isinstance(decision, MarkQueued):
            self._set(held, decision.steps, S.QUEUED, reason="inputs ready")
        elif isinstance(decision, Launch):
            self._launch(held, decision.step)
        elif isinstance(decision, Cancel):
            self._set(held, (decision.step,), S.CANCEL_REQUESTED, reason="cancel")
            workdir = held.workdirs.get(decision.step)
            if workdir is not None:
                self.executor.cancel(workdir, self.config.grace)
        elif isinstance(decision, Skip):
            self._set(held, (decision.step,), decision.status, reason=decision.reason)
        elif isinstance(decision, FinishJob):
            self._finish(held, decision)

    def _feed(self, decisions: list[Decision]) -> None:
        for decision in decisions:
            self._carry_out(decision)

    def _set(self, held: _Held, steps: tuple[str, ...], status: JobStatus, *, reason: str) -> None:
        moves = [
            Move(held.child_ids[s], status, reason=reason) for s in steps if s in held.child_ids
        ]
        self._apply(moves)
        for sid in steps:
            held.statuses[sid] = status

    def _launch(self, held: _Held, step_id: str) -> None:
        step = held.plan.steps[step_id]
        child = held.child_ids[step_id]
        hit = None if held.plan.settings.force_rerun else self.reuse.find(step, child)
        if hit is not None:
            self.store.jobs.mark_reused(child, hit.job_id, reason=hit.reason, actor=ENGINE_ACTOR)
            self.store.jobs.update(
                child,
                properties={
                    "outputs": hit.outputs,
                    "azureml.isreused": "true",
                    "azureml.reusedrunid": hit.job_name,
                },
                actor=ENGINE_ACTOR,
            )
            held.outputs[step_id] = hit.outputs
            held.statuses[step_id] = S.COMPLETED
            self._feed(self.scheduler.step_ended(held.job.id, step_id, S.COMPLETED))
            return
        attempt = 1
        workdir = self.workspace.home.step_workdir(self.workspace.name, step.name, attempt)
        try:
            spec = launch_spec(
                step,
                workdir,
                held.outputs,
                self.materializer,
                grace=self.config.grace,
                log_cap_bytes=self.config.log_cap_bytes,
                notify=getattr(self.executor, "notify", None),
                attempt=attempt,
            )
            spec.write()
        except CairnError as exc:
            self._apply(
                [Move(child, S.FAILED, reason="launch_error", detail={"message": exc.message})]
            )
            held.statuses[step_id] = S.FAILED
            self._feed(self.scheduler.step_ended(held.job.id, step_id, S.FAILED))
            return
        held.workdirs[step_id] = workdir
        self.by_workdir[str(workdir)] = (held.job.id, step_id)
        self.store.jobs.apply(
            [Move(child, S.PREPARING, reason="launched")],
            properties={
                child: {
                    "workdir": str(workdir),
                    "attempt": attempt,
                    "environment": step.environment.note,
                }
            },
            actor=ENGINE_ACTOR,
        )
        held.statuses[step_id] = S.PREPARING
        self.executor.launch(spec)

    # -- progress ------------------------------------------------------------------------------

    def _on_event(self, event: ExecutorEvent) -> None:
        if event.event == "wake":
            return
        found = self.by_workdir.get(event.workdir)
        if found is None:
            return
        job_id, step_id = found
        held = self.held.get(job_id)
        if held is None:
            return
        if event.event == "running":
            self._running(held, step_id, event.at)
        elif event.event == "ended":
            self._poll_step(held, step_id)

    def _running(self, held: _Held, step_id: str, epoch: float) -> None:
        moves = moves_to_running(held.child_ids[step_id], held.statuses[step_id], epoch)
        if moves:
            self._apply(moves)
            held.statuses[step_id] = S.RUNNING
            self.scheduler.step_started(held.job.id, step_id, S.RUNNING)

    def _poll_active(self) -> None:
        for job_id in list(self.held):
            self._poll_job(job_id)

    def _poll_job(self, job_id: int) -> None:
        held = self.held.get(job_id)
        if held is None:
            return
        for step_id in list(held.workdirs):
            if held.statuses.get(step_id) in ACTIVE_STATUSES:
                self._poll_step(held, step_id)

    def _poll_step(self, held: _Held, step_id: str) -> None:
        status = held.statuses.get(step_id)
        workdir = held.workdirs.get(step_id)
        if status not in ACTIVE_STATUSES or workdir is None:
            return
        found = self.executor.poll(workdir)
        if isinstance(found, Alive):
            return
        if isinstance(found, Gone):
            if not (workdir / PIDS).exists() and status is S.PREPARING:
                spec_path = workdir / "spec.json"
                if spec_path.exists():  # launched by a dead engine, never started: start it now
                    from cairn.launcher.protocol import LaunchSpec

                    self.executor.launch(LaunchSpec.from_json(spec_path.read_text()))
                    return
            found = StepRecord(
                status="Failed", reason="lost", message="the step's process ended without a record"
            )
        self._ended(held, step_id, found)

    def _ended(self, held: _Held, step_id: str, record: StepRecord) -> None:
        child = held.child_ids[step_id]
        moves = moves_to_end(child, held.statuses[step_id], record)
        self.store.jobs.apply(
            moves, properties={child: outcome_properties(record)}, actor=ENGINE_ACTOR
        )
        final = S(record.status)
        held.statuses[step_id] = final
        if final is S.COMPLETED:
            held.outputs[step_id] = outcome_properties(record)["outputs"]
        self._feed(self.scheduler.step_ended(held.job.id, step_id, final))

    # -- cancel and finish ---------------------------------------------------------------------

    def _take_cancels(self) -> None:
        while True:
            try:
                job_id = self._cancels.get_nowait()
            except queue.Empty:
                return
            self._cancel_job(job_id)

    def _check_store_cancels(self) -> None:
        for job_id in list(self.held):
            if self.store.jobs.get(job_id).status is S.CANCEL_REQUESTED:
                self._cancel_job(job_id)

    def _cancel_job(self, job_id: int) -> None:
        held = self.held.get(job_id)
        if held is None:
            return
        job = self.store.jobs.get(job_id)
        if job.status is S.RUNNING or job.status is S.QUEUED:
            self._apply([Move(job_id, S.CANCEL_REQUESTED, reason="cancel requested")])
        self._feed(self.scheduler.cancel_job(job_id))

    def _finish(self, held: _Held, decision: FinishJob) -> None:
        detail: dict[str, Any] | None = None
        if decision.root_failure is not None:
            root = self.store.jobs.get(held.child_ids[decision.root_failure])
            detail = {
                "root_failure": decision.root_failure,
                "root_failure_job": root.name,
                "reason": root.properties.get("reason"),
                "message": root.properties.get("message"),
                "log_tail": root.properties.get("log_tail"),
            }
        current = self.store.jobs.get(held.job.id).status
        moves = []
        if current is S.QUEUED:
            moves.append(Move(held.job.id, S.RUNNING, reason="claimed"))
        moves.append(Move(held.job.id, decision.status, reason="all steps ended", detail=detail))
        self.store.jobs.apply(
            moves,
            properties={held.job.id: {"root_failure": detail}} if detail else None,
            actor=ENGINE_ACTOR,
        )
        self.scheduler.forget(held.job.id)
        for workdir in held.workdirs.values():
            self.by_workdir.pop(str(workdir), None)
        self.held.pop(held.job.id, None)

    def _renew(self) -> None:
        if self.held:
            self.store.jobs.renew_lease(
                self.config.owner, list(self.held), self.config.lease_seconds
            )

    def _apply(self, moves: list[Move]) -> None:
        if moves:
            self.store.jobs.apply(moves, actor=ENGINE_ACTOR)
