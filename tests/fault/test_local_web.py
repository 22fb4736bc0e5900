"""The local web server against hostile paths, and the security headers it shares with CloudFront."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from pathlib import Path

import pytest
from chalice import Chalice
from chalice.config import Config

from chalicelib.resources import SECURITY_HEADERS
from devstack.web import WebServer


@pytest.fixture
def server(tmp_path: Path) -> Iterator[WebServer]:
    (tmp_path / "index.html").write_text("<!doctype html><title>Budget Bridge</title>")
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "app.js").write_text("console.log('hi')")
    app = Chalice(app_name="local-web-test")

    @app.route("/api/v1/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    config = Config.create(chalice_app=app, app_name="local-web-test", chalice_stage="dev")
    web = WebServer(app, config, frontend_dist=tmp_path).start()
    try:
        yield web
    finally:
        web.stop()


def get(web: WebServer, path: str, method: str = "GET") -> http.client.HTTPResponse:
    host, port = web.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request(method, path)
    answer = connection.getresponse()
    answer.read()
    connection.close()
    return answer


@pytest.mark.parametrize(
    "path", ["/%00", "/assets/%00.js", "/a%00b", "/api/v1/health%00", "/%2e%2e/%00etc/passwd"]
)
def test_a_nul_in_the_path_answers_400_rather_than_dropping_the_connection(
    server: WebServer, path: str
) -> None:
    assert get(server, path).status == 400
    assert get(server, "/").status == 200, "the server still answers afterwards"


@pytest.mark.parametrize(
    "path", ["/", "/assets/app.js", "/projects/p-1/budget", "/missing.png", "/api/v1/health"]
)
def test_every_answer_carries_the_security_headers_cloudfront_sends(
    server: WebServer, path: str
) -> None:
    answer = get(server, path)

    for name, value in SECURITY_HEADERS.http_headers().items():
        assert answer.getheader(name) == value, name
    assert answer.getheader("X-Content-Type-Options") == "nosniff"
    assert answer.getheader("X-Frame-Options") == "DENY"
