"""Datastore documents: validation, unsupported types, and secrets that never show."""

from __future__ import annotations

import json
import logging
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from cairn.data.datastore_config import (
    UNSUPPORTED_TYPES,
    datastore_from_record,
    parse_datastore,
)
from cairn.data.secretbox import KEY_ENV_VAR, SecretBox
from cairn.errors import InvalidSpec, Unsupported, UsageError

SECRET = "c3VwZXItc2VjcmV0LWFjY291bnQta2V5LXZhbHVl=="
SAS = "sv=2024-01-01&ss=b&sig=TOPSECRETSIGNATURE"


def blob_doc(**credentials: str) -> dict[str, object]:
    return {
        "$schema": "https://azuremlschemas.azureedge.net/latest/azureBlob.schema.json",
        "type": "azure_blob",
        "name": "lake",
        "account_name": "mystorage",
        "container_name": "raw-data",
        "protocol": "HTTPS",
        "credentials": credentials,
        "tags": {"team": "flood"},
    }


def test_secret_never_in_repr_str_public_view_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    config = parse_datastore(blob_doc(account_key=SECRET))
    logging.getLogger("test").warning("datastore %s / %r", config, config)
    shown = [repr(config), str(config), json.dumps(config.public_view()), caplog.text]
    assert all(SECRET not in text for text in shown)
    assert config.public_view() == {
        "type": "azure_blob",
        "name": "lake",
        "account_name": "mystorage",
        "container_name": "raw-data",
        "endpoint": "core.windows.net",
        "protocol": "https",
        "tags": {"team": "flood"},
        "credentials": {"type": "account_key"},
    }
    sas = parse_datastore(blob_doc(sas_token=SAS))
    assert sas.public_view()["credentials"] == {"type": "sas_token"}
    assert "TOPSECRET" not in repr(sas)


def test_record_encrypts_and_round_trips(tmp_path: Path) -> None:
    box = SecretBox.from_home(tmp_path, environ={})
    config = parse_datastore(blob_doc(account_key=SECRET))
    record = config.to_record(box)
    assert SECRET not in json.dumps(record)
    assert record["credentials"]["account_key"].startswith("encrypted:")
    again = datastore_from_record(record, box)
    assert again == config
    assert again.credentials is not None
    assert again.credentials.model_dump()["account_key"].get_secret_value() == SECRET


def test_record_needs_the_same_key(tmp_path: Path) -> None:
    record = parse_datastore(blob_doc(sas_token=SAS)).to_record(
        SecretBox.from_home(tmp_path / "one", environ={})
    )
    other = SecretBox.from_home(tmp_path / "two", environ={})
    with pytest.raises(UsageError, match="cannot be decrypted") as info:
        datastore_from_record(record, other)
    assert SAS not in str(info.value) and SAS not in str(info.value.hint)


def test_key_file_created_0600_and_reused(tmp_path: Path) -> None:
    box = SecretBox.from_home(tmp_path, environ={})
    key_file = tmp_path / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    token = box.encrypt("s")
    assert SecretBox.from_home(tmp_path, environ={}).decrypt(token) == "s"
    assert key_file.read_bytes().strip().decode() not in repr(box)
    assert [p.name for p in tmp_path.iterdir()] == ["secret.key"]


def test_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    SecretBox.from_home(tmp_path, environ={})
    (tmp_path / "secret.key").chmod(0o644)
    with pytest.raises(UsageError, match="other users"):
        SecretBox.from_home(tmp_path, environ={})


def test_key_from_environment(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    box = SecretBox.from_home(tmp_path, environ={KEY_ENV_VAR: key})
    assert not (tmp_path / "secret.key").exists()
    assert Fernet(key.encode()).decrypt(box.encrypt("v").encode()) == b"v"
    with pytest.raises(UsageError, match="malformed"):
        SecretBox.from_home(tmp_path, environ={KEY_ENV_VAR: "short"})


@pytest.mark.parametrize("kind", UNSUPPORTED_TYPES)
def test_other_azure_types_are_unsupported(kind: str) -> None:
    with pytest.raises(Unsupported, match="not supported yet") as info:
        parse_datastore({"type": kind, "name": "x", "credentials": {"client_secret": SECRET}})
    assert SECRET not in str(info.value)


def test_invalid_documents() -> None:
    with pytest.raises(InvalidSpec, match="unknown datastore type"):
        parse_datastore({"type": "ftp", "name": "x"})
    bad = blob_doc(account_key=SECRET)
    bad["account_name"] = "Not_Valid!"
    bad["extra"] = 1
    with pytest.raises(InvalidSpec) as info:
        parse_datastore(bad)
    locs = {e["loc"] for e in info.value.details["errors"]}
    assert locs == {"account_name", "extra"}
    assert SECRET not in json.dumps(info.value.to_payload())
    with pytest.raises(InvalidSpec, match="credentials"):
        parse_datastore(blob_doc(password=SECRET))


def test_local_datastore_document(tmp_path: Path) -> None:
    config = parse_datastore({"type": "local", "name": "scratch", "path": str(tmp_path)})
    assert config.public_view() == {
        "type": "local",
        "name": "scratch",
        "path": str(tmp_path),
        "tags": {},
    }


def test_concurrent_first_use_creates_one_key(tmp_path: Path) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        boxes = list(pool.map(lambda _: SecretBox.from_home(tmp_path, environ={}), range(8)))
    token = boxes[0].encrypt("shared")
    assert all(box.decrypt(token) == "shared" for box in boxes)
    assert [p.name for p in tmp_path.iterdir()] == ["secret.key"]


def test_identity_credentials_and_relative_local_paths(tmp_path: Path) -> None:
    blob = parse_datastore({**blob_doc(), "credentials": {}})
    assert blob.type == "azure_blob" and blob.credentials is None
    assert "credentials" not in blob.public_view()
    local = parse_datastore({"type": "local", "name": "lake", "path": "../lake"}, base_dir=tmp_path)
    assert local.type == "local" and local.path == str(tmp_path.parent.resolve() / "lake")
