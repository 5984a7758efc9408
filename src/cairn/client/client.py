"""`Client`: typed calls to a Cairn server over HTTP. Errors come back as the same `CairnError`
classes the server raised; an unreachable server is a `ServerUnavailable`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from cairn.client.transport import Response, Transport
from cairn.errors import CairnError, InvalidSpec
from cairn.workspace.validity import require_valid

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from typing import BinaryIO

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
        self.workspace = workspace
        self.cache = cache
        self._http = Transport(
            base_url,
            prefix="/api/v1",
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=timeout,
        )
        self.base_url = self._http.base_url

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- plumbing -----------------------------------------------------------------------------

    def _ws(self, path: str = "") -> str:
        return f"/workspaces/{_q(self.workspace)}{path}"

    def request(self, method: str, path: str, **kwargs: Any) -> Response:
        """One call; `kwargs` as `Transport.request` (params, json_body, content, size, timeout)."""
        response = self._http.request(method, path, **kwargs)
        if response.status >= 400:
            raise _error(response)
        return response

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params).json()

    def post(self, path: str, body: Any = None, **params: Any) -> Any:
        return self.request("POST", path, json_body=body, params=params).json()

    # -- uploads ------------------------------------------------------------------------------

    def upload_document(
        self,
        file: Path,
        report: Any,
        progress: Callable[[int, int], None] | None = None,
        *,
        references: bool = True,
    ) -> dict[str, Any]:
        """Send a validated document and the files it refers to (only those the server lacks;
        only the document itself when `references` is False); returns the manifest part of a
        create request. `progress(sent_bytes, total_bytes)` is called as the bytes go out."""
        from cairn.client.manifest import build_manifest

        manifest = build_manifest(file, report, self.cache, references)
        missing = self.post("/blobs/missing", {"hashes": sorted(set(manifest.files.values()))})[
            "missing"
        ]
        sizes = {h: manifest.sources[h].stat().st_size for h in missing}
        meter = _Meter(sum(sizes.values()), progress)
        for content_hash in missing:
            with manifest.sources[content_hash].open("rb") as handle:
                self.request(
                    "PUT",
                    f"/blobs/{_q(content_hash)}",
                    content=meter.reader(handle),
                    size=sizes[content_hash],
                    timeout=600.0,
                )
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
        rerun_of: str | None = None,
        brief: bool = False,
    ) -> dict[str, Any]:
        """Submit a job file. `rerun_of` names the job this one redoes (`--from`): it must
        exist, and the new job records it; its completed steps are reused where unchanged.
        `brief`: the answer is the job's name, status and warnings, not its whole record."""
        from concurrent.futures import ThreadPoolExecutor

        from cairn.spec.validate import validate_job_file
        from cairn.workspace.jobs import default_experiment, source_info

        if rerun_of is not None:
            self.show_job(rerun_of)  # NotFound here, before anything is uploaded
        # Asking git where the file comes from takes milliseconds of waiting on git's processes:
        # done meanwhile, on a thread of its own.
        with ThreadPoolExecutor(max_workers=1) as pool:
            origin = pool.submit(source_info, file)
            report = validate_job_file(file, overrides)
            require_valid(report, "job")
            body = self.upload_document(file, report, progress)
            source = origin.result()
        body.update(
            set=list(overrides),
            name=name,
            experiment_name=experiment_name,
            display_name=display_name,
            force_rerun=force_rerun,
            default_experiment_name=default_experiment(Path.cwd()),
            source={**source, **({"rerun_of": rerun_of} if rerun_of else {})},
            brief=brief,
        )
        result: dict[str, Any] = self.post(self._ws("/jobs"), body)
        return result

    def rerun_job(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self.post(self._ws(f"/jobs/{_q(name)}/rerun"))
        return result

    def step_launch_spec(self, name: str, step: str, local_dir: str) -> dict[str, Any]:
        result: dict[str, Any] = self.get(
            self._ws(f"/jobs/{_q(name)}/steps/{_q(step)}/launch"), local_dir=local_dir
        )
        return result

    def explain_reuse(self, name: str, step: str) -> dict[str, Any]:
        result: dict[str, Any] = self.get(self._ws(f"/jobs/{_q(name)}/steps/{_q(step)}/reuse"))
        return result

    def show_job(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self.get(self._ws(f"/jobs/{_q(name)}"))
        return result

    def list_jobs(self, **filters: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.get(self._ws("/jobs"), **filters)
        return result

    def wait_job(self, name: str, timeout: float = 30.0) -> dict[str, Any]:
        result: dict[str, Any] = self.request(
            "GET",
            self._ws(f"/jobs/{_q(name)}/wait"),
            params={"timeout": timeout},
            timeout=timeout + 30,
        ).json()
        return result

    def cancel_job(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self.post(self._ws(f"/jobs/{_q(name)}/cancel"))
        return result

    def archive_job(self, name: str, archived: bool = True) -> dict[str, Any]:
        verb = "archive" if archived else "restore"
        result: dict[str, Any] = self.post(self._ws(f"/jobs/{_q(name)}/{verb}"))
        return result

    def job_logs(self, name: str, step: str | None = None) -> str:
        return self.request(
            "GET", self._ws(f"/jobs/{_q(name)}/logs"), params={"step": step} if step else {}
        ).text

    def follow_job(
        self, name: str, step: str | None = None
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """Server-sent events of a job: ("status", …), ("log", {step, line}), ("end", …)."""

        params = {"follow": True, "step": step}
        with self._http.stream(
            "GET", self._ws(f"/jobs/{_q(name)}/logs"), params=params
        ) as response:
            if response.status >= 400:
                raise _error(response.read())
            event = "message"
            for line in response.iter_lines():
                if line.startswith("event: "):
                    event = line[len("event: ") :]
                elif line.startswith("data: "):
                    yield event, json.loads(line[len("data: ") :])

    def download_job(
        self, name: str, target: Path, *, output_name: str | None = None, include_all: bool = False
    ) -> Path:
        params = {"all": include_all, "output_name": output_name or None}
        target.parent.mkdir(parents=True, exist_ok=True)
        path = self._ws(f"/jobs/{_q(name)}/download")
        with self._http.stream("GET", path, params=params) as response:
            if response.status >= 400:
                raise _error(response.read())
            with target.open("wb") as handle:
                for chunk in response.iter_bytes():
                    handle.write(chunk)
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
        progress: Callable[[int, int], None] | None = None,
    ) -> dict[str, Any]:
        """Register a new version of an asset (`kind`: components, data, environments, models)
        from its YAML file; local files it names are uploaded first."""
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
        _require_valid(report, "component" if kind == "components" else kind.removesuffix("s"))
        body = self.upload_document(file, report, progress)
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
        result: dict[str, Any] = self.get(
            self._ws(f"/{kind}/{_q(name)}"), version=version, label=label
        )
        return result

    def archive_asset(
        self, kind: str, name: str, version: str | None = None, archived: bool = True
    ) -> list[dict[str, Any]]:
        verb = "archive" if archived else "restore"
        result: list[dict[str, Any]] = self.post(
            self._ws(f"/{kind}/{_q(name)}/{verb}"), version=version
        )
        return result

    def prune_environments(self, older_than_s: float) -> dict[str, Any]:
        """Remove built environments no step has used for `older_than_s` seconds (never one a
        running step uses); says what was removed and the space freed."""
        path = self._ws("/environments/prune")
        params = {"older_than_s": older_than_s}
        result: dict[str, Any] = self.request("POST", path, params=params, timeout=600.0).json()
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
            _require_valid(report, "compute")
            body["manifest"] = {**self.upload_document(file, report), "set": list(overrides)}
        result: dict[str, Any] = self.post(self._ws("/computes"), body)
        return result

    def create_datastore(self, file: Path, *, overrides: Sequence[str] = ()) -> dict[str, Any]:
        from cairn.spec import documents
        from cairn.spec.validate import validate_asset_file

        report = validate_asset_file(file, overrides, kind=documents.DATASTORE)
        _require_valid(report, "datastore")
        # A local datastore is a place, not content: send its folder's absolute path (as the
        # file means it, relative to the file) rather than a copy of what is in it.
        located = _local_datastore_path(file, report.entity)
        body = {
            **self.upload_document(file, report, references=located is None),
            "set": [*overrides, *([f"path={json.dumps(str(located))}"] if located else [])],
        }
        result: dict[str, Any] = self.post(self._ws("/datastores"), body)
        return result

    def resources(self, kind: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.get(self._ws(f"/{kind}"))
        return result

    def resource(self, kind: str, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self.get(self._ws(f"/{kind}/{_q(name)}"))
        return result

    def delete_resource(self, kind: str, name: str) -> None:
        self.request("DELETE", self._ws(f"/{kind}/{_q(name)}"))

    def workspaces(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.get("/workspaces")
        return result

    def show_workspace(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self.get(f"/workspaces/{_q(name)}")
        return result

    def create_workspace(self, name: str, description: str | None = None) -> dict[str, Any]:
        result: dict[str, Any] = self.post(
            "/workspaces", {"name": name, "description": description}
        )
        return result

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self.get("/health")
        return result


def _local_datastore_path(file: Path, entity: Any) -> Path | None:
    path = getattr(entity, "path", None)
    if getattr(entity, "type", None) != "local" or not isinstance(path, str):
        return None
    folder = Path(path).expanduser()
    return folder if folder.is_absolute() else (file.resolve().parent / folder).resolve()


def _q(segment: str) -> str:
    """A name as one path segment: `/`, `?`, `#` and spaces cannot reshape the URL."""
    return quote(segment, safe="")


def _require_valid(report: Any, what: str) -> None:
    """`require_valid`, with a hint that names a command that exists for `what`."""
    try:
        require_valid(report, what)
    except InvalidSpec as exc:
        if what not in ("job", "component"):
            exc.hint = f"fix the problems listed above in {report.file}"
        raise


def _error(response: Response) -> CairnError:
    try:
        payload = response.json()
    except ValueError:
        payload = {"code": "internal_error", "message": response.text or response.reason}
    if not isinstance(payload, dict) or "code" not in payload:
        payload = {"code": "internal_error", "message": f"HTTP {response.status}"}
    return CairnError.from_payload(payload)


class _Meter:
    """Counts bytes as uploads read them and reports them to a progress callback."""

    def __init__(self, total: int, progress: Callable[[int, int], None] | None) -> None:
        self.total = total
        self.sent = 0
        self.progress = progress

    def reader(self, handle: BinaryIO) -> BinaryIO:
        if self.progress is None:
            return handle
        return _CountingReader(handle, self)  # type: ignore[return-value]

    def add(self, count: int) -> None:
        self.sent += count
        if self.progress is not None and count:
            self.progress(self.sent, self.total)


class _CountingReader:
    def __init__(self, handle: BinaryIO, meter: _Meter) -> None:
        self._handle = handle
        self._meter = meter
        self._start = meter.sent

    def read(self, size: int = -1) -> bytes:
        block = self._handle.read(size)
        self._meter.add(len(block))
        return block

    def seek(self, offset: int, whence: int = 0) -> int:
        # A retried upload starts over: take back what this file had counted.
        self._meter.sent = self._start
        return self._handle.seek(offset, whence)
