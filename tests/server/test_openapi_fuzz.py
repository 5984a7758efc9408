"""Schema-driven fuzzing of the REST API: every operation in `/api/v1/openapi.json`, called with
data generated from its schema (valid and invalid), must never answer 5xx, and the same call
without the token (or with a wrong one) must get 401 and nothing else.

In-process through the ASGI transport, a few examples per operation, bounded in time. Schemathesis'
pytest plugin is not used: each operation gets its own Hypothesis run inside one test, so one
report lists every failing operation.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from cairn.home import Home
from cairn.server.app import create_app
from cairn.server.run import ensure_token
from cairn.server.settings import ServerSettings

if TYPE_CHECKING:
    from collections.abc import Iterator

    from fastapi import FastAPI

BUDGET_S = 45.0
EXAMPLES = 8


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, str]]:
    home = Home(tmp_path_factory.mktemp("fuzz-home")).ensure()
    token = ensure_token(home)
    app = create_app(ServerSettings(home=home, token=token, run_engine=False))
    yield app, token
    app.state.cairn.close()


def _check(case: Any, token: str) -> None:
    where = f"{case.method} {case.formatted_path} query={case.query} body={str(case.body)[:200]}"
    try:
        answer = case.call(headers={"Authorization": f"Bearer {token}"})
    except Exception as exc:  # the ASGI transport re-raises what the app did not handle
        raise AssertionError(f"{where}: {type(exc).__name__}: {exc}") from exc
    assert answer.status_code < 500, f"{where}: {answer.status_code} {answer.text[:300]}"
    anonymous = case.call()
    assert anonymous.status_code == 401, f"{where}: {anonymous.status_code} without a token"
    assert anonymous.json()["code"] == "unauthenticated"
    wrong = case.call(headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401, f"{where}: {wrong.status_code} with a wrong token"


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_error_and_no_data_without_token(
    served: tuple[FastAPI, str], mode: GenerationMode
) -> None:
    app, token = served
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    deadline = time.monotonic() + BUDGET_S / 2
    failures: list[str] = []
    for operation in operations:
        assert time.monotonic() < deadline, "the fuzzing budget ran out"

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            _check(case, token)

        try:
            run()
        except Unsatisfiable:
            # An operation without parameters or body has no invalid form to generate.
            assert mode is GenerationMode.NEGATIVE
        except AssertionError as exc:
            failures.append(f"{operation.label}: {exc}".splitlines()[0])
    assert not failures, "\n".join(failures)
