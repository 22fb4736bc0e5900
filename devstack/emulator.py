"""The embedded AWS: moto in server mode, with the local stack's settings, in a process of its own.

moto answers every request in Python. Inside the local stack's process it shared one interpreter
lock with the API, the worker and the schedule it answers, so each request and its caller took
turns on one core, and a thread giving up the lock to send or receive waited for the others to
hand it back. In a process of its own it runs beside them on the machine's other core
(docs/performance.md, "The embedded AWS in a process of its own"). The local stack and the fleet
benchmark both start it from here, so both measure the same emulator.

    aws = EmbeddedAws("127.0.0.1", 0).start()   # 0: any free port
    aws.url                                     # AWS_ENDPOINT_URL for boto3
    aws.stop()

The child is `python -m devstack.emulator HOST PORT PARENT_PID`: it prints `listening HOST:PORT`
once it accepts requests, and leaves when its parent does.
"""

from __future__ import annotations

import logging
import os
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

START_TIMEOUT_SECONDS = 120.0
_PARENT_CHECK_SECONDS = 1.0


def install_settings() -> None:
    """The local stack's settings of moto's DynamoDB and SQS (idempotent), in this process."""
    from devstack.moto_atomic import serialize_dynamodb
    from devstack.moto_dispatch import list_modules_once
    from devstack.moto_index import index_secondary_keys
    from devstack.moto_sqs import send_without_recount

    index_secondary_keys()  # an index query reads its partition, not the table (first: below)
    serialize_dynamodb()  # the API and the worker write side by side, as in AWS
    send_without_recount()  # a message costs the same whatever the queue holds
    list_modules_once()  # a request is routed without listing moto's package


class EmbeddedAws:
    """moto's server in a child process; `start()` answers once it accepts requests."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def start(self) -> EmbeddedAws:
        # Its own interpreter, started as a module: nothing of the caller's main script is re-run.
        command = [sys.executable, "-m", "devstack.emulator", self.host, str(self.port)]
        self._process = subprocess.Popen(  # noqa: S603 - this interpreter, our own module
            [*command, str(os.getpid())], cwd=REPO, stdout=subprocess.PIPE, text=True
        )
        assert self._process.stdout is not None
        ready, _, _ = select.select([self._process.stdout], [], [], START_TIMEOUT_SECONDS)
        line = self._process.stdout.readline().strip() if ready else ""
        if not line.startswith("listening "):
            self.stop()
            raise RuntimeError(
                line
                or f"The embedded AWS (moto) did not start within {START_TIMEOUT_SECONDS:.0f} s."
            )
        self.host, port = line.removeprefix("listening ").rsplit(":", 1)
        self.port = int(port)
        return self

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


def serve(host: str, port: int, parent_pid: int) -> int:
    """The child: moto's server until its parent stops it, or the parent is gone."""
    # Ctrl-C in a terminal reaches the whole process group; the stack stops this process itself,
    # last, after everything that still calls it has stopped.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # a line per request otherwise
    if port and not _free(host, port):  # moto would wait forever for a port it cannot bind
        print(f"The embedded AWS could not start: port {port} is in use.", flush=True)
        return 1
    try:
        from moto.server import ThreadedMotoServer

        install_settings()
        server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        server.start()
    except Exception as error:  # noqa: BLE001 - the parent shows it and stops
        print(f"The embedded AWS could not start: {error}", flush=True)
        return 1
    bound_host, bound_port = server.get_host_and_port()
    print(f"listening {bound_host}:{bound_port}", flush=True)
    # Nothing more goes to the parent's pipe, which it no longer reads.
    with open(os.devnull, "w", encoding="utf-8") as nowhere:
        os.dup2(nowhere.fileno(), sys.stdout.fileno())
    # A parent killed outright (SIGKILL) cannot stop its children: leave with it, not after it.
    while os.getppid() == parent_pid:
        time.sleep(_PARENT_CHECK_SECONDS)
    return 0


def _free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


if __name__ == "__main__":
    sys.exit(serve(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
