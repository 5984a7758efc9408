"""When a step's command needs no shell: run its program directly, as bash itself would.

A component's command runs as `bash -c COMMAND`. For the commonest command — one program and
its arguments, like `python train.py --data /path` — bash parses the words and then replaces
itself with the program (its one-command `exec` optimisation), so the program runs as if started
directly, with three variables bash exports: `PWD` (the working folder), `SHLVL` (as given: bash
does not count a level it execs away) and `_` (the program's path). Starting bash for that costs
about a millisecond of CPU per step; `direct` does the parse here instead, only where the result
is certain to be the same, and says None — "let bash run it" — for everything else: any shell
syntax (quoting with escapes or expansions, `$`, globs, redirections, pipes, lists, comments,
tildes, braces), a first word that is a bash keyword or builtin or assigns a variable, a program
not found on PATH (or named by a path, or a PATH with relative folders), and environments that
change how bash starts (`BASH_ENV`, `SHELLOPTS`, `BASHOPTS`, exported functions, an unusual
`SHLVL` or a stale `OLDPWD`).

Hand-written: the rules are bash's own, checked against bash by the tests (the environment and
arguments a program sees are compared with and without bash).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
from pathlib import Path

# Characters that mean nothing to bash inside or between words (quotes are handled by shlex,
# the same way bash reads them when nothing inside them is special).
_PLAIN = re.compile(r"[A-Za-z0-9_\-./:=,+@%^ \t'\"]*")
# `compgen -b -k` of bash 5.2, and the other shells' builtins that bash also knows.
_BASH_WORDS = frozenset(
    {
        ".",
        ":",
        "[",
        "alias",
        "bg",
        "bind",
        "break",
        "builtin",
        "caller",
        "cd",
        "command",
        "compgen",
        "complete",
        "compopt",
        "continue",
        "declare",
        "dirs",
        "disown",
        "echo",
        "enable",
        "eval",
        "exec",
        "exit",
        "export",
        "false",
        "fc",
        "fg",
        "getopts",
        "hash",
        "help",
        "history",
        "jobs",
        "kill",
        "let",
        "local",
        "logout",
        "mapfile",
        "popd",
        "printf",
        "pushd",
        "pwd",
        "read",
        "readarray",
        "readonly",
        "return",
        "set",
        "shift",
        "shopt",
        "source",
        "suspend",
        "test",
        "times",
        "trap",
        "true",
        "type",
        "typeset",
        "ulimit",
        "umask",
        "unalias",
        "unset",
        "wait",
        "if",
        "then",
        "else",
        "elif",
        "fi",
        "case",
        "esac",
        "for",
        "select",
        "while",
        "until",
        "do",
        "done",
        "in",
        "function",
        "time",
        "{",
        "}",
        "!",
        "[[",
        "]]",
        "coproc",
    }
)
_STARTUP = ("BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS")
_SHLVL = re.compile(r"0|[1-9][0-9]{0,2}")


def direct(
    script: str, env: dict[str, str], cwd: Path
) -> tuple[str, list[str], dict[str, str]] | None:
    """`(program, argv, env)` to start instead of `bash -c script`, or None to use bash. If the
    program then cannot be started (a script without `#!`, which bash would run itself), the
    caller starts bash after all."""
    if not _PLAIN.fullmatch(script) or not _bash_starts_plainly(env):
        return None
    try:
        words = shlex.split(script)
    except ValueError:  # an unterminated quote: bash reports it
        return None
    if not words or words[0] in _BASH_WORDS or "=" in words[0]:
        return None
    path = env.get("PATH", os.defpath)
    if "/" in words[0] or any(not folder.startswith("/") for folder in path.split(os.pathsep)):
        return None  # relative to the step's folder: left to bash
    program = shutil.which(words[0], path=path)
    if program is None:
        return None  # bash says "command not found" and exits 127
    exported = dict(env)
    exported["PWD"] = str(cwd)
    exported["SHLVL"] = env.get("SHLVL", "0")
    exported["_"] = program
    return program, words, exported


def _bash_starts_plainly(env: dict[str, str]) -> bool:
    if any(name in env for name in _STARTUP):
        return False
    if any(name.startswith("BASH_FUNC_") for name in env):
        return False
    level = env.get("SHLVL")
    if level is not None and (not _SHLVL.fullmatch(level) or int(level) >= 999):
        return False
    oldpwd = env.get("OLDPWD")
    return oldpwd is None or Path(oldpwd).is_dir()
