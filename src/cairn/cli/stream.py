"""`job stream` (and `job create --stream`): follow a job's logs with a step prefix, keep a live
status line on a terminal, and end with a summary — status and duration of every step, and for
a failed job the root failing step with its last log lines. Ctrl-C stops following only."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from cairn.client.client import Client

_STYLES = {"Completed": "green", "Failed": "red", "Canceled": "yellow", "Running": "cyan"}


def follow(api: Client, name: str) -> int:
    """Follow `name` to its end; returns the exit status (0 only when it completed)."""
    from rich.console import Console

    # On a pipe, tables keep one row per line (for grep) rather than wrapping at 80 columns.
    out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    live = _Status(err) if err.is_terminal else None
    try:
        for event, data in api.follow_job(name):
            if event == "log":
                step = data.get("step", "")
                out.print(f"[{step}] " + str(data.get("line", "")), markup=False)
            elif event == "status" and live is not None:
                live.update(data.get("steps", {}), data.get("job", name))
            elif event == "end":
                break
    except KeyboardInterrupt:
        if live is not None:
            live.stop()
        err.print(
            f"stopped following {name}; the job goes on. "
            f"To cancel it: cairn job cancel --name {name}",
            markup=False,
        )
        return 130
    finally:
        if live is not None:
            live.stop()
    job = api.show_job(name)
    _summary(out, job)
    return 0 if job.get("status") == "Completed" else 1


class _Status:
    """One line on stderr: how many steps are in each status."""

    def __init__(self, console: Console) -> None:
        from rich.live import Live

        self.live = Live(console=console, refresh_per_second=8, transient=True)
        self.live.start()

    def update(self, steps: dict[str, str], job: str) -> None:
        counts: dict[str, int] = {}
        for step, status in steps.items():
            if step != job:
                counts[status] = counts.get(status, 0) + 1
        text = f"{job}: {steps.get(job, '?')} — " + ", ".join(
            f"{n} {status}" for status, n in sorted(counts.items())
        )
        self.live.update(text)

    def stop(self) -> None:
        self.live.stop()


def _summary(out: Console, job: dict[str, Any]) -> None:
    from rich.table import Table

    status = str(job.get("status"))
    total = (job.get("timing") or {}).get("total_s")
    took = f" in {total:.1f} s" if isinstance(total, int | float) else ""
    out.print(
        f"\n{job.get('name')}: {status}{took}", style=_STYLES.get(status, "bold"), markup=False
    )
    steps = job.get("jobs") or {}
    if steps:
        table = Table(box=None, header_style="bold", pad_edge=False)
        for column in ("step", "status", "queued", "running"):
            table.add_column(column, no_wrap=True)
        table.add_column("why")
        for step_id, step in steps.items():
            timing = step.get("timing") or {}
            note = str(step.get("why") or step.get("reason") or "")
            note = note.removesuffix(f"/{step_id}")  # `reused from JOB`: the row names the step
            table.add_row(
                step_id,
                str(step.get("status")),
                _seconds(timing.get("queued_s")),
                _seconds(timing.get("running_s")),
                note,
            )
        out.print(table)
    root = job.get("root_failure")
    if root:
        out.print(
            f"root failure: step `{root.get('root_failure')}` ({root.get('reason') or 'failed'}): "
            f"{root.get('message') or ''}",
            style="red",
            markup=False,
        )
        for line in root.get("log_tail") or []:
            out.print("  " + str(line), markup=False)
    sys.stdout.flush()


def _seconds(value: Any) -> str:
    return f"{value:.2f}s" if isinstance(value, int | float) else "-"
