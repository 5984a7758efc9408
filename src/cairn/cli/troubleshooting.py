"""The troubleshooting page (`docs/troubleshooting.md`), generated from Cairn's own error codes:
every diagnostic a YAML check reports and every error the CLI and API return, with what it means
and how to fix it. A test regenerates it and compares.

    .venv/bin/python -m cairn.cli.troubleshooting docs/troubleshooting.md
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
from pathlib import Path

from cairn.errors import CairnError

# Every module is imported before the page is drawn, so that the page does not depend on what
# else the process happened to import (error classes register themselves by subclassing).
_SKIP = ("cairn.store.migrations",)

HEADER = """\
# Troubleshooting

Generated from Cairn's error codes (`python -m cairn.cli.troubleshooting docs/troubleshooting.md`);
a test fails when this page is stale.

## Problems in YAML files

`cairn job validate` and `cairn component validate` report each problem as
`file:line:col: error[CODE]: message` (or `warning[CODE]`), with a hint where one helps. Errors
stop a job from being submitted; warnings do not.

| code | name | what it means | how to fix it |
| --- | --- | --- | --- |
"""

ERRORS = """
## Errors from the CLI and the API

The CLI prints one line, `error: <message>`, and a `hint:` line, and exits with the status below;
`--debug` adds the traceback. The API answers `{"code", "message", "details"}` with the HTTP status.

| code | HTTP | exit | what it means |
| --- | --- | --- | --- |
"""


def render() -> str:
    from cairn.spec.diagnostics import CODES

    lines = [HEADER.rstrip("\n")]
    for info in CODES.values():
        lines.append(f"| `{info.code}` | {info.slug} | {info.summary} | {info.fix} |")
    lines.append(ERRORS.rstrip("\n"))
    _import_all()
    for cls in sorted(_error_classes(), key=lambda c: c.code):
        doc = " ".join((inspect.getdoc(cls) or "").split())
        if cls is CairnError:
            doc = (
                "An unexpected error inside Cairn (a bug): run again with `--debug` and report it."
            )
        lines.append(f"| `{cls.code}` | {cls.http_status} | {cls.exit_code} | {doc} |")
    return "\n".join(lines) + "\n"


def _import_all() -> None:
    import cairn

    for info in pkgutil.walk_packages(cairn.__path__, "cairn."):
        if info.name.endswith("__main__") or info.name.startswith(_SKIP):
            continue
        importlib.import_module(info.name)


def _error_classes() -> list[type[CairnError]]:
    found: dict[str, type[CairnError]] = {}
    stack: list[type[CairnError]] = [CairnError]
    while stack:
        cls = stack.pop()
        found.setdefault(cls.code, cls)
        stack.extend(cls.__subclasses__())
    return list(found.values())


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = render()
    if args:
        Path(args[0]).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
