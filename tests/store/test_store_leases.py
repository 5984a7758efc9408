"""Contract tests for engine leases: claim, renew, release, adopt — and no double claims."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from cairn.errors import UsageError
from cairn.store import JobStatus, NewJob, Store, make_engine, open_store

S = JobStatus


def _queued(store: Store, count: int) -> list[int]:
    new = NewJob(type="pipeline", status=S.QUEUED)
    return [store.jobs.create("default", new, actor="ann").id for _ in range(count)]


def test_claim_takes_oldest_queued_top_level_jobs_up_to_limit(store: Store, clock) -> None:
    ids = _queued(store, 4)
    store.jobs.create("default", NewJob(type="pipeline"), actor="ann")  # NotStarted: not claimable
    child = store.jobs.create_children(
        ids[0], [NewJob(type="command", node_name="a", status=S.QUEUED)], actor="ann"
    )[0]
    claimed = store.jobs.claim_queued("engine-a", lease_seconds=30, limit=3)
    assert [job.id for job in claimed] == ids[:3]
    assert all(job.lease_owner == "engine-a" for job in claimed)
    assert claimed[0].lease_expires_at == claimed[0].heartbeat_at + timedelta(seconds=30)
    rest = store.jobs.claim_queued("engine-b", lease_seconds=30, limit=10)
    assert [job.id for job in rest] == [ids[3]]
    assert store.jobs.claim_queued("engine-b", lease_seconds=30, limit=10) == []
    children = store.jobs.claim_queued("engine-b", 30, limit=10, top_level_only=False)
    assert [job.id for job in children] == [child.id]


def test_a_held_lease_is_not_claimed_until_it_expires(store: Store, clock) -> None:
    [job_id] = _queued(store, 1)
    store.jobs.claim_queued("engine-a", lease_seconds=30)
    clock.advance(29)
    assert store.jobs.claim_queued("engine-b", lease_seconds=30) == []
    clock.advance(2)
    [taken] = store.jobs.claim_queued("engine-b", lease_seconds=30)
    assert (taken.id, taken.lease_owner) == (job_id, "engine-b")


def test_renew_extends_only_leases_still_held(store: Store, clock) -> None:
    first, second = _queued(store, 2)
    store.jobs.claim_queued("engine-a", lease_seconds=10, limit=2)
    clock.advance(5)
    assert store.jobs.renew_lease("engine-a", [first, second], lease_seconds=10) == [first, second]
    renewed = store.jobs.get(first)
    assert renewed.lease_expires_at == renewed.heartbeat_at + timedelta(seconds=10)
    clock.advance(11)
    [stolen] = store.jobs.claim_queued("engine-b", lease_seconds=10)
    assert stolen.id == first
    # engine-a lost `first` but still holds `second` (expired, yet nobody took it).
    assert store.jobs.renew_lease("engine-a", [first, second], lease_seconds=10) == [second]
    assert store.jobs.get(first).lease_owner == "engine-b"
    assert store.jobs.renew_lease("engine-a", [], lease_seconds=10) == []


def test_release_frees_a_job_for_others(store: Store) -> None:
    [job_id] = _queued(store, 1)
    store.jobs.claim_queued("engine-a", lease_seconds=60)
    assert store.jobs.release_lease("engine-b", [job_id]) == []
    assert store.jobs.release_lease("engine-a", [job_id]) == [job_id]
    assert [job.id for job in store.jobs.claim_queued("engine-b", 60)] == [job_id]


def test_adopt_takes_only_expired_in_flight_jobs(store: Store, clock) -> None:
    running, queued, done, live = _queued(store, 4)
    store.jobs.claim_queued("dead-engine", lease_seconds=10, limit=3)
    store.jobs.transition(running, S.PREPARING, actor="dead-engine")
    store.jobs.transition(running, S.RUNNING, actor="dead-engine")
    store.jobs.transition(done, S.CANCELED, actor="dead-engine")
    assert store.jobs.adopt_expired("new-engine", lease_seconds=10) == []  # leases still live
    clock.advance(5)
    store.jobs.claim_queued("live-engine", lease_seconds=100)  # takes `live`
    store.jobs.transition(live, S.PREPARING, actor="live-engine")
    clock.advance(6)
    adopted = store.jobs.adopt_expired("new-engine", lease_seconds=10)
    assert [(job.id, job.lease_owner, job.status) for job in adopted] == [
        (running, "new-engine", S.RUNNING)
    ]
    assert store.jobs.get(queued).lease_owner == "dead-engine"  # Queued: claim_queued's business
    assert store.jobs.get(live).lease_owner == "live-engine"
    entry = store.audit.list(action="job.adopt").items[0]
    assert entry.detail["previous_owner"] == "dead-engine"
    assert entry.actor == "new-engine"


def test_lease_arguments_are_checked(store: Store) -> None:
    with pytest.raises(UsageError, match="owner"):
        store.jobs.claim_queued("", lease_seconds=10)
    with pytest.raises(UsageError, match="positive"):
        store.jobs.claim_queued("engine", lease_seconds=0)


def test_concurrent_claimers_never_share_a_job(store: Store) -> None:
    ids = set(_queued(store, 120))
    claims: dict[str, list[int]] = {f"engine-{i}": [] for i in range(6)}
    errors: list[BaseException] = []
    start = threading.Barrier(len(claims))
    first_round = threading.Barrier(len(claims))

    def claimer(owner: str) -> None:
        try:
            start.wait()
            first = True
            while batch := store.jobs.claim_queued(owner, lease_seconds=300, limit=3):
                claims[owner].extend(job.id for job in batch)
                if first:  # every claimer races once before any goes on: they really interleave
                    first_round.wait(timeout=30)
                    first = False
                time.sleep(0.001)  # an engine does other work between claims; let others in
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=claimer, args=(owner,)) for owner in claims]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    counted = Counter(job_id for taken in claims.values() for job_id in taken)
    assert set(counted) == ids
    assert max(counted.values()) == 1
    assert all(claims.values())  # each claimer won a batch in the first, concurrent round
    for owner, taken in claims.items():
        assert {store.jobs.get(job_id).lease_owner for job_id in taken} <= {owner}


def test_postgresql_claim_skips_rows_locked_by_another_claimer(
    pg_engine: Engine, pg_database, clock
) -> None:
    # lock_timeout turns "waited for the locked row" into an error instead of a hang.
    options = f"{pg_database.connect_args['options']} -clock_timeout=5000"
    store = open_store(
        make_engine(pg_database.url, connect_args={"options": options}), migrate=False, clock=clock
    )
    try:
        first, second = _queued(store, 2)
        with pg_engine.connect() as other, other.begin():
            other.exec_driver_sql(f"SELECT id FROM jobs WHERE id = {first} FOR UPDATE")
            claimed = store.jobs.claim_queued("engine-b", lease_seconds=30, limit=2)
        assert [job.id for job in claimed] == [second]
        assert [job.id for job in store.jobs.claim_queued("engine-c", 30, limit=2)] == [first]
    finally:
        store.close()
