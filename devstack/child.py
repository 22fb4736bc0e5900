"""A server of the local stack in a process of its own (the embedded AWS, the sandbox ERP).

Each runs Python of its own on every request (moto's DynamoDB, the sandbox rendering an ERP's
pages). Inside the stack's process they shared one interpreter lock with the API, the worker and
the schedule they answer, so a request and its caller took turns on one core; in processes of their
own they run beside them on the machine's other core (docs/performance.md, "The local stack's
servers in processes of their own").

The child is `python -m MODULE --host HOST --port PORT --parent-pid PID`; its `main` hands
`run_child` a function that starts the server and answers the address it bound. It prints
`listening HOST:PORT` once it accepts requests, ignores a Ctrl-C meant for the stack (the stack
stops it itself, after everything that calls it), and leaves when its parent is gone.
"""

from __future__ import annotations

import argparse
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT_SECONDS = 120.0
_PARENT_CHECK_SECONDS = 1.0
_READY = "listening "


class ChildServer:
    """`python -m module` serving on host:port; `start()` answers once it accepts requests."""

    module = ""  # set by each subclass
    what = ""  # how a person calls it, for the sentence when it cannot start

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def start(self) -> ChildServer:
        # Its own interpreter, started as a module: nothing of the caller's main script is re-run.
        command = [sys.executable, "-m", self.module, "--host", self.host, "--port", str(self.port)]
        self._process = subprocess.Popen(  # noqa: S603 - this interpreter, our own module
            [*command, "--parent-pid", str(os.getpid())],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        ready, _, _ = select.select([self._process.stdout], [], [], START_TIMEOUT_SECONDS)
        line = self._process.stdout.readline().strip() if ready else ""
        if not line.startswith(_READY):
            if ready and not line:  # its output closed: it is exiting (its error is on stderr)
                line = f"The {self.what} exited with code {self._exit_code()} before it was ready."
            self.stop()
            raise RuntimeError(
                line or f"The {self.what} did not start within {START_TIMEOUT_SECONDS:.0f} s."
            )
        self.host, port = line.removeprefix(_READY).rsplit(":", 1)
        self.port = int(port)
        return self

    def _exit_code(self) -> int | None:
        assert self._process is not None
        try:
            return self._process.wait(10)
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> ChildServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def child_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--parent-pid", type=int, default=None, help=argparse.SUPPRESS)


def run_child(
    what: str, serve: Callable[[str, int], tuple[str, int]], argv: Sequence[str] | None = None
) -> int:
    """The child's main: serve, announce the address, then wait until the parent is gone."""
    parser = argparse.ArgumentParser(description=f"The local stack's {what}.")
    child_arguments(parser)
    args = parser.parse_args(argv)
    if args.parent_pid is not None:  # run by hand, Ctrl-C stops it as usual
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    if args.port and not _free(args.host, args.port):  # werkzeug's servers would wait forever
        print(f"The {what} could not start: port {args.port} is in use.", flush=True)
        return 1
    try:
        host, port = serve(args.host, args.port)
    except Exception as error:  # noqa: BLE001 - the parent shows it and stops
        print(f"The {what} could not start: {error}", flush=True)
        return 1
    print(f"{_READY}{host}:{port}", flush=True)
    # Nothing more goes to the parent's pipe, which it no longer reads.
    with open(os.devnull, "w", encoding="utf-8") as nowhere:
        os.dup2(nowhere.fileno(), sys.stdout.fileno())
    # A parent killed outright (SIGKILL) cannot stop its children: leave with it, not after it.
    try:
        while args.parent_pid is None or os.getppid() == args.parent_pid:
            time.sleep(_PARENT_CHECK_SECONDS)
    except KeyboardInterrupt:  # run by hand and stopped with Ctrl-C
        pass
    return 0


def _free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True
