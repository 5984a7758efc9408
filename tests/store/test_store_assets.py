"""Contract tests for assets: versions, resolution (exact messages), labels, archive, lineage."""

from __future__ import annotations

import pytest

from cairn.errors import Conflict, NotFound, UsageError
from cairn.store import AssetKind, NewAsset, NewJob, Store

C = AssetKind.COMPONENT


def _register(store: Store, name: str, version: str | None = None, kind: AssetKind = C) -> str:
    new = NewAsset(kind=kind, name=name, version=version, spec={"command": "python x.py"})
    return store.assets.create("default", new, actor="ann").version


def test_versions_auto_increment_after_the_highest_integer(store: Store) -> None:
    assert [_register(store, "train_model") for _ in range(3)] == ["1", "2", "3"]
    assert _register(store, "train_model", "10") == "10"
    assert _register(store, "train_model", "beta") == "beta"
    assert _register(store, "train_model") == "11"
    assert _register(store, "other") == "1"
    assert _register(store, "train_model", kind=AssetKind.DATA) == "1"  # kinds count separately
    with pytest.raises(Conflict, match="component train_model:2 already exists"):
        _register(store, "train_model", "2")


def test_resolution_by_version_label_and_latest(store: Store) -> None:
    for _ in range(3):
        _register(store, "train_model")
    store.assets.set_label("default", C, "train_model", "prod", "2", actor="ann")
    resolve = store.assets.resolve
    assert resolve("default", C, "train_model:1").version == "1"
    assert resolve("default", C, "train_model@latest").version == "3"
    assert resolve("default", C, "train_model").version == "3"
    assert resolve("default", C, "train_model@prod").version == "2"
    assert resolve("default", C, "train_model@prod").labels == ("prod",)
    store.assets.set_label("default", C, "train_model", "prod", "3", actor="ann")  # moves
    assert resolve("default", C, "train_model@prod").version == "3"
    assert store.assets.get("default", C, "train_model", "2").labels == ()
    store.assets.remove_label("default", C, "train_model", "prod", actor="ann")
    with pytest.raises(NotFound):
        resolve("default", C, "train_model@prod")


def test_latest_is_the_newest_version_that_is_not_archived(store: Store) -> None:
    for version in ("1", "2", "3"):
        _register(store, "train_model", version)
    store.assets.set_archived("default", C, "train_model", True, version="3", actor="ann")
    assert store.assets.resolve("default", C, "train_model").version == "2"
    assert store.assets.resolve("default", C, "train_model:3").archived  # still reachable exactly
    store.assets.set_archived("default", C, "train_model", True, actor="ann")
    with pytest.raises(NotFound) as caught:
        store.assets.resolve("default", C, "train_model@latest")
    assert str(caught.value) == (
        "component train_model@latest not found — every version is archived: 1, 2, 3"
    )
    restored = store.assets.set_archived("default", C, "train_model", False, actor="ann")
    assert [a.archived for a in restored] == [False, False, False]
    assert store.assets.resolve("default", C, "train_model").version == "3"


def test_resolution_errors_name_what_exists(store: Store) -> None:
    for _ in range(3):
        _register(store, "train_model")
    store.assets.set_label("default", C, "train_model", "staging", "1", actor="ann")
    cases = {
        "train_model:7": "component train_model:7 not found — these versions exist: 1, 2, 3",
        "train_models": "no component named train_models; similar names: train_model",
        "train_model@prod": "component train_model@prod not found — these labels exist: "
        "latest, staging",
        "completely_else": "no component named completely_else",
    }
    for ref, message in cases.items():
        with pytest.raises(NotFound) as caught:
            store.assets.resolve("default", C, ref)
        assert str(caught.value) == message
    with pytest.raises(NotFound) as caught:
        store.assets.resolve("default", AssetKind.MODEL, "train_model")
    assert str(caught.value) == "no model named train_model"
    assert caught.value.details["similar"] == []


def test_versions_are_listed_in_numeric_order(store: Store) -> None:
    for version in ("2", "10", "1", "rc"):
        _register(store, "m", version)
    with pytest.raises(NotFound) as caught:
        store.assets.resolve("default", C, "m:3")
    assert str(caught.value) == "component m:3 not found — these versions exist: 1, 2, 10, rc"
    assert [a.version for a in store.assets.versions("default", C, "m")] == ["2", "10", "1", "rc"]


def test_bad_references_and_labels_are_usage_errors(store: Store) -> None:
    for ref in ("", ":1", "name:", "name@", "bad name", "a:b:c"):
        with pytest.raises(UsageError):
            store.assets.resolve("default", C, ref)
    _register(store, "m")
    with pytest.raises(UsageError, match="latest"):
        store.assets.set_label("default", C, "m", "latest", "1", actor="ann")


def test_list_latest_gives_one_version_per_name(store: Store) -> None:
    _register(store, "a")
    _register(store, "a")
    _register(store, "b")
    store.assets.set_archived("default", C, "b", True, actor="ann")
    latest = store.assets.list_latest("default", C)
    assert [(a.name, a.version) for a in latest] == [("a", "2")]
    everything = store.assets.list_latest("default", C, include_archived=True)
    assert [(a.name, a.version) for a in everything] == [("a", "2"), ("b", "1")]


def test_update_changes_description_and_tags(store: Store) -> None:
    new = NewAsset(kind=AssetKind.DATA, name="rain", tags={"a": "1", "b": "2"})
    store.assets.create("default", new, actor="ann")
    updated = store.assets.update(
        "default", AssetKind.DATA, "rain", "1", description="hourly", tags={"a": None}, actor="bob"
    )
    assert (updated.description, updated.tags) == ("hourly", {"b": "2"})


def test_lineage_links_producer_and_consumers(store: Store) -> None:
    producer = store.jobs.create("default", NewJob(type="command"), actor="ann")
    consumer = store.jobs.create("default", NewJob(type="command"), actor="ann")
    model = store.assets.create(
        "default",
        NewAsset(
            kind=AssetKind.MODEL,
            name="flood_model",
            content_hash="blake3:abc",
            produced_by_job_id=producer.id,
            produced_by_output="model_dir",
        ),
        actor="ann",
    )
    assert (model.produced_by_job_id, model.produced_by_output) == (producer.id, "model_dir")
    assert store.assets.produced_by(producer.id) == [model]
    use = store.assets.record_use(consumer.id, model.id, "model", actor="engine")
    store.assets.record_use(consumer.id, model.id, "model", actor="engine")  # idempotent
    assert store.assets.uses_of(model.id) == [use]
    assert store.assets.used_by(consumer.id) == [use]
    assert store.assets.by_ids([model.id]) == [model]
    with pytest.raises(NotFound):
        store.assets.record_use(consumer.id, 12345, "x", actor="engine")
    with pytest.raises(NotFound):
        new = NewAsset(kind=AssetKind.MODEL, name="m", produced_by_job_id=999)
        store.assets.create("default", new, actor="ann")


def test_asset_mutations_are_audited(store: Store) -> None:
    _register(store, "m")
    store.assets.set_label("default", C, "m", "prod", "1", actor="bob")
    entries = store.audit.list(target_kind="component").items
    assert [(e.action, e.target_name, e.actor) for e in entries] == [
        ("asset.label", "m:1", "bob"),
        ("asset.create", "m:1", "ann"),
    ]
