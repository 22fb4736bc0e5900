"""The local web server answers the web app's /runtime-config.json (in AWS the site's deployment
writes it): the API is on the same origin, and a page load logs no failed request."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from chalice import Chalice
from chalice.config import Config

from devstack.web import WebServer


@pytest.fixture
def server(tmp_path: Path) -> Iterator[WebServer]:
    (tmp_path / "index.html").write_text("<!doctype html><title>Budget Bridge</title>")
    app = Chalice(app_name="local-runtime-config")
    config = Config.create(chalice_app=app, app_name="local-runtime-config", chalice_stage="dev")
    web = WebServer(app, config, frontend_dist=tmp_path).start()
    try:
        yield web
    finally:
        web.stop()


def test_the_web_app_s_runtime_config_says_the_api_is_on_this_origin(server: WebServer) -> None:
    host, port = server.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("GET", "/runtime-config.json")
    answer = connection.getresponse()

    assert answer.status == 200
    assert answer.headers["Content-Type"] == "application/json"
    assert json.loads(answer.read()) == {"apiBase": ""}
