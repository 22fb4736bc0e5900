"""A NUL in the path, refused by the local web server before any route or file is looked up,
answers in the API's error shape (docs/api.md, "Errors"): 400 `invalid_request` with a sentence,
as JSON, never a bare text line; the connection then serves the next request."""

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
    app = Chalice(app_name="local-web-nul")

    @app.route("/api/v1/companies/{company_id}/projects/{project_id}/budget")
    def budget(company_id: str, project_id: str) -> dict[str, str]:
        return {"project_id": project_id}

    config = Config.create(chalice_app=app, app_name="local-web-nul", chalice_stage="dev")
    web = WebServer(app, config, frontend_dist=tmp_path).start()
    try:
        yield web
    finally:
        web.stop()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/companies/demo/projects/%00/budget"),
        ("POST", "/api/v1/companies/demo/projects/p%00/budget"),
        ("GET", "/api/v1/nothing%00"),
        ("GET", "/projects/%00"),  # a web app path
    ],
)
def test_a_nul_in_the_path_answers_the_api_s_invalid_request(
    server: WebServer, method: str, path: str
) -> None:
    host, port = server.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request(method, path, body=b'{"note": "read and set aside"}')
        answer = connection.getresponse()
        raw = answer.read()

        assert answer.status == 400, raw
        assert answer.getheader("Content-Type") == "application/json"
        error = json.loads(raw)["error"]
        assert set(error) == {"code", "message"}
        assert error["code"] == "invalid_request"
        assert error["message"].endswith(".") and "NUL" in error["message"]

        connection.request("GET", "/api/v1/companies/demo/projects/p-1/budget")
        after = connection.getresponse()
        assert (after.status, json.loads(after.read())) == (200, {"project_id": "p-1"})
    finally:
        connection.close()
