"""`make run` checks its ports before starting (devstack/stack.py): a port whose connections are
still closing after the stack stopped (TIME_WAIT) is free, as the servers themselves see it; a
port something listens on is not."""

from __future__ import annotations

import socket

import pytest

from devstack.stack import HOST, PortInUse, _check_free


def _port_left_in_time_wait() -> int:
    """A server that accepted a connection and closed first: its port sits in TIME_WAIT."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((HOST, 0))
    server.listen(1)
    port = server.getsockname()[1]
    client = socket.create_connection((HOST, port))
    accepted, _ = server.accept()
    accepted.close()  # the server's side closes first, so the server's port holds the TIME_WAIT
    server.close()
    client.close()
    return int(port)


def test_a_port_whose_connections_are_still_closing_is_free_to_start_on() -> None:
    _check_free("PORT", _port_left_in_time_wait())


def test_a_port_something_listens_on_is_refused_with_the_setting_to_change() -> None:
    with socket.socket() as listener:
        listener.bind((HOST, 0))
        listener.listen(1)
        with pytest.raises(PortInUse, match="set PORT to another port"):
            _check_free("PORT", listener.getsockname()[1])
