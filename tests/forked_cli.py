"""Run ``python -m ganlab ...`` commands in new processes without importing torch anew for each.

A fresh ``python -m ganlab`` spends seconds importing torch, torchvision and matplotlib before it can
even reject a bad argument; the tests run dozens of commands on a two-core CI machine. This file,
run as a script, is a server that imports ganlab once, then runs each command it is sent in a child
process forked from itself: the child changes to the command's folder, takes its environment, runs
ganlab's ``__main__`` module as ``python -m ganlab`` does and exits with its status, its stdout and
stderr written to files. Anything the imports printed is put at the start of every command's output,
as a fresh interpreter would print it. The server computes nothing before it forks (torch starts its
thread pool at the first parallel operation, never here), and no command sees what another changed.

What a child does *not* get anew, so tests that need it keep starting real interpreters: what Python
reads when it starts (PYTHONUNBUFFERED, PYTHONWARNINGS, PYTHONHASHSEED, PYTHONIOENCODING), what a
library set while it was imported (matplotlib's MPLBACKEND, tqdm's TQDM_* options), atexit handlers
(the child leaves with ``os._exit``), and the default Ctrl-C: ``--debug``'s traceback, Ctrl-C and the
bare-environment test start real interpreters.

The protocol: one JSON list of ``{"argv": [...], "cwd": "...", "env": {...}}`` per line on stdin, run a
few at a time; one JSON list of ``{"returncode", "stdout", "stderr"}`` in the same order per line on
stdout. ``CLIServer`` is the tests' side (conftest.py's ``ganlab_cli`` fixture).
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


def import_ganlab() -> tuple[str, str]:
    """Import what ``python -m ganlab`` imports (not ganlab.__main__ itself: runpy would warn that the
    module it runs was imported already); return what that printed on stdout and on stderr."""
    printed = []
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        saved = os.dup(1), os.dup(2)
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        try:
            import ganlab.commands  # noqa: F401
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
        for file in (out, err):
            file.seek(0)
            printed.append(file.read().decode(errors="replace"))
    return printed[0], printed[1]


def _exit_status(request: SystemExit) -> int:
    """The status the interpreter gives ``sys.exit(code)``: None is 0, an int is itself, else 1."""
    if request.code is None or isinstance(request.code, int):
        return request.code or 0
    print(request.code, file=sys.stderr)
    return 1


def _child(command: dict, stdout_path: Path, stderr_path: Path, printed: tuple[str, str]) -> None:
    """In the forked child: run one command as ``python -m ganlab`` would, then exit with its status."""
    status = 1
    try:
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)  # not the server's requests
        for fd, path, text in ((1, stdout_path, printed[0]), (2, stderr_path, printed[1])):
            os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), fd)
            os.write(fd, text.encode())
        os.chdir(command["cwd"])
        os.environ.clear()
        os.environ.update(command["env"])
        sys.argv = ["-m", *command["argv"]]  # runpy puts the module's path first, as -m does
        runpy.run_module("ganlab", run_name="__main__", alter_sys=True)
        status = 0
    except SystemExit as request:
        status = _exit_status(request)
    except KeyboardInterrupt:  # as the interpreter ends: the traceback, then death by SIGINT
        traceback.print_exc()
        status = -signal.SIGINT
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
            if status == -signal.SIGINT:
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                os.kill(os.getpid(), signal.SIGINT)
        finally:
            os._exit(status if status >= 0 else 1)


def run_all(commands: list[dict], at_once: int, printed: tuple[str, str]) -> list[dict]:
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
                _child(command, out, err, printed)
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
        self.log = tempfile.TemporaryFile(mode="w+")  # the server's own errors, for the message if it fails
        # A session of its own, so close() can end the server and any child still running in one call.
        self.process = subprocess.Popen([sys.executable, __file__], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=self.log, text=True, start_new_session=True)

    def run_many(self, commands: list[dict], timeout: float = 600) -> list[SimpleNamespace]:
        """Run ``commands``; raise RuntimeError if the server stopped, or has not begun to answer
        within ``timeout`` seconds for the whole list (it is then closed, with what it runs)."""
        if self.process.poll() is not None:
            raise RuntimeError(f"the command server has stopped (status {self.process.returncode}): "
                               f"{self._log_tail()}")
        self.process.stdin.write(json.dumps(commands) + "\n")
        self.process.stdin.flush()
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline() if ready else ""
        if not line:
            self.close()
            raise RuntimeError(f"the command server gave no answer within {timeout} s, or stopped, running "
                               f"{[command['argv'] for command in commands]}: {self._log_tail()}")
        return [SimpleNamespace(**result) for result in json.loads(line)]

    def __call__(self, *argv: str, cwd=None, env=None, timeout: float = 600) -> SimpleNamespace:
        command = {"argv": [str(arg) for arg in argv], "cwd": str(cwd or os.getcwd()),
                   "env": dict(os.environ if env is None else env)}
        return self.run_many([command], timeout)[0]

    def _log_tail(self) -> str:
        self.log.seek(0)
        return self.log.read()[-2000:] or "(it printed nothing)"

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process.stdin.close()
        self.process.stdout.close()


def serve(at_once: int) -> None:
    """The server's loop: a line of commands in, a line of their results out, until stdin closes."""
    printed = import_ganlab()
    for line in sys.stdin:
        print(json.dumps(run_all(json.loads(line), at_once, printed)), flush=True)


if __name__ == "__main__":
    serve(at_once=max(2, os.cpu_count() or 2))
