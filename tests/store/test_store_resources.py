"""Contract tests for workspaces, computes, datastores, metrics and the audit log."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from cairn.errors import Conflict, NotFound, UsageError
from cairn.store import MetricPoint, NewJob, Store


def test_workspaces(store: Store) -> None:
    assert [w.name for w in store.workspaces.list()] == ["default"]
    made = store.workspaces.create("team-a", description="hydrology", actor="ann")
    assert store.workspaces.get("team-a") == made
    assert [w.name for w in store.workspaces.list()] == ["default", "team-a"]
    with pytest.raises(Conflict, match="workspace team-a already exists"):
        store.workspaces.create("team-a", actor="ann")
    with pytest.raises(UsageError):
        store.workspaces.create("bad name", actor="ann")
    with pytest.raises(NotFound, match="no workspace named nope; workspaces: default, team-a"):
        store.workspaces.get("nope")


def test_computes(store: Store) -> None:
    made = store.computes.create(
        "default", "cpu-cluster", "amlcompute", max_instances=4, spec={"size": "D4"}, actor="ann"
    )
    assert (made.max_instances, made.spec, made.created_by) == (4, {"size": "D4"}, "ann")
    assert store.computes.get("default", "cpu-cluster") == made
    with pytest.raises(Conflict, match="compute cpu-cluster already exists"):
        store.computes.create("default", "cpu-cluster", "amlcompute", actor="ann")
    changed = store.computes.update("default", "cpu-cluster", max_instances=8, actor="bob")
    assert (changed.max_instances, changed.spec) == (8, {"size": "D4"})
    store.computes.create("default", "ray-gpu", "ray", spec={"address": "ray://h:10001"}, actor="a")
    assert [c.name for c in store.computes.list("default")] == ["cpu-cluster", "ray-gpu"]
    with pytest.raises(NotFound, match="no compute named cpu-clustr; similar names: cpu-cluster"):
        store.computes.get("default", "cpu-clustr")
    with pytest.raises(UsageError, match="max_instances"):
        store.computes.update("default", "ray-gpu", max_instances=0, actor="bob")
    store.computes.delete("default", "ray-gpu", actor="bob")
    assert [c.name for c in store.computes.list("default")] == ["cpu-cluster"]


def test_datastores_keep_secrets_opaque_and_out_of_the_audit_log(store: Store) -> None:
    blob = b"\x00ciphertext\xff" * 8
    made = store.datastores.create(
        "default",
        "blobstore",
        "azure_blob",
        spec={"account_name": "acct", "container_name": "c"},
        secret_blob=blob,
        is_default=True,
        actor="ann",
    )
    assert made.secret_blob == blob
    assert "ciphertext" not in repr(made)
    assert store.datastores.get_default("default").name == "blobstore"
    store.datastores.create("default", "local", "local", spec={"path": "/data"}, actor="ann")
    store.datastores.set_default("default", "local", actor="ann")
    assert store.datastores.get_default("default").name == "local"
    assert not store.datastores.get("default", "blobstore").is_default
    cleared = store.datastores.update("default", "blobstore", clear_secret=True, actor="ann")
    assert cleared.secret_blob is None
    assert cleared.spec == {"account_name": "acct", "container_name": "c"}
    for entry in store.audit.list(target_kind="datastore").items:
        assert "ciphertext" not in repr(entry.detail)
    with pytest.raises(UsageError):
        store.datastores.update("default", "local", secret_blob=b"x", clear_secret=True, actor="a")
    store.datastores.delete("default", "local", actor="ann")
    with pytest.raises(NotFound, match="has no default datastore"):
        store.datastores.get_default("default")
    assert [d.name for d in store.datastores.list("default")] == ["blobstore"]


def test_metrics_batch_insert_history_and_latest(store: Store) -> None:
    job = store.jobs.create("default", NewJob(type="command"), actor="ann")
    at = datetime(2031, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
    points = [MetricPoint("loss", 1.0 / (step + 1), step) for step in range(500)]
    points.append(MetricPoint("accuracy", 0.9, 3, timestamp=at))
    points.append(MetricPoint("accuracy", 0.8, 1))
    assert store.metrics.log(job.id, points, actor="job") == 502
    history = store.metrics.history(job.id, "loss")
    assert [m.step for m in history] == list(range(500))
    assert history[-1].value == pytest.approx(1 / 500)
    latest = store.metrics.latest(job.id)
    assert sorted(latest) == ["accuracy", "loss"]
    assert (latest["accuracy"].value, latest["accuracy"].timestamp) == (0.9, at)
    assert latest["loss"].step == 499
    assert store.metrics.keys(job.id) == ["accuracy", "loss"]
    [entry] = store.audit.list(action="metrics.log").items
    assert entry.detail["points"] == 502
    with pytest.raises(UsageError, match="finite"):
        store.metrics.log(job.id, [MetricPoint("loss", math.nan)], actor="job")
    with pytest.raises(NotFound):
        store.metrics.log(424242, [MetricPoint("loss", 1.0)], actor="job")
    assert store.metrics.log(job.id, [], actor="job") == 0


def test_audit_log_pages_newest_first(store: Store) -> None:
    for name in ("c1", "c2", "c3", "c4", "c5"):
        store.computes.create("default", name, "amlcompute", actor=f"user-{name}")
    first = store.audit.list(target_kind="compute", limit=2)
    second = store.audit.list(target_kind="compute", limit=2, cursor=first.next_cursor)
    third = store.audit.list(target_kind="compute", limit=2, cursor=second.next_cursor)
    names = [e.target_name for page in (first, second, third) for e in page.items]
    assert names == ["c5", "c4", "c3", "c2", "c1"]
    assert third.next_cursor is None
    assert [e.actor for e in store.audit.list(actor="user-c2").items] == ["user-c2"]
    store.workspaces.create("team-b", actor="ann")
    store.computes.create("team-b", "c1", "amlcompute", actor="ann")
    [entry] = store.audit.list(workspace="team-b", target_name="c1").items
    assert (entry.workspace, entry.action, entry.detail) == ("team-b", "compute.create",
                                                             {"type": "amlcompute"})  # fmt: skip
    assert len(store.audit.list(workspace="default", target_kind="compute").items) == 5
