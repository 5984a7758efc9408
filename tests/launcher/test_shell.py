"""A command that needs no shell runs its program directly — with exactly what bash would give it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cairn.launcher.shell import direct
from tests.launcher.steps import make_spec, run_step

SHOW = "import json, os, sys; print(json.dumps({'argv': sys.argv[1:], 'env': dict(os.environ)}))"
BASE = {"PATH": os.environ["PATH"], "HOME": "/root", "LANG": "C.UTF-8"}


def seen(argv: list[str], env: dict[str, str], cwd: Path, program: str | None = None) -> object:
    done = subprocess.run(
        argv, executable=program, env=env, cwd=cwd, capture_output=True, check=True
    )
    return json.loads(done.stdout)


@pytest.mark.parametrize(
    ("script", "extra"),
    [
        ("python3 show.py a b", {}),
        ("""python3 show.py 'a b' "c  d" --x=1 -k:v,w@h%^+ ./rel/path""", {}),
        ("python3   show.py\tspaced", {"SHLVL": "3"}),
        ("python3 show.py", {"SHLVL": "0", "OLDPWD": "/usr", "PWD": "/elsewhere"}),
        ("env", {"CAIRN_X": "1"}),
        # As Cairn renders inputs and outputs: outside quotes, inside double and single quotes.
        ('python3 show.py "${IN}" --out="${OUT}"', {"IN": "/a b/$c*", "OUT": "o'u\"t"}),
        ("""python3 show.py "x=${IN}, y=${OUT}" '--z='"${IN}"'' "${UNSET}" ''""", {"IN": "a  b"}),
        ('python3 show.py "${EMPTY}"', {"EMPTY": ""}),
    ],
)
def test_the_program_sees_what_it_would_under_bash(
    tmp_path: Path, script: str, extra: dict[str, str]
) -> None:
    (tmp_path / "show.py").write_text(SHOW)
    env = {**BASE, **extra}
    found = direct(script, env, tmp_path)
    assert found is not None, script
    program, argv, exported = found
    if script == "env":  # not Python: compare env's own listing
        mine = subprocess.run(
            argv, executable=program, env=exported, cwd=tmp_path, capture_output=True
        )
        bash = subprocess.run(["bash", "-c", script], env=env, cwd=tmp_path, capture_output=True)
        assert sorted(mine.stdout.splitlines()) == sorted(bash.stdout.splitlines())
        return
    assert seen(argv, exported, tmp_path, program) == seen(["bash", "-c", script], env, tmp_path)


@pytest.mark.parametrize(
    "script",
    [
        "echo hi",  # a builtin: bash's echo, not /usr/bin/echo
        "true",
        "[ -e x ]",
        "python3 a.py > out",
        "python3 a.py | cat",
        "python3 a.py; python3 b.py",
        "python3 a.py && true",
        "python3 $HOME/a.py",
        'python3 "$X"',
        'python3 "${X:-default}"',
        'python3 "$(pwd)"',
        'python3 "a\\b"',
        'python3 "unterminated',
        'python3 \'"${X}"\' "${1}"',
        "python3 `pwd`",
        "FOO=1 python3 a.py",
        "python3 *.py",
        "python3 a?.py",
        "python3 ~/a.py",
        "python3 {a,b}.py",
        "python3 a.py # comment",
        "python3 a\\ b.py",
        "./run.sh",
        "/usr/bin/env",
        "no-such-program-here",
        "python3 'unterminated",
        "python3 (a)",
        "python3 a.py &",
        "time python3 a.py",
        "python3 a.py\npython3 b.py",
        "",
    ],
)
def test_anything_bash_would_treat_specially_is_left_to_bash(tmp_path: Path, script: str) -> None:
    assert direct(script, dict(BASE), tmp_path) is None


@pytest.mark.parametrize(
    "extra",
    [
        {"BASH_ENV": "/tmp/profile"},
        {"ENV": "/tmp/profile"},
        {"SHELLOPTS": "xtrace"},
        {"BASHOPTS": "extglob"},
        {"BASH_FUNC_python3%%": "() {  echo shadowed\n}"},
        {"SHLVL": "abc"},
        {"SHLVL": "-5"},
        {"SHLVL": "1000"},
        {"SHLVL": "007"},
        {"OLDPWD": "/no/such/folder"},
        {"PATH": "bin:" + os.environ["PATH"]},
    ],
)
def test_environments_that_change_how_bash_starts_are_left_to_bash(
    tmp_path: Path, extra: dict[str, str]
) -> None:
    assert direct("python3 a.py", {**BASE, **extra}, tmp_path) is None


def test_a_program_without_a_shebang_still_runs_as_bash_would_run_it(tmp_path: Path) -> None:
    tools = tmp_path / "tools"
    tools.mkdir()
    tool = tools / "tool"
    tool.write_text("echo from the script via $0\n")  # no `#!`: exec fails, bash runs it
    tool.chmod(0o755)
    path = f"{tools}:{os.environ['PATH']}"
    assert direct("tool", {**BASE, "PATH": path}, tmp_path) is not None
    spec = make_spec(tmp_path, "tool", env={"PATH": path})
    record = run_step(spec)
    assert record.status == "Completed"
    assert record.log_tail == [f"from the script via {tool}"]


def test_a_step_with_a_plain_command_gets_bashs_arguments(tmp_path: Path) -> None:
    spec = make_spec(
        tmp_path,
        f"{Path(sys.executable).name} -c 'import sys; print(sys.argv)' x 'y z'",
        env={"PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"},
    )
    record = run_step(spec)
    assert record.status == "Completed"
    assert record.log_tail == ["['-c', 'x', 'y z']"]
