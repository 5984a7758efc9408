"""The engine loop: the thin part that carries out the scheduler's decisions.

One thread. It claims queued jobs from the store (and adopts jobs whose engine died), feeds the
scheduler what happens — steps launched, reused, running, ended, jobs cancelled — and writes every
status change through the store. Launchers report progress over the executor's event queue; a
periodic poll of every active step is the safety net that catches lost events and vanished
processes (a step with neither a record nor a live launcher fails with reason `lost`, and what it
left running is stopped).

Leases are kept on a beat of a third of their length, checked before the loop acts and again
after each wait: an engine that was paused past its lease (a stopped process, a suspended
machine) first learns which jobs another engine adopted meanwhile and lets them go, rather than
acting on them. Adoption runs on the same beat, since a lease may lapse long after this engine
started. If the store still refuses a status change (another writer moved the step on), the job
is reloaded from the store rather than driven from a stale view. On `stop()` the leases are cut
short rather than released: the store adopts only jobs whose owner's lease lapsed, so a released
job in flight would wait for no one.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from cairn.engine.recovery import (
    HeldJob,
    complete_reuse_records,
    launcher_mark,
    load_held,
    owner_is_gone,
)
from cairn.engine.scheduler import Cancel, Decision, FinishJob, Launch, MarkQueued, Scheduler, Skip
from cairn.engine.starting import StepStarter
from cairn.engine.timeline import (
    moves_to_end,
    moves_to_running,
    outcome_properties,
    root_failure_detail,
)
from cairn.engine.writes import PendingWrites
from cairn.errors import Conflict
from cairn.executors.base import Alive, ExecutorEvent
from cairn.launcher.protocol import EVENTS, SPEC, LaunchSpec, StepRecord
from cairn.store.records import Move
from cairn.store.status import ACTIVE_STATUSES, JobStatus
from cairn.workspace.resources import compute_slots

if TYPE_CHECKING:
    from cairn.executors.base import Executor
    from cairn.plan.model import Plan
    from cairn.store.records import Job
    from cairn.workspace.context import Workspace

log = logging.getLogger("cairn.engine")
S = JobStatus
ENGINE_ACTOR = "engine"
MAX_RELAUNCHES = 3  # a launcher that dies before starting its step: tries before the step fails
# Plans handed over by submissions and not claimed yet (another engine may claim them): kept.
_SUBMITTED_KEPT = 64
# What is left of a lease when an engine stops: the next engine may adopt the job at once.
_HAND_BACK_SECONDS = 0.001


def _lease_clock() -> float:
    """Seconds on a clock that keeps counting while the machine sleeps (leases lapse then too)."""
    return time.clock_gettime(getattr(time, "CLOCK_BOOTTIME", time.CLOCK_MONOTONIC))


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


class Engine:
    def __init__(
        self, workspace: Workspace, executor: Executor, config: EngineConfig | None = None
    ) -> None:
        self.workspace = workspace
        self.store = workspace.store
        self.executor = executor
        self.config = config or EngineConfig()
        self.scheduler = Scheduler(capacity=compute_slots(workspace), default_capacity=1)
        self.writes = PendingWrites(self.store, ENGINE_ACTOR)
        self.starter = StepStarter(
            workspace,
            executor,
            self.writes,
            actor=ENGINE_ACTOR,
            grace=self.config.grace,
            log_cap_bytes=self.config.log_cap_bytes,
        )
        self.held: dict[int, HeldJob] = {}
        self.by_workdir: dict[str, tuple[int, str]] = {}
        # By step folder: how often a step whose launcher never started was launched again.
        self._relaunches: dict[str, int] = {}
        self._cancels: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._claim_now = threading.Event()
        self._submitted: dict[int, Plan] = {}
        self._submitted_lock = threading.Lock()
        self._committed = threading.Condition()
        self._stop = threading.Event()
        self._last = {"claim": 0.0, "poll": 0.0}
        self._lease_due = 0.0

    # -- control from other threads -----------------------------------------------------------

    def wake(self, job_id: int | None = None, plan: Plan | None = None) -> None:
        """A job was submitted: claim it now rather than at the next claim interval. With its
        id and plan, the engine that claims it need not read the plan back from the store (for a
        large pipeline, parsing it costs more than the claim)."""
        if job_id is not None and plan is not None:
            with self._submitted_lock:
                self._submitted[job_id] = plan
                while len(self._submitted) > _SUBMITTED_KEPT:  # claimed by another engine
                    del self._submitted[next(iter(self._submitted))]
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
        while not self._stop.is_set():
            self.run_once(timeout=self.config.poll_interval)
        self._commit(force=True)
        self._guard(self._hand_back)

    def run_once(self, timeout: float) -> None:
        self._keep_leases()
        now = time.monotonic()
        if self._claim_now.is_set() or now - self._last["claim"] >= self.config.claim_interval:
            self._claim_now.clear()
            self._last["claim"] = now
            self._guard(self._claim)
        self._guard(self._take_cancels)
        self._commit(force=False)
        due = self.writes.due_in()
        wait = min(timeout, self._lease_due - _lease_clock(), due if due is not None else timeout)
        try:
            event = self.executor.events.get(timeout=max(0.0, wait))
        except queue.Empty:
            event = None
        self._keep_leases()  # the wait is where a paused engine wakes up
        while event is not None:
            self._on_event(event)
            try:
                event = self.executor.events.get_nowait()
            except queue.Empty:
                event = None
        now = time.monotonic()
        if now - self._last["poll"] >= self.config.poll_interval:
            self._last["poll"] = now
            for job_id in list(self.held):
                self._for_job(job_id, partial(self._poll_job, job_id))
            self._guard(self._check_store_cancels)
        self._commit(force=False)

    def wait_for_commit(self, timeout: float) -> None:
        """Block until this engine commits a job's start, end or cancel, or `timeout` seconds
        (so that a caller waiting for a job to end reads the store when one may have, not on a
        timer)."""
        with self._committed:
            self._committed.wait(timeout)

    def _commit(self, *, force: bool) -> None:
        """Commit the turn's writes; jobs whose writes the store refused are reloaded."""
        batches = self.writes.urgent_batches
        try:
            refused = self.writes.flush(force=force)
        except Exception:
            log.exception("committing the engine's writes failed; reloading its jobs")
            refused = list(self.held)
        if self.writes.urgent_batches != batches:
            with self._committed:
                self._committed.notify_all()
        for job_id in refused:
            log.warning("the store refused writes for job %s; reloading it", job_id)
            self._guard(partial(self._reload, job_id))

    def _guard(self, action: Callable[[], object]) -> None:
        try:
            action()
        except Exception:
            log.exception("engine step failed")

    def _for_job(self, job_id: int, action: Callable[[], object]) -> None:
        """Run `action` for one job. If it fails part-way — a status change the store refused
        because the job moved on without this engine (a stale writer), or any other error —
        what the engine holds for the job may no longer match the store: it is reloaded from
        the store, which the steps' folders complete (as after a restart)."""
        try:
            action()
        except Conflict as error:
            log.warning("job %s changed under this engine (%s); reloading it", job_id, error)
            self._guard(partial(self._reload, job_id))
        except Exception:
            log.exception("engine step failed for job %s; reloading it", job_id)
            self._guard(partial(self._reload, job_id))

    # -- leases and claiming ------------------------------------------------------------------

    def _keep_leases(self) -> None:
        if _lease_clock() < self._lease_due:
            return
        self._lease_due = _lease_clock() + self.config.lease_seconds / 3
        self._guard(self._renew)
        self._guard(self._adopt)

    def _renew(self) -> None:
        if not self.held:
            return
        owner, ids = self.config.owner, list(self.held)
        kept = set(self.store.jobs.renew_lease(owner, ids, self.config.lease_seconds))
        for job_id in [j for j in ids if j not in kept]:
            log.warning("lost the lease on job %s to another engine; letting it go", job_id)
            self._drop(job_id)

    def _claim(self) -> None:
        claimed = self.store.jobs.claim_queued(
            self.config.owner, self.config.lease_seconds, limit=16, workspace=self.workspace.name
        )
        for job in claimed:
            self._for_job(job.id, partial(self._hold, job))

    def _adopt(self) -> None:
        gone = [o for o in self.store.jobs.lease_owners(self.workspace.name) if owner_is_gone(o)]
        adopted = self.store.jobs.adopt_expired(
            self.config.owner,
            self.config.lease_seconds,
            workspace=self.workspace.name,
            owners_gone=gone,
        )
        for job in adopted:
            if job.id not in self.held:  # never twice: that would count its slots twice
                self._for_job(job.id, partial(self._hold, job))

    def _hold(self, job: Job) -> None:
        """Take on a job, fresh or adopted from an engine that stopped or died."""
        with self._submitted_lock:
            submitted = self._submitted.pop(job.id, None)
        held = load_held(self.store, job, submitted)
        if held is None:
            self._apply(job.id, [Move(job.id, S.FAILED, reason="no plan")])
            return
        complete_reuse_records(self.store, held, ENGINE_ACTOR)
        self._refresh_resources(held.plan)
        for sid, workdir in held.workdirs.items():
            self.by_workdir[str(workdir)] = (job.id, sid)
        self.held[job.id] = held
        if job.status is S.QUEUED:
            self._apply(job.id, [Move(job.id, S.RUNNING, reason="claimed", expected_from=S.QUEUED)])
        # A dead engine may have recorded a step's cancel and died before signalling it; the
        # scheduler never cancels a step twice, so the signal is sent again here.
        stopping = [s for s, status in held.statuses.items() if status is S.CANCEL_REQUESTED]
        self._feed(self.scheduler.add_job(job.id, held.plan, held.statuses))
        for sid in stopping:
            if sid in held.workdirs:
                self.executor.cancel(held.workdirs[sid], self.config.grace)
        if job.status is S.CANCEL_REQUESTED:
            self._cancel_job(job.id)
        self._poll_job(job.id)

    def _refresh_resources(self, plan: Plan) -> None:
        """Computes and datastores registered (or changed) since the engine started count from
        the next job that uses them."""
        slots = compute_slots(self.workspace)
        for compute in sorted({step.compute for step in plan.steps.values()}):
            if compute in slots and self.scheduler.capacity.get(compute) != slots[compute]:
                self._feed(self.scheduler.set_capacity(compute, slots[compute]))
        self.starter.refresh()

    def _drop(self, job_id: int) -> None:
        self.writes.discard(job_id)
        held = self.held.pop(job_id, None)
        if held is None:
            return
        for workdir in held.workdirs.values():
            self.by_workdir.pop(str(workdir), None)
        self._feed(self.scheduler.drop_job(job_id))

    def _reload(self, job_id: int) -> None:
        if job_id not in self.held:
            return
        self._drop(job_id)
        job = self.store.jobs.get(job_id)
        if not job.status.is_terminal and job.lease_owner == self.config.owner:
            self._hold(job)

    def _hand_back(self) -> None:
        self.writes.flush()
        if self.held:
            self.store.jobs.renew_lease(self.config.owner, list(self.held), _HAND_BACK_SECONDS)

    # -- decisions ----------------------------------------------------------------------------

    def _carry_out(self, decision: Decision) -> None:
        held = self.held.get(decision.job_id)
        if held is None:
            return
        if isinstance(decision, MarkQueued):
            self._set(held, decision.steps, S.QUEUED, reason="inputs ready")
        elif isinstance(decision, Launch):
            self._start(held, decision.step)
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

    def _set(self, held: HeldJob, steps: tuple[str, ...], status: S, *, reason: str) -> None:
        moves = [
            Move(held.child_ids[s], status, reason=reason) for s in steps if s in held.child_ids
        ]
        self.writes.add(held.job.id, moves, lazy=True)
        for sid in steps:
            held.statuses[sid] = status

    def _start(self, held: HeldJob, step_id: str) -> None:
        status = self.starter.start(held, step_id)
        if status.is_terminal:
            self._feed(self.scheduler.step_ended(held.job.id, step_id, status))
        else:
            self.by_workdir[str(held.workdirs[step_id])] = (held.job.id, step_id)

    # -- progress ------------------------------------------------------------------------------

    def _on_event(self, event: ExecutorEvent) -> None:
        found = self.by_workdir.get(event.workdir) if event.event != "wake" else None
        held = self.held.get(found[0]) if found is not None else None
        if found is None or held is None:
            return
        step_id = found[1]
        if event.event == "running":
            self._for_job(held.job.id, partial(self._running, held, step_id, event.at))
        elif event.event == "ended":
            self._for_job(held.job.id, partial(self._poll_step, held, step_id))

    def _running(self, held: HeldJob, step_id: str, epoch: float) -> None:
        moves = moves_to_running(held.child_ids[step_id], held.statuses[step_id], epoch)
        if moves:
            self.writes.add(held.job.id, moves, lazy=True)
            held.statuses[step_id] = S.RUNNING
            self.scheduler.step_started(held.job.id, step_id, S.RUNNING)

    def _poll_job(self, job_id: int) -> None:
        held = self.held.get(job_id)
        if held is None:
            return
        for step_id in list(held.workdirs):
            if held.statuses.get(step_id) in ACTIVE_STATUSES:
                self._poll_step(held, step_id)

    def _poll_step(self, held: HeldJob, step_id: str) -> None:
        status = held.statuses.get(step_id)
        workdir = held.workdirs.get(step_id)
        if status not in ACTIVE_STATUSES or workdir is None:
            return
        found = self.executor.poll(workdir)
        if isinstance(found, Alive):
            if status is S.PREPARING:  # its `running` event may have gone to a dead engine
                started = launcher_mark(workdir, "running")
                if started is not None:
                    self._running(held, step_id, started)
            return
        if isinstance(found, StepRecord):
            self._ended(held, step_id, found)
            return
        if status is S.PREPARING and not (workdir / EVENTS).exists() and (workdir / SPEC).exists():
            # Handed to the executor by an engine that died before the launcher started; or a
            # launcher that cannot start at all, which is tried a few times, then fails the step.
            # Counted by folder, not in `held`: a job reloaded after an error keeps its count.
            tries = self._relaunches.get(str(workdir), 0)
            if tries < MAX_RELAUNCHES:
                self._relaunches[str(workdir)] = tries + 1
                try:
                    self.executor.launch(LaunchSpec.from_json((workdir / SPEC).read_text()))
                except Exception:
                    log.exception("launching step %s again failed", step_id)
                return
            lost = StepRecord(
                "Failed",
                "launch_error",
                f"the step's launcher ended before starting the step, {tries + 1} times; "
                "the server log says why",
            )
            self._ended(held, step_id, lost)
            return
        lost = StepRecord("Failed", "lost", "the step's launcher ended without a record")
        self._ended(held, step_id, lost)
        # Whatever the dead launcher started may still run: stop it (TERM, KILL after grace).
        self.executor.cancel(workdir, self.config.grace)

    def _ended(self, held: HeldJob, step_id: str, record: StepRecord) -> None:
        child = held.child_ids[step_id]
        moves = moves_to_end(child, held.statuses[step_id], record)
        outcome = outcome_properties(record)
        self.writes.add(held.job.id, moves, {child: outcome}, lazy=True)
        final = S(record.status)
        held.statuses[step_id] = final
        if final is S.COMPLETED:
            held.outputs[step_id] = outcome["outputs"]
        self._feed(self.scheduler.step_ended(held.job.id, step_id, final))

    # -- cancel and finish ---------------------------------------------------------------------

    def _take_cancels(self) -> None:
        while True:
            try:
                job_id = self._cancels.get_nowait()
            except queue.Empty:
                return
            self._for_job(job_id, partial(self._cancel_job, job_id))

    def _check_store_cancels(self) -> None:
        for job_id in list(self.held):
            if self.store.jobs.get(job_id).status is S.CANCEL_REQUESTED:
                self._for_job(job_id, partial(self._cancel_job, job_id))

    def _cancel_job(self, job_id: int) -> None:
        if job_id not in self.held:
            return
        job = self.store.jobs.get(job_id)
        if job.status is S.RUNNING or job.status is S.QUEUED:
            self._apply(job_id, [Move(job_id, S.CANCEL_REQUESTED, reason="cancel requested")])
        self._feed(self.scheduler.cancel_job(job_id))

    def _finish(self, held: HeldJob, decision: FinishJob) -> None:
        self.writes.flush()  # the root step's outcome must be in the store to be read back
        detail = None
        if decision.root_failure is not None:
            root = self.store.jobs.get(held.child_ids[decision.root_failure])
            detail = root_failure_detail(decision.root_failure, root)
        current = self.store.jobs.get(held.job.id).status
        moves = []
        if current is S.QUEUED:
            moves.append(Move(held.job.id, S.RUNNING, reason="claimed"))
        moves.append(Move(held.job.id, decision.status, reason="all steps ended", detail=detail))
        self.writes.add(
            held.job.id, moves, {held.job.id: {"root_failure": detail}} if detail else None
        )
        self.scheduler.forget(held.job.id)
        for workdir in held.workdirs.values():
            self.by_workdir.pop(str(workdir), None)
            self._relaunches.pop(str(workdir), None)
        self.held.pop(held.job.id, None)

    def _apply(self, job_id: int, moves: list[Move]) -> None:
        self.writes.add(job_id, moves)
