"""The studio in a real browser (Debian's Chromium through Playwright) against a real server:
the acceptance walk of the issue — list, live graph, failure, outputs, compare, lineage, cancel."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from .conftest import FAILING, GATED, HELLO, NESTED, REFRESH, Studio, screenshot

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Page

WAIT_MS = 20_000


def sign_in(page: Page, studio: Studio, target: str) -> None:
    page.goto(studio.login_url(target))
    page.wait_for_url(re.compile(re.escape(target.split("?")[0]) + r"(\?.*)?$"))


def no_script_ran(page: Page) -> None:
    assert page.dialogs == [], f"a dialog opened: {page.dialogs}"  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def hello(studio: Studio) -> tuple[str, str]:
    """Two completed runs of the same pipeline with a different parameter."""
    first = studio.submit(HELLO, file="hello.yml")
    second = studio.submit(HELLO, "inputs.greeting=bonjour", file="hello.yml")
    for name in (first, second):
        assert studio.wait(name) == "Completed", studio.job(name)
    return first, second


def test_the_job_list_shows_filters_and_pages(
    page: Page, studio: Studio, hello: tuple[str, str], tmp_path: Path
) -> None:
    sign_in(page, studio, "/jobs")
    rows = page.locator("table#jobs tbody tr[data-job]")
    assert rows.count() >= 2
    row = page.locator(f'tr[data-job="{hello[0]}"]')
    assert row.locator(".status").inner_text() == "Completed"
    assert "hello" in row.inner_text() and "studio-tests" in row.inner_text()
    assert "team=search" in row.inner_text()
    screenshot(page, "studio-jobs.png", tmp_path)
    page.fill('input[name="q"]', hello[1])
    page.click("form.filters button")
    page.wait_for_url(re.compile(r"q="))
    assert page.locator("table#jobs tbody tr[data-job]").count() == 1
    page.select_option('select[name="status"]', "Failed")
    page.click("form.filters button")
    page.wait_for_url(re.compile(r"status=Failed"))
    assert page.locator("table#jobs tbody tr[data-job]").count() == 0
    no_script_ran(page)


def test_a_running_step_turns_completed_without_a_reload(
    page: Page, studio: Studio, tmp_path: Path
) -> None:
    gate = studio.project / "gate-open"
    name = studio.submit(GATED, f"inputs.gate={gate}", file="gated.yml")
    studio.wait_step(name, "wait", {"Running"})
    sign_in(page, studio, f"/jobs/{name}")
    node = page.locator('#graph g.node[data-step="wait"]')
    assert node.get_attribute("data-status") == "Running"
    page.evaluate("window.__sameDocument = true")
    page.click('#graph g.node[data-step="wait"]')
    page.wait_for_selector('#step-panel[data-step="wait"]')
    expect(page.locator("#log")).to_contain_text("waiting", timeout=WAIT_MS)
    screenshot(page, "studio-job-running.png", tmp_path)
    gate.touch()
    page.wait_for_selector(
        '#graph g.node[data-step="wait"][data-status="Completed"]', timeout=WAIT_MS
    )
    page.wait_for_selector(
        '#graph g.node[data-step="last"][data-status="Completed"]', timeout=WAIT_MS
    )
    page.wait_for_selector('#job-status[data-status="Completed"]', timeout=WAIT_MS)
    assert page.evaluate("window.__sameDocument") is True  # the page was never reloaded
    expect(page.locator("#log")).to_contain_text("released", timeout=WAIT_MS)
    no_script_ran(page)


def test_a_failed_job_shows_its_root_failure_and_log_lines(
    page: Page, studio: Studio, tmp_path: Path
) -> None:
    name = studio.submit(FAILING, file="failing.yml")
    assert studio.wait(name) == "Failed"
    sign_in(page, studio, f"/jobs/{name}")
    root = page.locator("#root-failure")
    assert "explode" in root.locator("h3").inner_text()
    assert "fatal - the model diverged" in root.locator("pre").inner_text()
    assert page.locator('#graph g.node[data-step="explode"]').get_attribute("data-status") == (
        "Failed"
    )
    screenshot(page, "studio-job-failed.png", tmp_path)
    root.locator("a").click()
    page.wait_for_selector('#step-panel[data-step="explode"]')
    panel = page.locator("#step-panel")
    assert "exit" in panel.inner_text().lower()
    page.fill("form.log-search input", "diverged")
    page.click("form.log-search button")
    page.wait_for_selector(".log-results:not([hidden])")
    hits = page.locator(".log-results").inner_text().splitlines()
    assert len(hits) == 1 and re.match(r"^2: .*fatal - the model diverged$", hits[0]), hits
    no_script_ran(page)


def test_a_steps_outputs_can_be_seen_and_downloaded(
    page: Page, studio: Studio, hello: tuple[str, str], tmp_path: Path
) -> None:
    sign_in(page, studio, f"/jobs/{hello[0]}")
    page.click('#graph g.node[data-step="make"]')
    page.wait_for_selector('#step-panel[data-step="make"]')
    outputs = page.locator("#outputs")
    assert "uri_folder" in outputs.inner_text() and "word.txt" in outputs.inner_text()
    panel = page.locator("#step-panel").inner_text()
    assert "echo hello" in panel  # the rendered command, with its value
    assert "words:1" in panel  # the data asset it read
    screenshot(page, "studio-step-panel.png", tmp_path)
    with page.expect_download() as download:
        outputs.locator("tr.file a.download").first.click()
    saved = tmp_path / "word.txt"
    download.value.save_as(saved)
    assert saved.read_text() == "hello\n"
    no_script_ran(page)


def test_two_jobs_compare_step_by_step(
    page: Page, studio: Studio, hello: tuple[str, str], tmp_path: Path
) -> None:
    sign_in(page, studio, f"/compare?a={hello[0]}&b={hello[1]}")
    make = page.locator('#compare tr[data-step="make"]')
    assert "parameter word: hello → bonjour" in make.inner_text()
    shout = page.locator('#compare tr[data-step="shout"]')
    assert "input hash src" in shout.inner_text()
    screenshot(page, "studio-compare.png", tmp_path)
    no_script_ran(page)


def test_lineage_leads_from_a_model_to_its_data(
    page: Page, studio: Studio, hello: tuple[str, str], tmp_path: Path
) -> None:
    model = studio.write(
        "model.yml",
        "$schema: https://azuremlschemas.azureedge.net/latest/model.schema.json\n"
        f"name: loud-model\nversion: 1\ntype: custom_model\n"
        f"path: azureml://jobs/{hello[0]}/outputs/final\n",
    )
    with studio.client() as client:
        client.create_asset("models", model)
        shown = client.show_asset("models", "loud-model")
    assert shown["produced_by"] == {"job": hello[0], "output": "final"}
    sign_in(page, studio, "/assets/models/loud-model/1")
    assert f"{hello[0]} / shout" in page.locator("#producer").inner_text()
    lineage = page.locator("svg#lineage")
    for node in (f"step:{hello[0]}/shout", f"step:{hello[0]}/make"):
        assert lineage.locator(f'g[data-node="{node}"]').count() == 1
    screenshot(page, "studio-lineage.png", tmp_path)
    data = lineage.locator("a.lineage-link", has=page.locator("text=words:1"))
    data.click()
    page.wait_for_url(re.compile(r"/assets/data/words/1"))
    assert "make" in page.locator("#consumers").inner_text()
    no_script_ran(page)


def test_a_running_job_is_canceled_from_its_page(
    page: Page, studio: Studio, tmp_path: Path
) -> None:
    name = studio.submit(GATED, f"inputs.gate={studio.project / 'never'}", file="gated.yml")
    studio.wait_step(name, "wait", {"Running"})
    sign_in(page, studio, f"/jobs/{name}")
    page.click("#cancel")
    page.wait_for_selector('#job-status[data-status="Canceled"]', timeout=WAIT_MS)
    assert studio.job(name)["status"] == "Canceled"
    assert page.dialogs == [f"Cancel job {name}?"]  # type: ignore[attr-defined]
    assert page.locator("#cancel").is_disabled()
    screenshot(page, "studio-canceled.png", tmp_path)


def test_the_timeline_and_computes_pages_draw(
    page: Page, studio: Studio, hello: tuple[str, str], tmp_path: Path
) -> None:
    sign_in(page, studio, f"/jobs/{hello[0]}/timeline")
    rows = page.locator("svg.gantt g.row")
    assert rows.count() == 2
    assert page.locator("svg.gantt g.row.critical").count() == 2  # make → shout is the path
    assert page.locator("svg.gantt rect.bar.running").count() == 2
    screenshot(page, "studio-timeline.png", tmp_path)
    page.goto(f"{studio.url}/computes")
    assert page.locator('#computes tr[data-compute="local"]').count() == 1


def test_a_job_is_rerun_from_its_page_reusing_its_steps(
    page: Page, studio: Studio, hello: tuple[str, str]
) -> None:
    sign_in(page, studio, f"/jobs/{hello[0]}")
    page.click("#rerun")
    started = page.locator("#action-message")
    expect(started).to_contain_text("started ", timeout=WAIT_MS)
    name = started.inner_text().split("started ", 1)[1].split()[0]
    assert name != hello[0]
    assert studio.wait(name) == "Completed"
    assert all(step["reused"] for step in studio.job(name)["jobs"].values())
    started.locator("a").click()
    page.wait_for_url(re.compile(re.escape(f"/jobs/{name}")))
    expect(page.locator('#graph g.node[data-step="make"] .badge')).to_have_text("♻ reused")
    assert page.dialogs == [f"Rerun job {hello[0]}?"]  # type: ignore[attr-defined]


def test_nested_components_are_collapsible_groups(
    page: Page, studio: Studio, tmp_path: Path
) -> None:
    studio.write("refresh.yml", REFRESH)
    name = studio.submit(NESTED, file="regions.yml")
    assert studio.wait(name) == "Completed", studio.job(name)
    sign_in(page, studio, f"/jobs/{name}")
    assert page.locator("#graph g.frame").count() == 2
    assert page.locator('#graph g.node[data-step="north/load"]').count() == 1
    labels = page.locator("#graph text.edge-label").all_text_contents()
    assert "out → a" in labels and "out → src" in labels
    screenshot(page, "studio-graph-groups.png", tmp_path)
    page.click("a.group-toggle:has-text('north')")
    page.wait_for_url(re.compile(r"collapse=north"))
    group = page.locator('#graph g.node.group[data-step="north"]')
    expect(group.locator(".detail")).to_have_text("Completed · 2 steps")
    assert page.locator('#graph g.node[data-step="north/load"]').count() == 0
    assert page.locator("#graph g.frame").count() == 1
    group.click()  # expands it again
    page.wait_for_url(re.compile(r"/jobs/[a-z0-9_]+$"))
    assert page.locator("#graph g.frame").count() == 2
