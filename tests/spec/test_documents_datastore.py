"""Datastore files: Azure's kinds, chosen by their exact `type`, and Cairn's local folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from cairn.spec import documents
from cairn.spec.entities.datastore import (
    AzureBlobDatastore,
    AzureDataLakeGen2Datastore,
    LocalDatastore,
    NoCredentials,
    SasToken,
    ServicePrincipal,
)

from .document_cases import asset, found, write_files

DATASTORE = documents.DATASTORE

CASES = {
    # Azure: accepts (examples of Azure's datastore YAML reference).
    "blob.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/azureBlob.schema.json
        name: blob_example
        type: azure_blob
        description: Datastore pointing to a blob container.
        account_name: mytestblobstore
        container_name: data-container
        credentials:
          account_key: XXXxxxXXXxXXXXxxXXXXXxXXXXXxXxxXxXXXxXXXxXXxxxXXxxXXXxXxXXXxxXxxXXXX
    """,
    "blob_sas.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/azureBlob.schema.json
        name: blob_sas_example
        type: azure_blob
        account_name: mytestblobstore
        container_name: data-container
        endpoint: core.windows.net
        protocol: wasbs
        credentials:
          sas_token: "?xx=XXXX-XX-XX&xx=xxxx&xxx=xxx"
    """,
    "blob_identity.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/azureBlob.schema.json
        name: blob_credless_example
        type: azure_blob
        account_name: mytestblobstore
        container_name: data-container
        credentials: {}
    """,
    "file_share.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/azureFile.schema.json
        name: file_example
        type: azure_file
        account_name: mytestfilestore
        file_share_name: my-share
        credentials:
          account_key: XXXxxxXXXxXXXXxxXXXXXxXXXXXxXxxXxXXXxXXXxXXxxxXXxxXXXxXxXXXxxXxxXXXX
    """,
    "gen1.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/azureDataLakeGen1.schema.json
        name: alds_gen1_credless_example
        type: azure_data_lake_gen1
        description: Credential-less datastore pointing to an Azure Data Lake Storage Gen1.
        store_name: mytestdatalakegen1
    """,
    "gen2.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/azureDataLakeGen2.schema.json
        name: adls_gen2_example
        type: azure_data_lake_gen2
        description: Datastore pointing to an Azure Data Lake Storage Gen2.
        account_name: mytestdatalakegen2
        filesystem: my-gen2-container
        credentials:
          tenant_id: XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX
          client_id: XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX
          client_secret: XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX
    """,
    "onelake.yml": """
        $schema: http://azureml/sdk-2-0/OneLake.json
        name: onelake_example
        type: one_lake
        description: Credential-less datastore pointing to a OneLake lakehouse.
        one_lake_workspace_name: "eastus2euap-ws"
        endpoint: "msit-onelake.dfs.fabric.microsoft.com"
        artifact:
          type: lake_house
          name: "testLakehouse/Files"
    """,
    # Cairn only (Azure: "Unsupported datastore type: local").
    "local_store.yml": """
        name: scratch
        type: local
        path: /var/lib/cairn/scratch
    """,
    # Azure: rejects (`container`: Unknown field).
    "blob_unknown.yml": """
        name: b
        type: azure_blob
        account_name: a
        container_name: c
        container: c
    """,
    # Azure: rejects (`container_name`: Missing data for required field).
    "blob_missing.yml": """
        name: b
        type: azure_blob
        account_name: a
    """,
    # Azure: rejects ("Unsupported datastore type: Azure_Blob": it compares the type exactly).
    "blob_type_case.yml": """
        name: b
        type: Azure_Blob
        account_name: a
        container_name: c
    """,
    # Azure: rejects (its loader means to default to `azure_blob`, but fails on a missing type).
    "blob_no_type.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/azureBlob.schema.json
        name: b
        account_name: a
        container_name: c
    """,
    # Azure: rejects (no credential schema takes `account_keyy`).
    "blob_bad_credentials.yml": """
        name: b
        type: azure_blob
        account_name: a
        container_name: c
        credentials:
          account_keyy: XXX
    """,
    # Azure: rejects (a certificate needs its `thumbprint`; tag values must be strings).
    "gen2_certificate.yml": """
        name: g
        type: azure_data_lake_gen2
        account_name: a
        filesystem: f
        tags:
          rows: 1
        credentials:
          tenant_id: t
          client_id: c
          certificate: "-----BEGIN CERTIFICATE-----"
    """,
    # Azure: rejects (Gen1 tag values must be mappings there, an SDK slip). Cairn takes string
    # tags as for every other datastore.
    "gen1_tags.yml": """
        name: g
        type: azure_data_lake_gen1
        store_name: s
        tags:
          team: vision
    """,
}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    write_files(tmp_path, CASES)
    return tmp_path


@pytest.mark.parametrize(
    "name",
    [
        "blob.yml",
        "blob_sas.yml",
        "blob_identity.yml",
        "file_share.yml",
        "gen1.yml",
        "gen2.yml",
        "onelake.yml",
        "local_store.yml",
        "gen1_tags.yml",
    ],
)
def test_datastore_examples_are_valid(root: Path, name: str) -> None:
    report = asset(root, name)
    assert found(report) == []
    assert report.kind == "datastore"


def test_credentials_are_told_apart_by_their_keys(root: Path) -> None:
    sas = asset(root, "blob_sas.yml").entity
    assert isinstance(sas, AzureBlobDatastore) and isinstance(sas.credentials, SasToken)
    identity = asset(root, "blob_identity.yml").entity
    assert isinstance(identity, AzureBlobDatastore)
    assert isinstance(identity.credentials, NoCredentials)
    gen2 = asset(root, "gen2.yml").entity
    assert isinstance(gen2, AzureDataLakeGen2Datastore)
    assert isinstance(gen2.credentials, ServicePrincipal)
    assert isinstance(asset(root, "local_store.yml").entity, LocalDatastore)


@pytest.mark.parametrize(
    ("name", "expected", "hint"),
    [
        ("blob_unknown.yml", [("E101", 5)], "did you mean `container_name`?"),
        ("blob_missing.yml", [("E102", 1)], None),
        ("blob_type_case.yml", [("E104", 2)], "did you mean `azure_blob`?"),
        ("blob_no_type.yml", [("E102", 1)], None),
        ("blob_bad_credentials.yml", [("E102", 5), ("E101", 6)], None),
        ("gen2_certificate.yml", [("E103", 6), ("E102", 7)], None),
    ],
)
def test_datastore_errors(
    root: Path, name: str, expected: list[tuple[str, int]], hint: str | None
) -> None:
    report = asset(root, name, DATASTORE)
    assert found(report) == expected
    if hint is not None:
        assert report.diagnostics.items[0].hint == hint


def test_a_misspelt_credential_key_gets_a_hint(root: Path) -> None:
    report = asset(root, "blob_bad_credentials.yml")
    e101 = next(d for d in report.diagnostics if d.code == "E101")
    assert e101.hint == "did you mean `account_key`?"
