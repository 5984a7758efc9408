"""Datastores (Azure `_schema/_datastore/*`; azure-compat.md §8.5), and Cairn's local one.

A datastore names storage that data paths (`azureml://datastores/<name>/paths/...`) point into:
an Azure Blob container, a file share, a Data Lake (Gen1 or Gen2) file system, or a OneLake
artifact; Cairn adds `type: local`, a folder on this machine (`path`). Credentials are written
in the file or left out (identity-based access).

Azure selects the schema by `type` compared exactly (`Azure_Blob` is an unknown type), and —
although its code means to default to `azure_blob` — fails on a file without `type`; so
`datastore_model` requires `type` and compares it exactly.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any, ClassVar, Literal

from pydantic import StrictStr, Tag, model_validator

from cairn.spec.entities.base import LOWER, Entity, choose_by, schema_field

DatastoreTags = dict[StrictStr, StrictStr]


class AccountKey(Entity):
    account_key: StrictStr


class SasToken(Entity):
    sas_token: StrictStr


class NoCredentials(Entity):
    """`credentials: {}`: access with the identity of whoever uses the datastore."""


class TenantCredential(Entity):
    tenant_id: StrictStr
    client_id: StrictStr
    authority_url: StrictStr | None = None
    resource_url: StrictStr | None = None
    authority_uri: StrictStr | None = None
    """The older name of `authority_url`, still accepted by Azure."""

    @model_validator(mode="after")
    def _one_authority(self) -> TenantCredential:
        if self.authority_url is not None and self.authority_uri is not None:
            raise ValueError("use `authority_url` only (`authority_uri` is its older name)")
        return self


class ServicePrincipal(TenantCredential):
    client_secret: StrictStr


class Certificate(TenantCredential):
    thumbprint: StrictStr
    certificate: StrictStr | None = None


def _credential_tag(markers: dict[str, str], fallback: str | None) -> Any:
    """Choose a credential shape by the key that only it has, else by the closest key written,
    so a misspelt key is reported against the shape it was meant for."""

    def choose(value: Any) -> str | None:
        if not isinstance(value, dict):
            return None
        for key, tag in markers.items():
            if key in value:
                return tag
        for key in value:
            close = difflib.get_close_matches(str(key), list(markers), n=1, cutoff=0.6)
            if close:
                return markers[close[0]]
        if fallback is not None and ("tenant_id" in value or "client_id" in value):
            return fallback
        return "<none>"

    return choose


StorageCredentials = Annotated[
    Annotated[AccountKey, Tag("<account_key>")]
    | Annotated[SasToken, Tag("<sas_token>")]
    | Annotated[NoCredentials, Tag("<none>")],
    choose_by(
        "bad_storage_credentials",
        "credentials",
        ("account_key", "sas_token"),
        _credential_tag({"account_key": "<account_key>", "sas_token": "<sas_token>"}, None),
    ),
]
TenantCredentials = Annotated[
    Annotated[ServicePrincipal, Tag("<service_principal>")]
    | Annotated[Certificate, Tag("<certificate>")]
    | Annotated[NoCredentials, Tag("<none>")],
    choose_by(
        "bad_tenant_credentials",
        "credentials",
        ("client_secret", "thumbprint"),
        _credential_tag(
            {
                "client_secret": "<service_principal>",
                "thumbprint": "<certificate>",
                "certificate": "<certificate>",
            },
            "<service_principal>",
        ),
    ),
]
OneLakeCredentials = Annotated[
    Annotated[ServicePrincipal, Tag("<service_principal>")]
    | Annotated[NoCredentials, Tag("<none>")],
    choose_by(
        "bad_one_lake_credentials",
        "credentials",
        ("client_secret",),
        _credential_tag({"client_secret": "<service_principal>"}, "<service_principal>"),
    ),
]


class NamedDatastore(Entity):
    """What every datastore file has."""

    SERVICE_KEYS: ClassVar[tuple[str, ...]] = ("id",)

    schema_: StrictStr | None = schema_field()
    name: StrictStr
    description: StrictStr | None = None
    tags: DatastoreTags | None = None
    id: Any = None


class StorageDatastore(NamedDatastore):
    """What the Azure Storage kinds (blob, file share, Data Lake Gen2) share."""

    account_name: StrictStr
    endpoint: StrictStr | None = None
    protocol: StrictStr | None = None


class AzureBlobDatastore(StorageDatastore):
    type: Literal["azure_blob"]
    container_name: StrictStr
    credentials: StorageCredentials | None = None
    account_url: StrictStr | None = None
    """Cairn: the blob service URL, for emulators and private endpoints (see the data layer)."""


class AzureFileDatastore(StorageDatastore):
    type: Literal["azure_file"]
    file_share_name: StrictStr
    credentials: StorageCredentials | None = None


class AzureDataLakeGen2Datastore(StorageDatastore):
    type: Literal["azure_data_lake_gen2"]
    filesystem: StrictStr
    credentials: TenantCredentials | None = None


class AzureDataLakeGen1Datastore(NamedDatastore):
    # Azure's SDK types Gen1 tag values as mappings, so every ordinary `key: value` tag fails
    # there; Cairn takes string values as every other datastore does.
    type: Literal["azure_data_lake_gen1"]
    store_name: StrictStr
    credentials: TenantCredentials | None = None


class OneLakeArtifact(Entity):
    name: StrictStr
    type: Annotated[Literal["lake_house"], LOWER] | None = None


class OneLakeDatastore(NamedDatastore):
    type: Literal["one_lake"]
    one_lake_workspace_name: StrictStr
    endpoint: StrictStr
    artifact: OneLakeArtifact | None = None
    credentials: OneLakeCredentials | None = None


class LocalDatastore(NamedDatastore):
    """Cairn: a folder on this machine (relative paths start at the datastore file's folder)."""

    type: Literal["local"]
    path: StrictStr


AnyDatastore = (
    AzureBlobDatastore
    | AzureFileDatastore
    | AzureDataLakeGen1Datastore
    | AzureDataLakeGen2Datastore
    | OneLakeDatastore
    | LocalDatastore
)

DATASTORE_MODELS: dict[str, type[AnyDatastore]] = {
    "azure_blob": AzureBlobDatastore,
    "azure_file": AzureFileDatastore,
    "azure_data_lake_gen1": AzureDataLakeGen1Datastore,
    "azure_data_lake_gen2": AzureDataLakeGen2Datastore,
    "one_lake": OneLakeDatastore,
    "local": LocalDatastore,
}
AZURE_DATASTORE_TYPES = tuple(t for t in DATASTORE_MODELS if t != "local")
DATASTORE_TYPES = tuple(DATASTORE_MODELS)


def _datastore_tag(value: Any) -> str | None:
    kind = value.get("type") if isinstance(value, dict) else None
    return f"<{kind}>" if kind in DATASTORE_MODELS else None


Datastore = Annotated[
    Annotated[AzureBlobDatastore, Tag("<azure_blob>")]
    | Annotated[AzureFileDatastore, Tag("<azure_file>")]
    | Annotated[AzureDataLakeGen1Datastore, Tag("<azure_data_lake_gen1>")]
    | Annotated[AzureDataLakeGen2Datastore, Tag("<azure_data_lake_gen2>")]
    | Annotated[OneLakeDatastore, Tag("<one_lake>")]
    | Annotated[LocalDatastore, Tag("<local>")],
    choose_by("bad_datastore", "type", DATASTORE_TYPES, _datastore_tag),
]
"""Any datastore, as a field of another document (a file of its own goes through
`datastore_model`)."""


def datastore_model(document: Any) -> type[AnyDatastore] | None:
    """The model for a datastore document, chosen by its exact `type`; None when that is
    missing or unknown (the caller reports it)."""
    kind = document.get("type") if isinstance(document, dict) else None
    return DATASTORE_MODELS.get(kind) if isinstance(kind, str) else None
