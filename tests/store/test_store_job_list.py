"""Listing jobs: filters, keyset pagination, and speed with 100,000 jobs."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from cairn.errors import UsageError
from cairn.store import JobStatus, NewJob, Store

S = JobStatus


def _all_pages(store: Store, limit: int, **filters: Any) -> list[str]:
    names: list[str] = []
    cursor = None
    while True:
        page = store.jobs.list("default", limit=limit, cursor=cursor, **filters)
        assert len(page.items) <= limit
        names.extend(job.name for job in page.items)
        if page.next_cursor is None:
            return names
        cursor = page.next_cursor


def test_filters_and_pages(store: Store) -> None:
    made = []
    for i in range(23):
        new = NewJob(
            type="pipeline",
            name=f"job_{i:02d}",
            experiment_name="even" if i % 2 == 0 else "odd",
            tags={"team": "a" if i % 3 == 0 else "b", **({"rare": "yes"} if i == 7 else {})},
            status=S.QUEUED,
        )
        made.append(store.jobs.create("default", new, actor="ann"))
    for job in made[:5]:
        store.jobs.transition(job.id, S.CANCELED, actor="engine")
    store.jobs.set_archived(made[0].id, True, actor="ann")
    store.jobs.create_children(made[3].id, [NewJob(type="command", node_name="n")], actor="ann")
    newest_first = [job.name for job in reversed(made)]

    assert _all_pages(store, 5) == newest_first[:-1]  # archived job_00 hidden
    assert _all_pages(store, 100, archived=True) == ["job_00"]
    assert _all_pages(store, 4, archived=None) == newest_first
    assert _all_pages(store, 3, status=S.CANCELED) == ["job_04", "job_03", "job_02", "job_01"]
    assert _all_pages(store, 3, status=[S.QUEUED, S.CANCELED], experiment_name="odd") == [
        name for name in newest_first if int(name[-2:]) % 2 == 1
    ]
    assert _all_pages(store, 2, tags={"rare": None}) == ["job_07"]
    assert _all_pages(store, 2, tags={"team": "a", "rare": None}) == []
    assert _all_pages(store, 50, tags={"team": "a"}) == [
        name for name in newest_first if int(name[-2:]) % 3 == 0 and name != "job_00"
    ]
    [child] = store.jobs.list("default", parent_id=made[3].id).items
    assert child.node_name == "n"
    assert len(store.jobs.list("default", include_children=True, limit=100).items) == 23
    with pytest.raises(UsageError, match="invalid page cursor"):
        store.jobs.list("default", cursor="nonsense")
    with pytest.raises(UsageError, match="page size"):
        store.jobs.list("default", limit=0)


JOBS = 100_000


def _bulk_jobs(engine: Engine) -> None:
    """100,000 top-level jobs (ids 1…100,000), tags and one parent's children, generated in SQL.

    1 % Failed, 4 % Running, the rest Completed; 50 experiments; every 20th archived; a `team`
    tag on every 10th job and a `rare` tag on every 1,000th. Generating the rows inside the
    database keeps this test at about a second instead of the ten a client-side bulk insert takes.
    """
    if engine.dialect.name == "postgresql":
        series, ts, json = (
            "FROM generate_series(1, {n}) AS seq(i)",
            "'2030-01-01 00:00:00+00'",
            "CAST('{{}}' AS JSONB)",
        )
        prefix = ""
    else:
        series, ts, json = "FROM seq", "'2030-01-01 00:00:00.000000'", "'{{}}'"
        prefix = (
            "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < {n}) "
        )
    columns = (
        "workspace_id, name, parent_id, type, status, status_at, display_name, experiment_name, "
        "properties, created_by, created_at, source, archived"
    )
    status = (
        "CASE WHEN i % 100 = 0 THEN 'Failed' WHEN i % 100 > 95 THEN 'Running' ELSE 'Completed' END"
    )
    statements = [
        f"INSERT INTO jobs ({columns}) SELECT 1, 'bulk_' || i, NULL, 'pipeline', {status}, {ts}, "
        f"'bulk', 'exp_' || (i % 50), {json}, 'bench', {ts}, {json}, (i % 20 = 1) {series}",
        f"INSERT INTO jobs ({columns}) SELECT 1, 'child_' || i, 500, 'command', 'Completed', {ts}, "
        f"'child', 'exp_0', {json}, 'bench', {ts}, {json}, (1 = 0) {series}",
        f"INSERT INTO job_tags (job_id, key, value) SELECT i, 'team', CAST(i % 7 AS TEXT) {series} "
        "WHERE i % 10 = 0",
        f"INSERT INTO job_tags (job_id, key, value) SELECT i, 'rare', 'yes' {series} "
        "WHERE i % 1000 = 0",
    ]
    counts = [JOBS, 30, JOBS, JOBS]
    with engine.begin() as conn:
        for statement, n in zip(statements, counts, strict=True):
            conn.execute(text((prefix + statement).format(n=n)))
        conn.execute(text("ANALYZE"))


@pytest.mark.slow
def test_listing_stays_fast_with_100k_jobs(backend: Engine, store: Store) -> None:
    began = time.perf_counter()
    _bulk_jobs(backend)
    print(f"bulk insert: {time.perf_counter() - began:.1f} s")
    queries: dict[str, dict[str, Any]] = {
        "first page": {},
        "deep page": {"cursor": f"j{JOBS // 2}"},
        "last page": {"cursor": "j60"},
        "status Failed": {"status": S.FAILED},
        "experiment": {"experiment_name": "exp_7"},
        "rare tag": {"tags": {"rare": "yes"}},
        "common tag": {"tags": {"team": "3"}},
        "children": {"parent_id": 500},
        "archived": {"archived": True},
    }
    timings = {}
    for label, filters in queries.items():
        best = float("inf")
        for _ in range(3):
            began = time.perf_counter()
            page = store.jobs.list("default", limit=50, **filters)
            best = min(best, time.perf_counter() - began)
        assert page.items, label
        timings[label] = best
    print({label: f"{seconds * 1000:.1f} ms" for label, seconds in timings.items()})
    for label in ("first page", "deep page", "status Failed", "experiment", "children"):
        plan = _plan_of_list(backend, store, queries[label])
        assert not any(_is_full_scan(backend, line) for line in plan), (label, plan)
    slow = {label: t for label, t in timings.items() if t > 0.25}
    assert slow == {}, f"pages slower than 250 ms with {JOBS} jobs: {slow}"


def _plan_of_list(engine: Engine, store: Store, filters: dict[str, Any]) -> list[str]:
    """The database's plan for the SELECT that `jobs.list(**filters)` sends."""
    captured: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM jobs" in statement:
            captured.append((statement, params))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        store.jobs.list("default", limit=50, **filters)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    statement, params = captured[0]
    explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(explain + statement, params).all()
    return [str(row[-1]) for row in rows]


def _is_full_scan(engine: Engine, line: str) -> bool:
    if engine.dialect.name == "sqlite":
        return line.startswith("SCAN jobs") and "INDEX" not in line
    return "Seq Scan on jobs" in line
