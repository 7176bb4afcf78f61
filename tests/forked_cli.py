"""Run ``python -m ganlab ...`` commands in new processes without importing torch anew for each.

A fresh ``python -m ganlab`` spends seconds importing torch, torchvision and matplotlib before it can
even reject a bad argument; the tests run dozens of commands on a two-core CI machine. This file,
run as a script, is a server that imports ganlab once, then runs each command it is sent in a child
process forked from itself: the child changes to the command's folder, takes its environment, runs
ganlab's ``__main__`` module as ``python -m ganlab`` does and exits with its status, its stdout and
stderr written to files. The server runs no computation before it forks (no thread pool started), so
every child starts clean, and no command sees what another changed.

The protocol: one JSON list of ``{"argv": [...], "cwd": "...", "env": {...}}`` per line on stdin, run a
few at a time; one JSON list of ``{"returncode", "stdout", "stderr"}`` in the same order per line on
stdout. ``CLIServer`` is the tests' side (conftest.py's ``ganlab_cli`` fixture). Tests of the entry
point itself (``--debug``'s traceback, Ctrl-C, a bare environment) start real interpreters.
"""
from __future__ import annotations

import contextlib
import json
import os
import runpy
import select
import signal
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path
from types import SimpleNamespace

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
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)  # not the server's requests
        for fd, path in ((1, stdout_path), (2, stderr_path)):
            os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), fd)
        os.chdir(command["cwd"])
        os.environ.clear()
        os.environ.update(command["env"])
        sys.argv = ["-m", *command["argv"]]  # runpy puts the module's path first, as -m does
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


class CLIServer:
    """The tests' side: start the server once, then run commands through it.

    ``server(*argv, cwd=None, env=None)`` runs one command and returns its result (``returncode``,
    ``stdout``, ``stderr``, as ``subprocess.run`` would); ``server.run_many(commands)`` runs a list of
    ``{"argv", "cwd", "env"}`` a few at a time. cwd and env default to the caller's, as in subprocess.
    """

    def __init__(self):
        # A session of its own, so close() can end the server and any child still running in one call.
        self.process = subprocess.Popen([sys.executable, __file__], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True, start_new_session=True)

    def run_many(self, commands: list[dict], timeout: float = 600) -> list[SimpleNamespace]:
        self.process.stdin.write(json.dumps(commands) + "\n")
        self.process.stdin.flush()
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline() if ready else ""
        if not line:
            self.close()
            raise RuntimeError(f"the command server gave no answer within {timeout} s (or stopped): {commands}")
        return [SimpleNamespace(**result) for result in json.loads(line)]

    def __call__(self, *argv: str, cwd=None, env=None, timeout: float = 600) -> SimpleNamespace:
        command = {"argv": [str(arg) for arg in argv], "cwd": str(cwd or os.getcwd()),
                   "env": dict(os.environ if env is None else env)}
        return self.run_many([command], timeout)[0]

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def serve(at_once: int) -> None:
    """The server's loop: a line of commands in, a line of their results out, until stdin closes."""
    for line in sys.stdin:
        print(json.dumps(run_all(json.loads(line), at_once)), flush=True)


if __name__ == "__main__":
    serve(at_once=max(2, os.cpu_count() or 2))
