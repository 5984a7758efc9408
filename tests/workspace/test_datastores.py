"""Datastores: Cairn's `local` folder and Azure Blob on the Azurite emulator, with credentials
encrypted at rest and never shown, and pipeline inputs on their paths hashed where they lie."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from azure.storage.blob import (
    AccountSasPermissions,
    BlobServiceClient,
    ResourceTypes,
    generate_account_sas,
)
from sqlalchemy import text

from cairn.data.hashing import hash_path
from cairn.errors import NotFound, Unsupported
from cairn.plan.model import DataSource
from cairn.workspace.context import Workspace
from cairn.workspace.jobs import submit_job
from cairn.workspace.lookups import WorkspaceLookups
from cairn.workspace.resources import create_datastore, datastore_view
from tests.data.conftest import AZURITE_ACCOUNT, AZURITE_KEY, Azurite

from .conftest import Project

# The Azure SDK hands aiohttp whole bytes bodies, which aiohttp flags with an advisory warning.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Sending a large body directly with raw bytes:ResourceWarning"
)

ROWS = {"census/2020.csv": b"year,people\n2020,5\n", "census/deep/2021.csv": b"2021,6\n"}


def test_local_datastore(any_workspace: Workspace, project: Project) -> None:
    file = project.write("store.yml", "name: scratch\ntype: local\npath: ./scratch\n")
    record = create_datastore(any_workspace, file)
    assert (record.name, record.type, record.secret_blob) == ("scratch", "local", None)
    folder = project.root / "scratch"
    assert record.spec["path"] == str(folder)  # relative to the file, stored absolute
    assert datastore_view(any_workspace, record) == {
        "name": "scratch",
        "type": "local",
        "is_default": False,
        "tags": {},
        "path": str(folder),
    }
    for name, content in ROWS.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    source = WorkspaceLookups(any_workspace).remote_data(
        "azureml://datastores/scratch/paths/census", "uri_folder", "download"
    )
    assert source == DataSource(
        type="uri_folder",
        mode="download",
        uri="azureml://datastores/scratch/paths/census",
        content_hash=hash_path(folder / "census").hash,
        origin="azureml://datastores/scratch/paths/census",
    )


def blob_file(container: str, azurite: Azurite, credentials: str) -> str:
    return f"""
        $schema: https://azuremlschemas.azureedge.net/latest/azureBlob.schema.json
        name: lake
        type: azure_blob
        account_name: {AZURITE_ACCOUNT}
        container_name: {container}
        account_url: {azurite.account_url}
        description: Shared data
        credentials:
          {credentials}
    """


def fill_container(azurite: Azurite, container: str) -> None:
    conn = (
        f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
        f"BlobEndpoint={azurite.account_url};"
    )
    with BlobServiceClient.from_connection_string(conn) as client:
        for name, content in ROWS.items():
            client.get_blob_client(container, name).upload_blob(content)


def sas_token() -> str:
    return generate_account_sas(
        AZURITE_ACCOUNT,
        AZURITE_KEY,
        ResourceTypes(service=True, container=True, object=True),
        AccountSasPermissions(read=True, list=True),
        expiry=datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1),
    )


def raw_row(workspace: Workspace, name: str) -> str:
    """The datastore's row as the database holds it, every column as text."""
    with workspace.store.database.engine.connect() as conn:
        row = conn.execute(
            text("SELECT * FROM datastores WHERE name = :name"), {"name": name}
        ).one()
    return " ".join(
        value.decode("latin-1") if isinstance(value, bytes | memoryview) else str(value)
        for value in (bytes(v) if isinstance(v, memoryview) else v for v in row)
    )


@pytest.mark.parametrize("kind", ["account_key", "sas_token"])
def test_azure_blob_datastore_on_azurite(
    any_workspace: Workspace,
    project: Project,
    azurite: Azurite,
    container: str,
    tmp_path: Path,
    kind: str,
) -> None:
    secret = AZURITE_KEY if kind == "account_key" else sas_token()
    file = project.write("lake.yml", blob_file(container, azurite, f"{kind}: '{secret}'"))
    record = create_datastore(any_workspace, file)

    # At rest: ciphertext only, in the secret column and nowhere else.
    stored = raw_row(any_workspace, "lake")
    assert secret not in stored
    assert secret[:16] not in stored
    assert record.secret_blob is not None
    assert json.loads(record.secret_blob)[kind].startswith("encrypted:")
    assert secret not in repr(record)
    assert secret not in repr(any_workspace.store.datastores.get(any_workspace.name, "lake"))
    view = datastore_view(any_workspace, record)
    assert view["credentials"] == {"type": kind}
    assert view["account_url"] == azurite.account_url
    assert secret not in json.dumps(view)

    fill_container(azurite, container)
    local = tmp_path / "census"
    for name, content in ROWS.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(content)
    job = project.write(
        "job.yml",
        """
        type: pipeline
        compute: local
        inputs:
          census: {type: uri_folder, path: "azureml://datastores/lake/paths/census"}
        jobs:
          count:
            command: ls ${{inputs.rows}}
            environment: azureml:AzureML-minimal@latest
            inputs:
              rows: ${{parent.inputs.census}}
              one: {type: uri_file, path: "azureml://datastores/lake/paths/census/2020.csv"}
        """,
    )
    inputs = submit_job(any_workspace, job).plan.steps["count"].inputs
    rows, one = inputs["rows"], inputs["one"]
    assert isinstance(rows, DataSource) and isinstance(one, DataSource)
    assert rows.uri == "azureml://datastores/lake/paths/census"
    # The same bytes hash the same in the container and on disk.
    assert rows.content_hash == hash_path(local).hash
    assert one.content_hash == hash_path(local / "2020.csv").hash

    lookups = WorkspaceLookups(any_workspace)
    with pytest.raises(NotFound, match="no data at azureml://datastores/lake/paths/nothing"):
        lookups.remote_data("azureml://datastores/lake/paths/nothing", "uri_folder", "ro_mount")


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("azure_file", "account_name: acct\nfile_share_name: share"),
        ("azure_data_lake_gen2", "account_name: acct\nfilesystem: fs"),
        ("azure_data_lake_gen1", "store_name: store"),
        ("one_lake", "one_lake_workspace_name: ws\nendpoint: onelake.dfs.fabric.microsoft.com"),
    ],
)
def test_other_azure_datastores_are_not_supported_yet(
    workspace: Workspace, project: Project, kind: str, body: str
) -> None:
    file = project.write(f"{kind}.yml", f"name: other\ntype: {kind}\n{body}\n")
    with pytest.raises(Unsupported, match=f"datastore type '{kind}' is not supported yet") as info:
        create_datastore(workspace, file)
    assert info.value.hint == "use type azure_blob, or type local for a folder on this machine"
    assert workspace.store.datastores.list(workspace.name) == []
