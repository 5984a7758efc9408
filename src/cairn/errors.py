"""Cairn's one error hierarchy.

Every failure Cairn reports on purpose is a `CairnError` with a stable `code`, the HTTP status the
server answers with, and the exit status the CLI ends with. The server serialises an error as
`{code, message, details}`; the client turns that back into the same class with `from_payload`;
the CLI prints one line and the hint. Anything that is not a `CairnError` is a bug in Cairn.

This module sits below every layer and imports nothing from the package.
"""

from __future__ import annotations

from typing import Any, ClassVar

_BY_CODE: dict[str, type[CairnError]] = {}


class CairnError(Exception):
    """Base of every error Cairn raises deliberately."""

    code: ClassVar[str] = "internal_error"
    http_status: ClassVar[int] = 500
    exit_code: ClassVar[int] = 1

    def __init__(
        self, message: str, *, hint: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details: dict[str, Any] = dict(details or {})

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _BY_CODE.setdefault(cls.code, cls)

    def to_payload(self) -> dict[str, Any]:
        """The wire form: `{code, message, details}` (the hint travels in details)."""
        details = dict(self.details)
        if self.hint:
            details["hint"] = self.hint
        return {"code": self.code, "message": self.message, "details": details}

    @staticmethod
    def from_payload(payload: dict[str, Any]) -> CairnError:
        """Rebuild the error a server sent, as the same class where the code is known."""
        details = dict(payload.get("details") or {})
        hint = details.pop("hint", None)
        cls = _BY_CODE.get(str(payload.get("code")), CairnError)
        return cls(str(payload.get("message", "")), hint=hint, details=details)

    def __str__(self) -> str:
        return self.message


class UsageError(CairnError):
    """The command or request itself is malformed (bad flag, bad `--set`)."""

    code = "usage_error"
    http_status = 400
    exit_code = 2


class InvalidSpec(CairnError):
    """A YAML document is not valid; `details["diagnostics"]` lists every problem found."""

    code = "invalid_spec"
    http_status = 422
    exit_code = 1


class YamlError(InvalidSpec):
    """A file cannot be read as YAML at all (syntax, encoding, limits)."""

    code = "invalid_yaml"


class LimitExceeded(YamlError):
    """A file exceeds a configured safety limit (size, aliases, depth, node count)."""

    code = "limit_exceeded"
    http_status = 413


class NotFound(CairnError):
    """A named thing (file, job, asset, compute) does not exist."""

    code = "not_found"
    http_status = 404
    exit_code = 3


class Conflict(CairnError):
    """The request conflicts with the current state (name taken, job already terminal)."""

    code = "conflict"
    http_status = 409


class PathNotAllowed(CairnError):
    """A path from a user, a URI or an archive would leave its root, or names a place Cairn refuses
    (traversal, absolute path, NUL byte, escaping symlink, private network address)."""

    code = "path_not_allowed"
    http_status = 400


class StorageError(CairnError):
    """A datastore's backend (object store, filesystem) refused or failed an operation."""

    code = "storage_error"
    http_status = 502


class Unauthenticated(CairnError):
    """No valid credentials came with the request."""

    code = "unauthenticated"
    http_status = 401
    exit_code = 4


class Forbidden(CairnError):
    """The caller may not do this."""

    code = "forbidden"
    http_status = 403
    exit_code = 4


class ServerUnavailable(CairnError):
    """The Cairn server cannot be reached (or could not be started)."""

    code = "server_unavailable"
    http_status = 503


class Unsupported(CairnError):
    """Valid for Azure ML, but a feature Cairn does not run (yet)."""

    code = "unsupported"
    http_status = 501


_BY_CODE[CairnError.code] = CairnError
