"""`cairn job …`: the `az ml job` verbs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cairn.cli.common import (
    DebugOption,
    OutputFormat,
    OutputOption,
    QueryOption,
    ResourceGroupOption,
    SetOption,
    SubscriptionOption,
    WorkspaceOption,
    client,
    emit,
)

app = typer.Typer(
    help="Create, watch and inspect jobs (`az ml job`).",
    no_args_is_help=True,
    rich_markup_mode=None,
)

FileOption = Annotated[
    Path, typer.Option("--file", "-f", help="The job YAML file.", show_default=False)
]
NameOption = Annotated[
    str, typer.Option("--name", "-n", help="The job's name.", show_default=False)
]
LIST_COLUMNS = [
    "name",
    "display_name",
    "status",
    "experiment_name",
    "creation_context.created_at",
    "compute",
]


@app.command("validate")
def validate(
    file: FileOption,
    set_: SetOption = None,
    output: OutputOption = OutputFormat.table,
    query: QueryOption = None,
    debug: DebugOption = False,
) -> None:
    """Check a job file and everything it refers to, reporting every problem at once.

    Exits 0 when the job is valid (and prints its steps and their dependencies), 1 when it is
    not (listing each problem as file:line:col with a hint), 2 on usage errors.

    \b
    Examples:
      cairn job validate --file pipeline.yml
      cairn job validate -f pipeline.yml --set settings.default_compute=local
      cairn job validate -f pipeline.yml -o json --query "graph.steps[].id"
    """
    from cairn.cli.validation import check_file, print_report
    from cairn.spec.validate import validate_job_file

    check_file(file)
    report = validate_job_file(file, overrides=set_ or [])
    raise typer.Exit(print_report(report, output, query))


@app.command("create")
def create(
    file: FileOption,
    name: Annotated[
        str | None, typer.Option("--name", "-n", help="Name the job (default: generated).")
    ] = None,
    set_: SetOption = None,
    stream: Annotated[
        bool, typer.Option("--stream", "-s", help="Follow the job until it ends.")
    ] = False,
    web: Annotated[bool, typer.Option("--web", "-e", help="Print the job's studio link.")] = False,
    experiment_name: Annotated[
        str | None, typer.Option("--experiment-name", help="Override the experiment.")
    ] = None,
    display_name: Annotated[
        str | None, typer.Option("--display-name", help="Override the display name.")
    ] = None,
    force_rerun: Annotated[
        bool, typer.Option("--force-rerun", help="Run every step; reuse nothing.")
    ] = False,
    from_job: Annotated[
        str | None,
        typer.Option(
            "--from", help="Redo this earlier job with the edited file: unchanged steps are reused."
        ),
    ] = None,
    workspace: WorkspaceOption = "default",
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.json,
    query: QueryOption = None,
    debug: DebugOption = False,
) -> None:
    """Submit a job: validate it, send the files it refers to, and queue it.

    The first call starts the local Cairn server for this Cairn home if none runs.

    \b
    Examples:
      cairn job create --file pipeline.yml --stream
      cairn job create -f pipeline.yml --set inputs.epochs=20 --query name -o tsv
      run_id=$(cairn job create -f pipeline.yml --query name -o tsv)
      cairn job create -f pipeline.yml --from brave_river_4x7k2m9q --stream
    """
    from cairn.cli.progress import upload_progress
    from cairn.cli.validation import check_file

    check_file(file)
    api = client(workspace, resource_group, subscription)
    with upload_progress(file.name) as progress:
        job = api.create_job(
            file,
            overrides=set_ or [],
            name=name,
            experiment_name=experiment_name,
            display_name=display_name,
            force_rerun=force_rerun,
            progress=progress,
            rerun_of=from_job,
            brief=stream,  # followed: the record is printed when the job ends
        )
    _warn(job.pop("warnings", []))
    if web:
        _web(api, job)
    if not stream:
        emit(job, output, query)
        return
    from cairn.cli.stream import follow

    raise typer.Exit(follow(api, job["name"]))


@app.command("rerun")
def rerun(
    name: NameOption,
    stream: Annotated[
        bool, typer.Option("--stream", "-s", help="Follow the new job until it ends.")
    ] = False,
    workspace: WorkspaceOption = "default",
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.json,
    query: QueryOption = None,
    debug: DebugOption = False,
) -> None:
    """Run a job again with exactly its plan (same inputs, same code snapshots): completed steps
    are reused, failed, canceled and downstream steps run.

    \b
    Examples:
      cairn job rerun --name brave_river_4x7k2m9q --stream
      cairn job rerun -n brave_river_4x7k2m9q --query name -o tsv
    """
    api = client(workspace, resource_group, subscription)
    job = api.rerun_job(name)
    if not stream:
        emit(job, output, query)
        return
    from cairn.cli.stream import follow

    raise typer.Exit(follow(api, job["name"]))


@app.command("run-step")
def run_step(
    name: NameOption,
    step: Annotated[str, typer.Option("--step", help="The step (nested: `outer/inner`).")],
    local_dir: Annotated[
        Path | None,
        typer.Option("--local-dir", help="Where to run it (default: ./<job>-<step>)."),
    ] = None,
    workspace: WorkspaceOption = "default",
    debug: DebugOption = False,
) -> None:
    """Run one step of an earlier job again, in the foreground, with the exact inputs, code and
    environment it had — for debugging. Its outputs stay in the folder; nothing is recorded.

    \b
    Examples:
      cairn job run-step --name brave_river_4x7k2m9q --step train_model
      cairn job run-step -n brave_river_4x7k2m9q --step prep/clean --local-dir /tmp/debug
    """
    from cairn.cli.run_step import run_locally

    folder = (local_dir or Path(f"{name}-{step.replace('/', '.')}")).resolve()
    raise typer.Exit(run_locally(client(workspace), name, step, folder))


@app.command("explain-reuse")
def explain_reuse(
    name: NameOption,
    step: Annotated[str, typer.Option("--step", help="The step (nested: `outer/inner`).")],
    workspace: WorkspaceOption = "default",
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.table,
    query: QueryOption = None,
    debug: DebugOption = False,
) -> None:
    """Why a step ran or was reused: its reuse key part by part, beside the nearest earlier
    candidate (the step it was reused from, or the last run of the same step).

    \b
    Examples:
      cairn job explain-reuse --name brave_river_4x7k2m9q --step train_model
      cairn job explain-reuse -n brave_river_4x7k2m9q --step prep/clean -o json
    """
    found = client(workspace, resource_group, subscription).explain_reuse(name, step)
    if output is not OutputFormat.table or query:
        emit(found, output, query)
        return
    from cairn.cli.reuse import print_explanation

    print_explanation(found)


@app.command("show")
def show(
    name: NameOption,
    web: Annotated[bool, typer.Option("--web", "-e", help="Print the job's studio link.")] = False,
    workspace: WorkspaceOption = "default",
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.json,
    query: QueryOption = None,
    debug: DebugOption = False,
) -> None:
    """Show a job: status, inputs, outputs, timing per phase, and for a pipeline its steps.

    \b
    Examples:
      cairn job show --name brave_river_4x7k2m9q
      cairn job show -n brave_river_4x7k2m9q --query status -o tsv
      cairn job show -n brave_river_4x7k2m9q --query "jobs.*.[display_name, status]" -o table
    """
    api = client(workspace, resource_group, subscription)
    job = api.show_job(name)
    if web:
        _web(api, job)
    emit(job, output, query)


@app.command("list")
def list_(
    max_results: Annotated[int, typer.Option("--max-results", "-r", help="How many jobs.")] = 50,
    all_results: Annotated[
        bool, typer.Option("--all-results", help="Every job (no limit).")
    ] = False,
    parent_job_name: Annotated[
        str | None, typer.Option("--parent-job-name", "-p", help="Steps of this pipeline job.")
    ] = None,
    status: Annotated[
        list[str] | None, typer.Option("--status", help="Only these statuses (repeatable).")
    ] = None,
    experiment_name: Annotated[
        str | None, typer.Option("--experiment-name", help="Only this experiment.")
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="key or key=value (repeatable).")
    ] = None,
    archived_only: Annotated[
        bool, typer.Option("--archived-only", help="Only archived jobs.")
    ] = False,
    include_archived: Annotated[
        bool, typer.Option("--include-archived", help="Archived ones too.")
    ] = False,
    workspace: WorkspaceOption = "default",
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.table,
    query: QueryOption = None,
    debug: DebugOption = False,
) -> None:
    """List jobs, newest first.

    \b
    Examples:
      cairn job list
      cairn job list --parent-job-name brave_river_4x7k2m9q --query "[].name" -o tsv
      cairn job list --status Failed --tag team=risk -r 10
    """
    api = client(workspace, resource_group, subscription)
    archived = "only" if archived_only else "include" if include_archived else "exclude"
    jobs: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = api.list_jobs(
            max_results=min(max_results, 1000) if not all_results else 1000,
            status=status or None,
            experiment_name=experiment_name,
            tag=tag or None,
            parent_job_name=parent_job_name,
            archived=archived,
            cursor=cursor,
        )
        jobs.extend(page["value"])
        cursor = page.get("next_cursor")
        if not cursor or (not all_results and len(jobs) >= max_results):
            break
    emit(jobs if all_results else jobs[:max_results], output, query, columns=LIST_COLUMNS)


@app.command("stream")
def stream(
    name: NameOption,
    workspace: WorkspaceOption = "default",
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    debug: DebugOption = False,
) -> None:
    """Follow a job's logs and status until it ends; exits non-zero unless it completed.

    Ctrl-C stops following; the job keeps running.

    \b
    Examples:
      cairn job stream --name brave_river_4x7k2m9q
    """
    from cairn.cli.stream import follow

    raise typer.Exit(follow(client(workspace, resource_group, subscription), name))


@app.command("cancel")
def cancel(
    name: NameOption,
    workspace: WorkspaceOption = "default",
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.json,
    query: QueryOption = None,
    debug: DebugOption = False,
) -> None:
    """Cancel a job: running steps are stopped, steps not started are canceled.

    \b
    Examples:
      cairn job cancel --name brave_river_4x7k2m9q
    """
    emit(client(workspace, resource_group, subscription).cancel_job(name), output, query)


@app.command("download")
def download(
    name: NameOption,
    output_name: Annotated[
        str | None, typer.Option("--output-name", help="Only this named output.")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="All outputs and the logs.")] = False,
    download_path: Annotated[
        Path, typer.Option("--download-path", "-p", help="Where to put them.")
    ] = Path(),
    workspace: WorkspaceOption = "default",
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    debug: DebugOption = False,
) -> None:
    """Download a finished job's outputs in Azure's layout: `named-outputs/<name>/`, `artifacts/`.

    \b
    Examples:
      cairn job download --name brave_river_4x7k2m9q --output-name model
      cairn job download -n brave_river_4x7k2m9q --all --download-path ./results
    """
    import tarfile
    import tempfile

    api = client(workspace, resource_group, subscription)
    with tempfile.TemporaryDirectory() as temp:
        archive = api.download_job(
            name, Path(temp) / "job.tar", output_name=output_name, include_all=all_
        )
        download_path.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive) as tar:
            tar.extractall(download_path, filter="data")
            names = tar.getnames()
    typer.echo(f"downloaded {len(names)} entries of {name} into {download_path.resolve()}")


@app.command("archive")
def archive(
    name: NameOption,
    workspace: WorkspaceOption = "default",
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.json,
    query: QueryOption = None,
    debug: DebugOption = False,
) -> None:
    """Archive a finished job: it no longer appears in `job list` (see `--include-archived`).

    \b
    Examples:
      cairn job archive --name brave_river_4x7k2m9q
      cairn job list --archived-only --query "[].name" -o tsv
    """
    api = client(workspace, resource_group, subscription)
    emit(api.archive_job(name, True), output, query)


@app.command("restore")
def restore(
    name: NameOption,
    workspace: WorkspaceOption = "default",
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.json,
    query: QueryOption = None,
    debug: DebugOption = False,
) -> None:
    """Restore an archived job: it appears in `job list` again.

    \b
    Examples:
      cairn job restore --name brave_river_4x7k2m9q
    """
    api = client(workspace, resource_group, subscription)
    emit(api.archive_job(name, False), output, query)


def _warn(warnings: list[dict[str, Any]]) -> None:
    import sys

    for warning in warnings:
        where = f"{warning.get('file')}:{warning.get('line')}:{warning.get('column')}"
        sys.stderr.write(f"{where}: warning[{warning.get('code')}]: {warning.get('message')}\n")


def _web(api: Any, job: dict[str, Any]) -> None:
    """Print the job's studio link, signing the browser in once (a one-time code)."""
    import sys

    from cairn.cli.studio import studio_link

    sys.stderr.write(f"studio: {studio_link(api, '/jobs/' + job['name'])}\n")
