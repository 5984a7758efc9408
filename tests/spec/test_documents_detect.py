"""Which kind of document a file is, and which model validates it."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from cairn.errors import Unsupported
from cairn.spec import documents
from cairn.spec.documents import Family
from cairn.spec.entities.command_job import CommandJob
from cairn.spec.entities.compute import AmlCompute, Compute, RayCompute
from cairn.spec.entities.data import Data
from cairn.spec.entities.datastore import Datastore, LocalDatastore, OneLakeDatastore
from cairn.spec.entities.environment import Environment
from cairn.spec.entities.model import Model
from cairn.spec.entities.registry import model_for
from cairn.spec.entities.schedule import Schedule
from cairn.spec.entities.sweep_job import SweepJob

SCHEMAS = "https://azuremlschemas.azureedge.net/latest/"

# Each row was checked against the kind Azure's tools give the same document (the oracle's
# `kind_of`, which follows `$schema`, then `type`, then keys).
ASSETS: list[tuple[dict[str, Any], documents.Kind]] = [
    ({"type": "azure_blob", "name": "b"}, documents.DATASTORE),
    ({"$schema": f"{SCHEMAS}azureFile.schema.json"}, documents.DATASTORE),
    ({"$schema": f"{SCHEMAS}azureDataLakeGen2.schema.json"}, documents.DATASTORE),
    ({"type": "one_lake"}, documents.DATASTORE),
    ({"type": "amlcompute", "name": "c"}, documents.COMPUTE),
    ({"$schema": f"{SCHEMAS}amlCompute.schema.json", "name": "c"}, documents.COMPUTE),
    ({"$schema": f"{SCHEMAS}computeInstance.schema.json"}, documents.COMPUTE),
    ({"$schema": f"{SCHEMAS}schedule.schema.json"}, documents.SCHEDULE),
    ({"trigger": {"type": "cron"}, "create_job": "./job.yml"}, documents.SCHEDULE),
    ({"$schema": f"{SCHEMAS}data.schema.json", "path": "x"}, documents.DATA),
    ({"type": "uri_file", "path": "x"}, documents.DATA),
    ({"type": "mltable", "path": "x"}, documents.DATA),
    ({"$schema": f"{SCHEMAS}model.schema.json", "name": "m"}, documents.MODEL),
    ({"type": "mlflow_model", "name": "m"}, documents.MODEL),
    ({"$schema": f"{SCHEMAS}environment.schema.json", "name": "e"}, documents.ENVIRONMENT),
    ({"name": "e", "image": "python:3.11"}, documents.ENVIRONMENT),
    ({"name": "e", "build": {"path": "."}}, documents.ENVIRONMENT),
]


@pytest.mark.parametrize(("root", "kind"), ASSETS)
def test_asset_kinds_follow_azure(root: dict[str, Any], kind: documents.Kind) -> None:
    assert documents.detect(root, Family.ASSET) is kind


def test_cairns_own_kinds_and_leniencies() -> None:
    # `type: local` is a folder datastore when it has a `path`, else this machine.
    assert documents.detect({"type": "local", "path": "/x"}, Family.ASSET) is documents.DATASTORE
    assert documents.detect({"type": "local"}, Family.ASSET) is documents.COMPUTE
    assert documents.detect({"type": "ray", "address": "auto"}, Family.ASSET) is documents.COMPUTE
    # Azure's tools match `oneLake` in `$schema` exactly and miss the OneLake example's
    # `…/OneLake.json`; Cairn matches it whatever the case.
    one_lake = {"$schema": "http://azureml/sdk-2-0/OneLake.json"}
    assert documents.detect(one_lake, Family.ASSET) is documents.DATASTORE
    assert documents.detect({"name": "x"}, Family.ASSET) is None
    assert documents.detect(["not", "a", "mapping"], Family.ASSET) is None


def test_job_kinds() -> None:
    untyped = {"command": "echo", "environment": "azureml:e:1"}
    assert documents.detect(untyped, Family.JOB) is documents.COMMAND_JOB
    sweep = {"$schema": f"{SCHEMAS}sweepJob.schema.json", "trial": {}}
    assert documents.detect(sweep, Family.JOB) is documents.SWEEP_JOB
    assert documents.detect({"type": "Sweep"}, Family.JOB) is documents.SWEEP_JOB
    assert documents.detect({"type": "spark"}, Family.JOB) == "Spark jobs"
    assert documents.detect({"jobs": {}}, Family.JOB) is None


@pytest.mark.parametrize(
    ("kind", "document", "model"),
    [
        (documents.COMMAND_JOB, None, CommandJob),
        (documents.SWEEP_JOB, None, SweepJob),
        (documents.DATA, None, Data),
        (documents.MODEL, None, Model),
        (documents.ENVIRONMENT, None, Environment),
        (documents.SCHEDULE, None, Schedule),
        (documents.COMPUTE, {"type": "AmlCompute"}, AmlCompute),
        (documents.COMPUTE, {"type": "ray"}, RayCompute),
        (documents.COMPUTE, {"type": "amlcomptue"}, None),
        (documents.COMPUTE, {}, None),
        (documents.DATASTORE, {"type": "one_lake"}, OneLakeDatastore),
        (documents.DATASTORE, {"type": "local"}, LocalDatastore),
        # Azure compares a datastore's type exactly.
        (documents.DATASTORE, {"type": "One_Lake"}, None),
    ],
)
def test_model_for_each_kind(
    kind: documents.Kind, document: dict[str, Any] | None, model: type | None
) -> None:
    assert model_for(kind, document) is model


def test_an_unregistered_kind_is_unsupported() -> None:
    with pytest.raises(Unsupported, match="not supported yet"):
        model_for(documents.Kind("spark_job", Family.JOB, "Spark job"))


def test_computes_and_datastores_as_fields_of_another_document() -> None:
    computes = TypeAdapter(dict[str, Compute])
    parsed = computes.validate_python(
        {
            "cpu": {"name": "cpu", "type": "AmlCompute"},
            "lab": {"name": "lab", "type": "ray", "address": "auto"},
        }
    )
    assert isinstance(parsed["cpu"], AmlCompute) and isinstance(parsed["lab"], RayCompute)
    with pytest.raises(ValidationError) as bad:
        TypeAdapter(Datastore).validate_python({"name": "d", "type": "Azure_Blob"})
    assert bad.value.errors()[0]["type"] == "bad_datastore"
    store = TypeAdapter(Datastore).validate_python({"name": "d", "type": "local", "path": "/d"})
    assert isinstance(store, LocalDatastore)
