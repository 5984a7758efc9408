"""Listing jobs by a piece of text: name, display name or experiment, ignoring case, with `%`
and `_` taken literally; on SQLite and PostgreSQL alike."""

from __future__ import annotations

from cairn.store import JobStatus, NewJob, Store


def test_text_matches_name_display_name_and_experiment_ignoring_case(store: Store) -> None:
    jobs = [
        ("alpha_run", "Nightly Train", "vision"),
        ("beta_run", "nightly eval", "speech"),
        ("gamma_run", "ad hoc", "Nightly-Reports"),
        ("delta_run", "100%_done", "misc"),
        ("epsilon_run", "1000 done", "misc"),
    ]
    for name, display, experiment in jobs:
        store.jobs.create(
            "default",
            NewJob(
                type="pipeline",
                name=name,
                display_name=display,
                experiment_name=experiment,
                status=JobStatus.QUEUED,
            ),
            actor="ann",
        )

    def found(text: str) -> list[str]:
        return sorted(j.name for j in store.jobs.list("default", text=text).items)

    assert found("NIGHTLY") == ["alpha_run", "beta_run", "gamma_run"]
    assert found("ta_r") == ["beta_run", "delta_run"]
    assert found("%_") == ["delta_run"]  # wildcards are literal characters
    assert found("0_d") == []
    assert found("eval") == ["beta_run"]
    assert found("nothing like it") == []
    page = store.jobs.list("default", text="run", limit=2)
    rest = store.jobs.list("default", text="run", limit=10, cursor=page.next_cursor)
    assert len(page.items) == 2 and len(rest.items) == 3
