"""Encrypting datastore credentials at rest.

Owns: the workspace secret key and the encrypt/decrypt of short secrets (account keys, SAS tokens)
with Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`). The key comes from the environment
variable `CAIRN_SECRET_KEY` when set (a Fernet key: 32 random bytes, URL-safe base64), else from
`<cairn home>/secret.key`, created on first use with mode 0600 and refused when other users could
read it.
Must not: log, print or put a key or a secret in an exception message.
"""

from __future__ import annotations

import contextlib
import os
import stat
import uuid
from typing import TYPE_CHECKING

from cryptography.fernet import Fernet, InvalidToken

from cairn.errors import UsageError
from cairn.home import SECRET_KEY_ENV

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

KEY_ENV_VAR = SECRET_KEY_ENV
KEY_FILE_NAME = "secret.key"


class SecretBox:
    """Encrypts and decrypts secrets with one workspace key. Its repr never shows the key."""

    def __init__(self, key: bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except ValueError:
            raise UsageError(
                "the Cairn secret key is malformed",
                hint=f"{KEY_ENV_VAR} must be 32 random bytes in URL-safe base64, as made by "
                "cryptography.fernet.Fernet.generate_key()",
            ) from None

    @classmethod
    def from_home(cls, home: Path, *, environ: Mapping[str, str] | None = None) -> SecretBox:
        """The box for `home`: the key from `CAIRN_SECRET_KEY`, else the 0600 key file there."""
        env = os.environ if environ is None else environ
        if value := env.get(KEY_ENV_VAR):
            return cls(value.encode("ascii", errors="replace"))
        return cls(_load_or_create_key(home / KEY_FILE_NAME))

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise UsageError(
                "a stored secret cannot be decrypted with this Cairn secret key",
                hint=f"set {KEY_ENV_VAR} to the key it was stored with, or register the "
                "datastore again with its credentials",
            ) from None

    def __repr__(self) -> str:
        return "SecretBox(<key hidden>)"


def _load_or_create_key(path: Path) -> bytes:
    if not path.exists():
        _create_key_file(path)
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise UsageError(
            f"the secret key file {str(path)!r} can be read by other users",
            hint=f"chmod 600 {path}",
        )
    return path.read_bytes().strip()


def _create_key_file(path: Path) -> None:
    """Write a new key so that a concurrent creator never sees a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key())
        # Losing the race means another process created the key first; use theirs.
        with contextlib.suppress(FileExistsError):
            os.link(temp, path)
    finally:
        temp.unlink(missing_ok=True)
