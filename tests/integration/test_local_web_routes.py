"""The local web server's answer for a path no API route takes: the API's own 404, as API Gateway
answers it in AWS (infra/gateway.py), never Chalice local's imitation of API Gateway's default
403, which echoes the Authorization header back."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice import Chalice
from chalice.config import Config

from chalicelib.entrypoints.api.errors import NO_SUCH_ROUTE_MESSAGE
from devstack.web import WebServer

TOKEN = "eyJraWQiOiJrMSJ9.eyJzdWIiOiJzZWNyZXQtc3ViamVjdCJ9.c2lnbmF0dXJlLW5vdC10by1lY2hv"


@pytest.fixture
def server() -> Iterator[WebServer]:
    app = Chalice(app_name="local-web-routes")

    @app.route("/api/v1/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.route("/api/v1/companies/{company_id}/erp/jobs/{job_id}")
    def job(company_id: str, job_id: str) -> dict[str, str]:
        return {"job_id": job_id}

    config = Config.create(chalice_app=app, app_name="local-web-routes", chalice_stage="dev")
    web = WebServer(app, config).start()
    try:
        yield web
    finally:
        web.stop()


def connect(web: WebServer) -> http.client.HTTPConnection:
    host, port = web.url.removeprefix("http://").split(":")
    return http.client.HTTPConnection(host, int(port), timeout=10)


def send(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> tuple[http.client.HTTPResponse, bytes]:
    connection.request(method, path, body=body, headers=headers or {})
    answer = connection.getresponse()
    return answer, answer.read()


def not_found(answer: http.client.HTTPResponse, raw: bytes) -> dict[str, Any]:
    assert answer.status == 404, raw
    assert answer.getheader("Content-Type") == "application/json"
    body = json.loads(raw)
    assert body == {"error": {"code": "not_found", "message": NO_SUCH_ROUTE_MESSAGE}}
    return body


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nothing-here",
        "/api/v1/companies/demo/erp/jobs",  # a prefix of a route is no route
        "/api/v1/companies/demo/erp/jobs/job-1/unknown?limit=5",
        "/api",
        "/elsewhere",  # no web app built: every path goes to the API
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE", "OPTIONS"])
def test_a_path_no_route_takes_answers_the_apis_404(
    server: WebServer, path: str, method: str
) -> None:
    connection = connect(server)
    try:
        not_found(*send(connection, method, path))
    finally:
        connection.close()


def test_the_404_never_echoes_the_authorization_header(server: WebServer) -> None:
    connection = connect(server)
    try:
        for scheme in ("Bearer", "Basic", "AWS4-HMAC-SHA256 Credential="):
            answer, raw = send(
                connection,
                "GET",
                "/api/v1/companies/demo/erp/nothing",
                {"Authorization": f"{scheme} {TOKEN}"},
            )
            not_found(answer, raw)
            assert TOKEN.encode() not in raw and b"Authorization" not in raw
    finally:
        connection.close()


def test_a_body_sent_to_no_route_is_read_so_the_connection_serves_the_next_request(
    server: WebServer,
) -> None:
    connection = connect(server)
    try:
        payload = json.dumps({"note": "x" * 10_000}).encode()
        not_found(*send(connection, "POST", "/api/v1/nothing", body=payload))
        answer, raw = send(connection, "HEAD", "/api/v1/nothing")
        assert (answer.status, raw) == (404, b"")
        answer, raw = send(connection, "GET", "/api/v1/companies/demo/erp/jobs/job-1")
        assert (answer.status, json.loads(raw)) == (200, {"job_id": "job-1"})
    finally:
        connection.close()
