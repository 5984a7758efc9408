"""What a registered datastore is: its configuration, public view and stored (encrypted) form.

Owns: the datastore documents Cairn runs — Azure ML's `azure_blob` (account, container, endpoint,
protocol, credentials `account_key` or `sas_token`) and Cairn's `local` extension (a folder) — and
the refusal of Azure's other types (`azure_file`, `azure_data_lake_gen1`, `azure_data_lake_gen2`,
`one_lake`) with `Unsupported`. Secrets are `pydantic.SecretStr`, so repr/str/logs show
`**********`; `public_view()` drops them altogether; `to_record()` encrypts them with a `SecretBox`
for the store.
Must not: open connections (see `datastores`) or persist anything itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, SecretStr, StrictStr, ValidationError

from cairn.errors import InvalidSpec, Unsupported
from cairn.spec.entities.base import LOWER, Entity

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from cairn.data.secretbox import SecretBox

UNSUPPORTED_TYPES = ("azure_file", "azure_data_lake_gen1", "azure_data_lake_gen2", "one_lake")
WORKSPACE_BLOB_STORE = "workspaceblobstore"
WORKSPACE_ARTIFACT_STORE = "workspaceartifactstore"
_ENCRYPTED = "encrypted:"
_NAME = r"^[A-Za-z0-9_]{1,255}$"


class AccountKeyCredentials(Entity):
    account_key: SecretStr


class SasCredentials(Entity):
    sas_token: SecretStr


class _DatastoreBase(Entity):
    schema_: StrictStr | None = Field(default=None, alias="$schema")
    name: Annotated[StrictStr, Field(pattern=_NAME)]
    description: StrictStr | None = None
    tags: dict[str, StrictStr | None] = Field(default_factory=dict)

    def public_view(self) -> dict[str, Any]:
        """Everything about the datastore that may be shown to anyone who can see it."""
        view = self.model_dump(mode="json", exclude={"schema_", "credentials"}, exclude_none=True)
        credentials = getattr(self, "credentials", None)
        if credentials is not None:
            kind = "account_key" if isinstance(credentials, AccountKeyCredentials) else "sas_token"
            view["credentials"] = {"type": kind}
        return view

    def to_record(self, box: SecretBox) -> dict[str, Any]:
        """The form to store: JSON-compatible, secrets encrypted with `box`."""
        record = self.model_dump(mode="json", by_alias=True, exclude={"credentials"})
        credentials = getattr(self, "credentials", None)
        if credentials is not None:
            record["credentials"] = {
                key: _ENCRYPTED + box.encrypt(value.get_secret_value())
                for key, value in credentials
            }
        return record


class LocalDatastoreConfig(_DatastoreBase):
    """Cairn's extension: a folder on this machine (absolute path) used as a datastore."""

    type: Literal["local"]
    path: StrictStr


class AzureBlobDatastoreConfig(_DatastoreBase):
    """Azure ML's `azure_blob` datastore.

    `account_url` is a Cairn extension for emulators and private endpoints: the blob service URL
    (e.g. `http://127.0.0.1:10000/devstoreaccount1`); without it the URL is
    `https://<account_name>.blob.<endpoint>`.
    """

    type: Literal["azure_blob"]
    account_name: Annotated[StrictStr, Field(pattern=r"^[a-z0-9]{3,24}$")]
    container_name: Annotated[StrictStr, Field(pattern=r"^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$")]
    endpoint: StrictStr = "core.windows.net"
    protocol: Annotated[Literal["https", "wasbs"], LOWER] = "https"
    account_url: Annotated[StrictStr, Field(pattern=r"^https?://")] | None = None
    credentials: AccountKeyCredentials | SasCredentials | None = None

    def blob_endpoint(self) -> str:
        """The blob service URL requests go to."""
        if self.account_url:
            return self.account_url.rstrip("/")
        return f"https://{self.account_name}.blob.{self.endpoint}"


DatastoreConfig = LocalDatastoreConfig | AzureBlobDatastoreConfig


def parse_datastore(
    document: Mapping[str, Any], *, base_dir: Path | None = None
) -> DatastoreConfig:
    """Validate a datastore document (YAML mapping or API body) into its configuration.

    A relative `path` of a local datastore resolves against `base_dir` (the folder of the file it
    came from). `credentials: {}` means identity-based access, as in Azure: no stored secret. A
    datastore entity validated by the spec layer converts with
    `parse_datastore(entity.model_dump(by_alias=True, exclude_none=True), base_dir=...)`.
    """
    kind = document.get("type")
    if kind in UNSUPPORTED_TYPES:
        raise Unsupported(
            f"datastore type {kind!r} is not supported yet",
            hint="use type azure_blob, or type local for a folder on this machine",
        )
    model: type[DatastoreConfig]
    if kind == "local":
        model = LocalDatastoreConfig
    elif kind == "azure_blob":
        model = AzureBlobDatastoreConfig
    else:
        raise InvalidSpec(
            f"unknown datastore type {kind!r}",
            hint="one of: azure_blob, local",
        )
    values = dict(document)
    if values.get("credentials") == {}:
        values["credentials"] = None
    if kind == "local" and base_dir is not None and isinstance(values.get("path"), str):
        values["path"] = str((base_dir / values["path"]).resolve())
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        problems = [
            {"loc": ".".join(str(p) for p in err["loc"]), "msg": err["msg"]}
            for err in exc.errors(include_input=False, include_url=False)
        ]
        summary = "; ".join(f"{p['loc']}: {p['msg']}" for p in problems)
        raise InvalidSpec(
            f"datastore document is not valid: {summary}", details={"errors": problems}
        ) from None


def datastore_from_record(record: Mapping[str, Any], box: SecretBox) -> DatastoreConfig:
    """Rebuild a configuration from `to_record()` output, decrypting its secrets."""
    document = dict(record)
    credentials = document.get("credentials")
    if isinstance(credentials, dict):
        document["credentials"] = {
            key: box.decrypt(value.removeprefix(_ENCRYPTED))
            if isinstance(value, str) and value.startswith(_ENCRYPTED)
            else value
            for key, value in credentials.items()
        }
    return parse_datastore(document)
