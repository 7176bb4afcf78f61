"""Run many ``python -m ganlab ...`` commands while importing torch once, not once per command.

A fresh ``python -m ganlab`` spends seconds importing torch, torchvision and matplotlib before it can
even reject a bad argument; forty such commands cost over a minute of a two-core CI machine. This
script imports ganlab once, then runs each command in a child process forked from it: the child
changes to the command's folder, takes its environment, runs ganlab's ``__main__`` module as
``python -m ganlab`` does, and exits with its status, its stdout and stderr written to files. The
parent has run no computation before it forks (no thread pool started), so the children start clean.

Reads a JSON list of ``{"argv": [...], "cwd": "...", "env": {...}}`` on stdin; writes a JSON list of
``{"returncode": int, "stdout": str, "stderr": str}`` in the same order on stdout. Used by
test_bad_input.py; tests of the entry point itself (``--help``, ``--debug``) start real interpreters.
"""
from __future__ import annotations

import json
import os
import runpy
import sys
import tempfile
import traceback
from pathlib import Path

# What ``python -m ganlab`` imports, once for every child (not ganlab.__main__ itself: runpy would warn
# that the module it runs was imported already).
import ganlab.commands  # noqa: F401


def _exit_status(request: SystemExit) -> int:
    """The status the interpreter gives ``sys.exit(code)``: None is 0, an int is itself, else 1."""
    if request.code is None or isinstance(request.code, int):
        return request.code or 0
    print(request.code, file=sys.stderr)
    return 1


def _child(command: dict, stdout_path: Path, stderr_path: Path) -> None:
    """In the forked child: run one command as ``python -m ganlab`` would, then exit with its status."""
    status = 1
    try:
        for fd, path in ((1, stdout_path), (2, stderr_path)):
            os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), fd)
        os.chdir(command["cwd"])
        os.environ.clear()
        os.environ.update(command["env"])
        sys.argv = ["-m", *command["argv"]]  # runpy puts the module's path first, as -m does
        try:
            runpy.run_module("ganlab", run_name="__main__", alter_sys=True)
            status = 0
        except SystemExit as request:
            status = _exit_status(request)
        except KeyboardInterrupt:
            status = 130
        except BaseException:
            traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def run_all(commands: list[dict], at_once: int) -> list[dict]:
    """Run ``commands``, ``at_once`` children at a time; their results in the commands' order."""
    results: list[dict | None] = [None] * len(commands)
    running: dict[int, tuple[int, Path, Path]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        def reap_one():
            pid, wait_status = os.wait()
            index, out, err = running.pop(pid)
            results[index] = {"returncode": os.waitstatus_to_exitcode(wait_status),
                              "stdout": out.read_text(errors="replace"), "stderr": err.read_text(errors="replace")}

        for index, command in enumerate(commands):
            while len(running) >= at_once:
                reap_one()
            out, err = Path(scratch, f"{index}.out"), Path(scratch, f"{index}.err")
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _child(command, out, err)
            running[pid] = (index, out, err)
        while running:
            reap_one()
    return results


if __name__ == "__main__":
    json.dump(run_all(json.load(sys.stdin), at_once=max(2, os.cpu_count() or 2)), sys.stdout)
