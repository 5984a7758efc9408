"""The studio is safe to expose to a team: nothing without a session, one-time login codes,
cookies out of scripts' and other sites' reach, cross-site changes refused, user-provided text
rendered as text, and no path leading out of a snapshot or an output."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from .conftest import FAILING, Studio, pipeline

if TYPE_CHECKING:
    from collections.abc import Iterator

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
XSS_JOB = pipeline(
    """
    display_name: 'hostile <script>alert("dn")</script>'
    description: '<img src=x onerror=alert("desc")>'
    experiment_name: studio-tests
    tags:
      '<b onmouseover=alert(1)>tag</b>': '<script>alert("tag")</script>'
    jobs:
      evil:
        type: command
        display_name: '<svg onload=alert("node")>'
        code: ./hostile
        command: >-
          echo '<script>alert("log")</script>' &&
          touch ${{outputs.out}}/'<img src=x onerror=alert(2)>.txt'
        environment: @ENV@
        outputs:
          out:
            type: uri_folder
    """
)
PAGES = [
    "/",
    "/jobs",
    "/jobs/NAME",
    "/jobs/NAME?step=evil",
    "/jobs/NAME/panel?step=evil",
    "/jobs/NAME/summary",
    "/jobs/NAME/timeline",
    "/jobs/NAME/code?step=evil",
    "/jobs/NAME/log?step=evil",
    "/jobs/NAME/download?step=evil&output=out",
    "/events/jobs",
    "/events/jobs/NAME",
    "/compare?a=NAME&b=NAME",
    "/assets",
    "/assets/models",
    "/assets/data/words",
    "/assets/data/words/1",
    "/computes",
]


@pytest.fixture(scope="module")
def hostile(studio: Studio) -> str:
    snapshot = studio.project / "hostile"
    snapshot.mkdir()
    (snapshot / '"><svg onload=alert("file")>.py').write_text('print("<script>x</script>")\n')
    name = studio.submit(XSS_JOB, file="hostile.yml")
    assert studio.wait(name) == "Completed", studio.job(name)
    return name


@pytest.fixture(scope="module")
def browser_like(studio: Studio) -> Iterator[httpx.Client]:
    client = studio.signed_in()
    try:
        yield client
    finally:
        client.close()


def _csrf(client: httpx.Client) -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/jobs").text)
    assert found is not None
    return found.group(1)


def test_pages_refuse_a_caller_without_the_session_cookie(studio: Studio, hostile: str) -> None:
    with httpx.Client(base_url=studio.url) as anonymous:
        for path in PAGES:
            response = anonymous.get(path.replace("NAME", hostile))
            assert response.status_code == 401, path
            assert hostile not in response.text
        assert anonymous.post(f"/jobs/{hostile}/cancel").status_code == 401
    with httpx.Client(base_url=studio.url, cookies={"cairn_studio": "made-up"}) as forged:
        assert forged.get("/jobs").status_code == 401


def test_every_page_answers_a_signed_in_browser(
    studio: Studio, hostile: str, browser_like: httpx.Client
) -> None:
    for path in PAGES:
        if path.startswith("/events/"):
            continue  # streams; read in the browser tests
        response = browser_like.get(path.replace("NAME", hostile))
        assert response.status_code in (200, 303), (path, response.text[:500])


def test_a_login_code_works_once_and_sets_a_strict_httponly_cookie(studio: Studio) -> None:
    url = studio.login_url("/jobs").removeprefix(studio.url)
    with httpx.Client(base_url=studio.url) as first:
        response = first.get(url)
        assert response.status_code == 200
        cookie = response.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
        assert 'http-equiv="refresh"' in response.text and "url=/jobs" in response.text
        assert first.get("/jobs").status_code == 200
    with httpx.Client(base_url=studio.url) as second:
        again = second.get(url)
        assert again.status_code == 401
        assert "set-cookie" not in again.headers
        assert second.get("/jobs").status_code == 401


def test_a_login_link_only_leads_to_this_server(studio: Studio) -> None:
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"):
        response = studio.api.post("/studio/login-codes", json={"next": target})
        assert response.status_code == 201
        assert "next=%2Fjobs" in response.json()["url"]


def test_pages_carry_a_strict_content_security_policy(browser_like: httpx.Client) -> None:
    response = browser_like.get("/jobs")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy
    assert "unsafe-inline" not in policy and "http" not in policy
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "<script>" not in response.text  # only `<script src=…>`: no inline script at all
    assert re.search(r"<script(?![^>]*\bsrc=)", response.text) is None


def test_user_provided_text_is_rendered_as_text(
    studio: Studio, hostile: str, browser_like: httpx.Client
) -> None:
    pages = [
        f"/jobs/{hostile}?step=evil",
        f"/jobs?q={hostile}",
        f"/jobs/{hostile}/timeline",
        f"/jobs/{hostile}/code?step=evil",
        f"/compare?a={hostile}&b={hostile}",
    ]
    text = "\n".join(browser_like.get(path).text for path in pages)
    for raw in ("<script>alert", "<img src=x", "<svg onload", "<b onmouseover"):
        assert raw not in text, raw
    assert "&lt;script&gt;alert(&#34;dn&#34;)&lt;/script&gt;" in text  # display name
    assert "&lt;svg onload=alert(&#34;node&#34;)&gt;" in text  # node name
    assert "&lt;script&gt;alert(&#34;log&#34;)&lt;/script&gt;" in text  # log line
    assert "&lt;img src=x onerror=alert(2)&gt;.txt" in text  # output file name
    assert "&lt;svg onload=alert(&#34;file&#34;)&gt;.py" in text  # snapshot file name
    assert "&lt;b onmouseover=alert(1)&gt;tag&lt;/b&gt;" in text  # tag


def test_a_cross_origin_cancel_is_refused(studio: Studio, browser_like: httpx.Client) -> None:
    name = studio.submit(FAILING.replace("exit 3", "sleep 30"), file="slow.yml")
    studio.wait(name, {"Running"})
    token = _csrf(browser_like)
    path = f"/jobs/{name}/cancel"
    cases = [
        {"Origin": "http://evil.example", "X-CSRF-Token": token},
        {"X-CSRF-Token": token},  # no Origin: not one of our pages
        {"Origin": studio.url},  # no token
        {"Origin": studio.url, "X-CSRF-Token": "forged"},
        {"Origin": studio.url, "X-CSRF-Token": token, "Sec-Fetch-Site": "cross-site"},
    ]
    for headers in cases:
        response = browser_like.post(path, headers=headers)
        assert response.status_code == 403, headers
    assert studio.job(name)["status"] == "Running"
    allowed = browser_like.post(path, headers={"Origin": studio.url, "X-CSRF-Token": token})
    assert allowed.status_code == 200, allowed.text
    assert studio.wait(name) == "Canceled"


@pytest.mark.parametrize(
    "path",
    [
        "../../../../etc/passwd",
        "/etc/passwd",
        "%2e%2e/%2e%2e/etc/passwd",
        "..%2f..%2fetc%2fpasswd",
        "sub/../../secret",
        "a\x00b",
    ],
)
def test_paths_cannot_leave_a_snapshot_or_an_output(
    studio: Studio, hostile: str, browser_like: httpx.Client, path: str
) -> None:
    for route, params in (
        (f"/jobs/{hostile}/code", {"step": "evil"}),
        (f"/jobs/{hostile}/download", {"step": "evil", "output": "out"}),
    ):
        assert browser_like.get(route, params=params).status_code == 200
        response = browser_like.get(route, params={**params, "path": path})
        assert response.status_code in (400, 404), (route, path, response.status_code)
        assert "path_not_allowed" in response.text or "PathNotAllowed" in response.text
        assert "root:" not in response.text


def test_a_symlink_out_of_an_output_is_refused(
    studio: Studio, hostile: str, browser_like: httpx.Client
) -> None:
    committed = studio.job(hostile)["jobs"]["evil"]["outputs"]["out"]
    folder = Path(committed["path"])
    (folder / "passwd").symlink_to("/etc/passwd")
    (folder / "ok.txt").write_text("inside\n")
    base = f"/jobs/{hostile}/download"
    params = {"step": "evil", "output": "out"}
    assert browser_like.get(base, params={**params, "path": "ok.txt"}).text == "inside\n"
    refused = browser_like.get(base, params={**params, "path": "passwd"})
    assert refused.status_code in (400, 404)
    assert "root:" not in refused.text
