"""The engine's decisions, as a pure state machine: no store, no processes, no clock reads.

It is fed events — a job arrives (possibly half-run, after a restart), a step was launched or
reused, a step ended, a job is cancelled — and answers with decisions for the loop to carry out:
`Launch`, `Cancel`, `Skip`, `MarkQueued`, `FinishJob`. It owns the slot accounting of every
compute (a step with `instance_count: n` takes n of the compute's `max_instances` slots; steps
wait in `Queued` for slots, first come first served across jobs) and the failure rules:

- `continue_on_step_failure: true` — independent branches go on; dependents of a failed step are
  skipped (`Canceled`, naming the failed step);
- `false` — on the first failure, running steps are cancelled and the rest skipped.

A job ends when every step is terminal: `Canceled` if it was cancelled, else `Failed` if any step
failed (the first one is the root failure), else `Completed`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cairn.store.status import JobStatus

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from cairn.plan.model import Plan

S = JobStatus
_ACTIVE = frozenset({S.PREPARING, S.RUNNING, S.FINALIZING, S.CANCEL_REQUESTED})
_WAITING = frozenset({S.NOT_STARTED, S.QUEUED})


@dataclass(frozen=True)
class MarkQueued:
    """Steps whose inputs are all ready: NotStarted → Queued (they now wait for slots)."""

    job_id: int
    steps: tuple[str, ...]


@dataclass(frozen=True)
class Launch:
    """Run the step (its slots are reserved); the loop answers `launched`, `reused` or `ended`."""

    job_id: int
    step: str


@dataclass(frozen=True)
class Cancel:
    """Stop a running step."""

    job_id: int
    step: str


@dataclass(frozen=True)
class Skip:
    """Mark a step that never ran as `status` (Canceled, or Failed when it can never run)."""

    job_id: int
    step: str
    status: JobStatus
    reason: str


@dataclass(frozen=True)
class FinishJob:
    job_id: int
    status: JobStatus
    root_failure: str | None


Decision = MarkQueued | Launch | Cancel | Skip | FinishJob


@dataclass
class _Step:
    id: str
    compute: str
    slots: int
    deps: frozenset[str]
    dependents: list[str]
    status: JobStatus = S.NOT_STARTED
    pending_deps: int = 0
    holds_slots: bool = False


@dataclass
class _Job:
    id: int
    seq: int
    continue_on_failure: bool
    steps: dict[str, _Step]
    order: list[str]
    cancel_requested: bool = False
    stopping: bool = False
    root_failure: str | None = None
    open_steps: int = 0
    finished: bool = False


@dataclass
class Scheduler:
    """Every job the engine holds, and the slots of every compute."""

    capacity: dict[str, int] = field(default_factory=dict)
    default_capacity: int = 1
    _in_use: dict[str, int] = field(default_factory=dict)
    _queues: dict[str, deque[tuple[int, str]]] = field(default_factory=dict)
    _jobs: dict[int, _Job] = field(default_factory=dict)
    _seq: int = 0

    # -- setup --------------------------------------------------------------------------------

    def set_capacity(self, compute: str, slots: int) -> list[Decision]:
        self.capacity[compute] = max(0, slots)
        return self._fill(compute)

    def add_job(
        self, job_id: int, plan: Plan, statuses: Mapping[str, JobStatus] | None = None
    ) -> list[Decision]:
        """Take a job, fresh or resumed: `statuses` are the steps' current statuses (steps
        that are active keep their slots; the loop re-attaches to them)."""
        statuses = statuses or {}
        self._seq += 1
        dependents: dict[str, list[str]] = {sid: [] for sid in plan.steps}
        for step in plan.steps.values():
            for dep in step.depends_on:
                dependents[dep].append(step.id)
        steps = {
            sid: _Step(
                sid,
                step.compute,
                max(1, step.instance_count),
                frozenset(step.depends_on),
                dependents[sid],
                statuses.get(sid, S.NOT_STARTED),
            )
            for sid, step in plan.steps.items()
        }
        job = _Job(
            job_id, self._seq, plan.settings.continue_on_step_failure, steps, list(plan.steps)
        )
        self._jobs[job_id] = job
        decisions: list[Decision] = []
        for run in steps.values():
            run.pending_deps = sum(1 for d in run.deps if steps[d].status is not S.COMPLETED)
            if run.status in _ACTIVE:
                run.holds_slots = True
                self._in_use[run.compute] = self._in_use.get(run.compute, 0) + run.slots
            if not run.status.is_terminal:
                job.open_steps += 1
            if run.status is S.FAILED and job.root_failure is None:
                job.root_failure = run.id
        # Steps whose upstream failed or was canceled while the engine was away are decided now.
        for run in [r for r in steps.values() if r.status in (S.FAILED, S.CANCELED)]:
            decisions.extend(self._after_failure(job, run))
        for sid in job.order:
            if steps[sid].status is S.QUEUED:
                self._queues.setdefault(steps[sid].compute, deque()).append((job.id, sid))
        ready = [r.id for r in steps.values() if r.status is S.NOT_STARTED and r.pending_deps == 0]
        decisions.extend(self._queue(job, ready))
        decisions.extend(self._fill_all())
        decisions.extend(self._maybe_finish(job))
        return decisions

    # -- events -------------------------------------------------------------------------------

    def step_started(self, job_id: int, step_id: str, status: JobStatus) -> None:
        """The loop moved a launched step on (Preparing → Running → Finalizing)."""
        job = self._jobs.get(job_id)
        step = job.steps.get(step_id) if job is not None else None
        if (
            step is not None
            and not step.status.is_terminal
            and step.status is not S.CANCEL_REQUESTED
        ):
            step.status = status

    def step_ended(self, job_id: int, step_id: str, status: JobStatus) -> list[Decision]:
        """A step reached a terminal status (ran, was reused, failed, or was cancelled)."""
        job = self._jobs.get(job_id)
        if job is None or step_id not in job.steps:
            return []
        step = job.steps[step_id]
        if step.status.is_terminal:
            return []
        step.status = status
        job.open_steps -= 1
        decisions: list[Decision] = []
        if status is S.COMPLETED:
            ready = []
            for dependent in step.dependents:
                child = job.steps[dependent]
                child.pending_deps -= 1
                if child.pending_deps == 0 and child.status is S.NOT_STARTED and not job.stopping:
                    ready.append(dependent)
            decisions.extend(self._queue(job, ready))
        else:
            if status is S.FAILED and job.root_failure is None:
                job.root_failure = step_id
            decisions.extend(self._after_failure(job, step))
        decisions.extend(self._release(step))
        decisions.extend(self._fill_all())
        decisions.extend(self._maybe_finish(job))
        return decisions

    def cancel_job(self, job_id: int) -> list[Decision]:
        job = self._jobs.get(job_id)
        if job is None or job.cancel_requested:
            return []
        job.cancel_requested = True
        decisions = self._stop(job, "the job was canceled")
        decisions.extend(self._maybe_finish(job))
        return decisions

    def forget(self, job_id: int) -> None:
        """Drop a finished job (the loop calls this once the job's end is recorded)."""
        self._jobs.pop(job_id, None)

    def drop_job(self, job_id: int) -> list[Decision]:
        """Let go of an unfinished job that another engine took over: nothing more is decided
        for it, and the slots its active steps held here go to the steps waiting for them (the
        other engine counts those steps against its own slots)."""
        job = self._jobs.pop(job_id, None)
        if job is None:
            return []
        freed = [step for step in job.steps.values() if step.holds_slots]
        for step in freed:
            step.holds_slots = False
            self._in_use[step.compute] = max(0, self._in_use.get(step.compute, 0) - step.slots)
        decisions: list[Decision] = []
        for compute in sorted({step.compute for step in freed}):
            decisions.extend(self._fill(compute))
        return decisions

    def active_steps(self, job_id: int) -> list[str]:
        job = self._jobs.get(job_id)
        return [] if job is None else [s.id for s in job.steps.values() if s.status in _ACTIVE]

    def status_of(self, job_id: int, step_id: str) -> JobStatus | None:
        job = self._jobs.get(job_id)
        return None if job is None or step_id not in job.steps else job.steps[step_id].status

    def holds(self, job_id: int) -> bool:
        return job_id in self._jobs

    # -- rules --------------------------------------------------------------------------------

    def _after_failure(self, job: _Job, step: _Step) -> list[Decision]:
        decisions: list[Decision] = []
        if step.status is S.FAILED and not job.continue_on_failure and not job.stopping:
            decisions.extend(self._stop(job, f"step `{step.id}` failed"))
        reason = f"upstream step `{step.id}` " + (
            "failed" if step.status is S.FAILED else "was canceled"
        )
        decisions.extend(self._skip_dependents(job, step, reason))
        return decisions

    def _skip_dependents(self, job: _Job, step: _Step, reason: str) -> list[Decision]:
        decisions: list[Decision] = []
        stack = list(step.dependents)
        while stack:
            child = job.steps[stack.pop()]
            if child.status in _WAITING:
                decisions.extend(self._skip(job, child, S.CANCELED, reason))
                stack.extend(child.dependents)
        return decisions

    def _stop(self, job: _Job, reason: str) -> list[Decision]:
        job.stopping = True
        decisions: list[Decision] = []
        for sid in job.order:
            step = job.steps[sid]
            if step.status in _WAITING:
                decisions.extend(self._skip(job, step, S.CANCELED, reason))
            elif step.status in _ACTIVE and step.status is not S.CANCEL_REQUESTED:
                step.status = S.CANCEL_REQUESTED
                decisions.append(Cancel(job.id, sid))
        return decisions

    def _skip(self, job: _Job, step: _Step, status: JobStatus, reason: str) -> list[Decision]:
        if step.status.is_terminal:
            return []
        # A skipped step may still sit in its compute's queue; `_fill` drops it when it gets
        # there (it is no longer Queued), which keeps skipping O(1).
        step.status = status
        job.open_steps -= 1
        if status is S.FAILED and job.root_failure is None:
            job.root_failure = step.id
        return [Skip(job.id, step.id, status, reason)]

    def _queue(self, job: _Job, step_ids: Iterable[str]) -> list[Decision]:
        queued = []
        for sid in step_ids:
            step = job.steps[sid]
            step.status = S.QUEUED
            self._queues.setdefault(step.compute, deque()).append((job.id, sid))
            queued.append(sid)
        return [MarkQueued(job.id, tuple(queued))] if queued else []

    def _fill_all(self) -> list[Decision]:
        decisions: list[Decision] = []
        for compute in list(self._queues):
            decisions.extend(self._fill(compute))
        return decisions

    def _fill(self, compute: str) -> list[Decision]:
        queue = self._queues.get(compute)
        decisions: list[Decision] = []
        capacity = self.capacity.get(compute, self.default_capacity)
        while queue:
            job_id, sid = queue[0]
            job = self._jobs.get(job_id)
            if job is None or job.steps[sid].status is not S.QUEUED:
                queue.popleft()
                continue
            step = job.steps[sid]
            if step.slots > capacity:
                queue.popleft()
                decisions.extend(
                    self._skip(
                        job,
                        step,
                        S.FAILED,
                        f"needs {step.slots} instances; compute `{compute}` has {capacity}",
                    )
                )
                decisions.extend(self._after_failure(job, step))
                decisions.extend(self._maybe_finish(job))
                continue
            if self._in_use.get(compute, 0) + step.slots > capacity:
                break
            queue.popleft()
            self._in_use[compute] = self._in_use.get(compute, 0) + step.slots
            step.holds_slots = True
            step.status = S.PREPARING
            decisions.append(Launch(job_id, sid))
        return decisions

    def _release(self, step: _Step) -> list[Decision]:
        if not step.holds_slots:
            return []
        step.holds_slots = False
        self._in_use[step.compute] = max(0, self._in_use.get(step.compute, 0) - step.slots)
        return self._fill(step.compute)

    def _maybe_finish(self, job: _Job) -> list[Decision]:
        if job.open_steps > 0 or job.finished:
            return []
        job.finished = True
        statuses = {s.status for s in job.steps.values()}
        if job.cancel_requested:
            status = S.CANCELED
        elif S.FAILED in statuses:
            status = S.FAILED
        elif S.CANCELED in statuses:
            status = S.CANCELED
        else:
            status = S.COMPLETED
        return [FinishJob(job.id, status, job.root_failure)]
