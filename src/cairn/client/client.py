"""`Client`: typed calls to a Cairn server over HTTP (httpx). Errors come back as the same
`CairnError` classes the server raised; an unreachable server is a `ServerUnavailable`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from cairn.errors import CairnError, ServerUnavailable
from cairn.workspace.validity import require_valid

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from cairn.data.stat_cache import StatCache


class Client:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        workspace: str = "default",
        timeout: float = 60.0,
        cache: StatCache | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.workspace = workspace
        self.cache = cache
        self._http = httpx.Client(
            base_url=self.base_url + "/api/v1",
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- plumbing -----------------------------------------------------------------------------

    def _ws(self, path: str = "") -> str:
        return f"/workspaces/{self.workspace}{path}"

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ServerUnavailable(
                f"cannot reach the Cairn server at {self.base_url}: {exc}",
                hint="`cairn server status` says whether it runs; `cairn server start` starts it",
            ) from exc
        if response.status_code >= 400:
            raise _error(response)
        return response

    def get(self, path: str, **params: Any) -> Any:
        return self.request(
            "GET", path, params={k: v for k, v in params.items() if v is not None}
        ).json()

    def post(self, path: str, body: Any = None, **params: Any) -> Any:
        response = self.request(
            "POST", path, json=body, params={k: v for k, v in params.items() if v is not None}
        )
        return response.json() if response.content else None

    # -- uploads ------------------------------------------------------------------------------

    def upload_document(
        self, file: Path, report: Any, progress: Callable[[int, int], None] | None = None
    ) -> dict[str, Any]:
        """Send the files a validated document refers to (only those the server lacks); returns
        the manifest part of a create request."""
        from cairn.client.manifest import build_manifest

        manifest = build_manifest(file, report, self.cache)
        missing = self.post("/blobs/missing", {"hashes": sorted(set(manifest.files.values()))})[
            "missing"
        ]
        for done, content_hash in enumerate(missing, 1):
            with manifest.sources[content_hash].open("rb") as handle:
                self.request("PUT", f"/blobs/{content_hash}", content=handle)
            if progress is not None:
                progress(done, len(missing))
        return {"files": manifest.files, "entry": manifest.entry}

    # -- jobs ---------------------------------------------------------------------------------

    def create_job(
        self,
        file: Path,
        *,
        overrides: Sequence[str] = (),
        name: str | None = None,
        experiment_name: str | None = None,
        display_name: str | None = None,
        force_rerun: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> dict[str, Any]:
        from cairn.spec.validate import validate_job_file

        report = validate_job_file(file, overrides)
        require_valid(report, "job")
        body = self.upload_document(file, report, progress)
        from cairn.workspace.jobs import default_experiment, source_info

        body.update(
            set=list(overrides),
            name=name,
            experiment_name=experiment_name,
            display_name=display_name,
            force_rerun=force_rerun,
            default_experiment_name=default_experiment(Path.cwd()),
            source=source_info(file),
        )
        result: dict[str, Any] = self.post(self._ws("/jobs"), body)
        return result

    def show_job(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self.get(self._ws(f"/jobs/{name}"))
        return result

    def list_jobs(self, **filters: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.get(self._ws("/jobs"), **filters)
        return result

    def wait_job(self, name: str, timeout: float = 30.0) -> dict[str, Any]:
        result: dict[str, Any] = self.request(
            "GET", self._ws(f"/jobs/{name}/wait"), params={"timeout": timeout}, timeout=timeout + 30
        ).json()
        return result

    def cancel_job(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self.post(self._ws(f"/jobs/{name}/cancel"))
        return result

    def archive_job(self, name: str, archived: bool = True) -> dict[str, Any]:
        verb = "archive" if archived else "restore"
        result: dict[str, Any] = self.post(self._ws(f"/jobs/{name}/{verb}"))
        return result

    def job_logs(self, name: str, step: str | None = None) -> str:
        return self.request(
            "GET", self._ws(f"/jobs/{name}/logs"), params={"step": step} if step else {}
        ).text

    def follow_job(
        self, name: str, step: str | None = None
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """Server-sent events of a job: ("status", …), ("log", {step, line}), ("end", …)."""
        params: dict[str, Any] = {"follow": "true"}
        if step:
            params["step"] = step
        try:
            with self._http.stream(
                "GET", self._ws(f"/jobs/{name}/logs"), params=params, timeout=None
            ) as response:
                if response.status_code >= 400:
                    response.read()
                    raise _error(response)
                event = "message"
                for line in response.iter_lines():
                    if line.startswith("event: "):
                        event = line[len("event: ") :]
                    elif line.startswith("data: "):
                        yield event, json.loads(line[len("data: ") :])
        except httpx.TransportError as exc:
            raise ServerUnavailable(f"lost the connection to {self.base_url}: {exc}") from exc

    def download_job(
        self, name: str, target: Path, *, output_name: str | None = None, include_all: bool = False
    ) -> Path:
        params: dict[str, Any] = {"all": "true" if include_all else "false"}
        if output_name:
            params["output_name"] = output_name
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self._http.stream(
                "GET", self._ws(f"/jobs/{name}/download"), params=params, timeout=None
            ) as response:
                if response.status_code >= 400:
                    response.read()
                    raise _error(response)
                with target.open("wb") as handle:
                    for chunk in response.iter_bytes():
                        handle.write(chunk)
        except httpx.TransportError as exc:
            raise ServerUnavailable(f"lost the connection to {self.base_url}: {exc}") from exc
        return target

    # -- assets, computes, datastores, workspaces -----------------------------------------------

    def create_asset(
        self,
        kind: str,
        file: Path,
        *,
        name: str | None = None,
        version: str | None = None,
        overrides: Sequence[str] = (),
    ) -> dict[str, Any]:
        from cairn.spec import documents
        from cairn.spec.validate import validate_asset_file, validate_component_file

        if kind == "components":
            report = validate_component_file(file, overrides)
        else:
            wanted = {
                "data": documents.DATA,
                "environments": documents.ENVIRONMENT,
                "models": documents.MODEL,
            }[kind]
            report = validate_asset_file(file, overrides, kind=wanted)
        body = self.upload_document(file, report)
        body.update(name=name, version=version, set=list(overrides))
        result: dict[str, Any] = self.post(self._ws(f"/{kind}"), body)
        return result

    def list_assets(
        self, kind: str, name: str | None = None, include_archived: bool = False
    ) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.get(
            self._ws(f"/{kind}"), name=name, include_archived=include_archived
        )
        return result

    def show_asset(
        self, kind: str, name: str, version: str | None = None, label: str | None = None
    ) -> dict[str, Any]:
        result: dict[str, Any] = self.get(self._ws(f"/{kind}/{name}"), version=version, label=label)
        return result

    def archive_asset(
        self, kind: str, name: str, version: str | None = None, archived: bool = True
    ) -> list[dict[str, Any]]:
        verb = "archive" if archived else "restore"
        result: list[dict[str, Any]] = self.post(
            self._ws(f"/{kind}/{name}/{verb}"), version=version
        )
        return result

    def create_compute(
        self,
        file: Path | None = None,
        *,
        name: str | None = None,
        type: str | None = None,
        max_instances: int | None = None,
        overrides: Sequence[str] = (),
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name, "type": type, "max_instances": max_instances}
        if file is not None:
            from cairn.spec import documents
            from cairn.spec.validate import validate_asset_file

            report = validate_asset_file(file, overrides, kind=documents.COMPUTE)
            require_valid(report, "compute")
            body["manifest"] = {**self.upload_document(file, report), "set": list(overrides)}
        result: dict[str, Any] = self.post(self._ws("/computes"), body)
        return result

    def create_datastore(self, file: Path, *, overrides: Sequence[str] = ()) -> dict[str, Any]:
        from cairn.spec import documents
        from cairn.spec.validate import validate_asset_file

        report = validate_asset_file(file, overrides, kind=documents.DATASTORE)
        require_valid(report, "datastore")
        body = {**self.upload_document(file, report), "set": list(overrides)}
        result: dict[str, Any] = self.post(self._ws("/datastores"), body)
        return result

    def resources(self, kind: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.get(self._ws(f"/{kind}"))
        return result

    def resource(self, kind: str, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self.get(self._ws(f"/{kind}/{name}"))
        return result

    def delete_resource(self, kind: str, name: str) -> None:
        self.request("DELETE", self._ws(f"/{kind}/{name}"))

    def workspaces(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.get("/workspaces")
        return result

    def show_workspace(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self.get(f"/workspaces/{name}")
        return result

    def create_workspace(self, name: str, description: str | None = None) -> dict[str, Any]:
        result: dict[str, Any] = self.post(
            "/workspaces", {"name": name, "description": description}
        )
        return result

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self.get("/health")
        return result


def _error(response: httpx.Response) -> CairnError:
    try:
        payload = response.json()
    except ValueError:
        payload = {"code": "internal_error", "message": response.text or response.reason_phrase}
    if not isinstance(payload, dict) or "code" not in payload:
        payload = {"code": "internal_error", "message": f"HTTP {response.status_code}"}
    return CairnError.from_payload(payload)
