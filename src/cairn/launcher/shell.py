"""When a step's command needs no shell: run its program directly, as bash itself would.

A component's command runs as `bash -c COMMAND`. For the commonest command — one program and
its arguments, like `python train.py --data /path` — bash parses the words and then replaces
itself with the program (its one-command `exec` optimisation), so the program runs as if started
directly, with three variables bash exports: `PWD` (the working folder), `SHLVL` (as given: bash
does not count a level it execs away) and `_` (the program's path). Starting bash for that costs
about a millisecond of CPU per step; `direct` does the parse here instead, only where the result
is certain to be the same, and says None — "let bash run it" — for everything else.

What it reads: words of plain characters separated by spaces or tabs, single-quoted text, and
double-quoted text whose only expansion is `${NAME}` — the form in which Cairn's renderer places
every input and output (`"${AZURE_ML_INPUT_x}"`): bash expands it to the variable's value as is
(no splitting, no globbing, the empty string when unset), and so does this. Anything else is left
to bash: other expansions (`$X`, `$(…)`, backquotes, arithmetic), backslashes, globs,
redirections, pipes, lists, comments, tildes, braces, newlines; a first word that is a bash
keyword or builtin or assigns a variable, a program not found on PATH (or named by a path, or a
PATH with relative folders), and environments that change how bash starts (`BASH_ENV`,
`SHELLOPTS`, `BASHOPTS`, exported functions, an unusual `SHLVL` or a stale `OLDPWD`).

Hand-written (a few lines of quote tracking, the same as the renderer's): the rules are bash's
own, checked against bash by the tests (the environment and arguments a program sees are
compared with and without bash).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

# Characters that mean nothing to bash outside quotes, and inside double quotes (where `$`,
# backquote, backslash and `!` are what bash would act on).
_PLAIN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-./:=,+@%^")
_QUOTED = re.compile(r'[^"$`\\!\n]+')
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
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
    if not _bash_starts_plainly(env):
        return None
    words = _words(script, env)
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


def _words(script: str, env: dict[str, str]) -> list[str] | None:
    """The words bash would make of `script`, or None where it might do more than that."""
    words: list[str] = []
    word: list[str] | None = None  # None between words; [] is a word begun, maybe empty ("")
    at, end = 0, len(script)
    while at < end:
        char = script[at]
        if char in " \t":
            if word is not None:
                words.append("".join(word))
                word = None
            at += 1
            continue
        word = [] if word is None else word
        if char in _PLAIN:
            plain = at
            while at < end and script[at] in _PLAIN:
                at += 1
            word.append(script[plain:at])
        elif char == "'":
            close = script.find("'", at + 1)
            if close < 0:
                return None  # unterminated: bash reports it
            word.append(script[at + 1 : close])
            at = close + 1
        elif char == '"':
            closing = _double_quoted(script, at + 1, env, word)
            if closing is None:
                return None
            at = closing + 1
        else:
            return None
    if word is not None:
        words.append("".join(word))
    return words


def _double_quoted(script: str, at: int, env: dict[str, str], word: list[str]) -> int | None:
    """Read double-quoted text from `at` into `word`; the closing quote's index, or None."""
    while at < len(script):
        if script[at] == '"':
            return at
        plain = _QUOTED.match(script, at)
        if plain is not None:
            word.append(plain.group())
            at = plain.end()
            continue
        reference = _REFERENCE.match(script, at)
        if reference is None:
            return None
        word.append(env.get(reference.group(1), ""))
        at = reference.end()
    return None


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
