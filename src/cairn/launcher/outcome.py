"""How a launcher phase reports that the step cannot succeed: `StepFailure(reason, message)`.

Owns: the exception that carries a record's `reason` and `message` from the phase that detected
the failure to the one place (`run`) that writes the record.
Must not: be raised for bugs in the launcher itself; those are caught and recorded as
`launch_error` with the exception's text.
"""

from __future__ import annotations

from typing import ClassVar

from cairn.errors import CairnError
from cairn.launcher.protocol import Reason


class StepFailure(CairnError):
    """The step fails with `reason`; `message` is shown to the user as the step's error."""

    code: ClassVar[str] = "step_failed"

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason: Reason = reason
