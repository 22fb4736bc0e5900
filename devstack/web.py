"""The local web server: Chalice's own local API server, plus the built web app at every other path.

`/api/...` goes to Chalice's `LocalGateway` exactly as `chalice local` would route it (same routes,
same Lambda proxy events as API Gateway sends); a path no route takes answers the API's 404, as
API Gateway does in AWS (infra/gateway.py). When `frontend/dist` exists, a GET for any other
path answers the file it names, or `index.html` for the single-page app's client-side routes, the
way CloudFront serves the site from S3 in AWS.
"""

from __future__ import annotations

import json
import mimetypes
import os
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from chalice.app import Chalice
from chalice.config import Config
from chalice.local import (
    ChaliceRequestHandler,
    CustomLocalChalice,
    LocalChalice,
    LocalDevServer,
    RouteMatcher,
)

from chalicelib import resources
from chalicelib.entrypoints.api.errors import NO_SUCH_ROUTE_MESSAGE
from chalicelib.resources import SECURITY_HEADERS

API_PREFIX = "/api/"
UPLOAD_PATH = resources.EXPORTS.local_upload_path  # devstack/provision.py points forms here
_FORM_OVERHEAD = 64 * 1024  # the presigned form's fields around the file
_MAX_DRAIN = 64 * 1024 * 1024  # beyond this a refused upload's connection is simply closed
RUNTIME_CONFIG_PATH = "/runtime-config.json"  # the web app's settings (frontend/src/api.ts)
LOCAL_RUNTIME_CONFIG = {"apiBase": ""}
NUL_IN_PATH_MESSAGE = (
    "The address contains a NUL character (%00), which no route or file name can hold; remove it "
    "and try again."
)


class WebRequestHandler(ChaliceRequestHandler):
    """Chalice's local request handler with the static site in front and no per-request log."""

    frontend_dist: Path | None = None  # set on the subclass each server makes
    routes: RouteMatcher | None = None  # likewise: the app's routes, as Chalice matches them

    def _route(self) -> None:
        path = urlsplit(self.path).path
        if "\x00" in unquote(path):
            # No file or route has a NUL in its name; the filesystem would refuse it mid-answer.
            self._answer_nul_in_path()
            return
        if path.startswith(UPLOAD_PATH) and self.command == "POST":
            self._pass_upload(path.removeprefix(UPLOAD_PATH))
            return
        static = self.frontend_dist is not None and self.command in ("GET", "HEAD")
        if static and not (path == "/api" or path.startswith(API_PREFIX)):
            self._serve_static(path)
        elif not self._has_route():
            self._answer_no_route()
        else:
            self._generic_handle()

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _route

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, QUERY, ...) goes to the gateway too, so it answers a JSON 405
        # as API Gateway does, not the base server's HTML 501.
        if name.startswith("do_"):
            return self._route
        raise AttributeError(name)

    def _has_route(self) -> bool:
        if self.routes is None:
            return True
        try:
            self.routes.match_route(self.path)
        except ValueError:
            return False
        return True

    def _answer_no_route(self) -> None:
        """The API's 404, as API Gateway answers a path no route takes (infra/gateway.py).

        Chalice's local gateway would answer its imitation of API Gateway's default instead: a
        403 "Missing Authentication Token" or, when the request carries an Authorization header,
        a sentence quoting that header, token and all."""
        self._drain(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"error": {"code": "not_found", "message": NO_SUCH_ROUTE_MESSAGE}})
        self._send(404, body.encode(), "application/json", {"Cache-Control": "no-store"})

    def _answer_nul_in_path(self) -> None:
        """The API's 400 `invalid_request`, in its error shape (docs/api.md, "Errors"), for any
        path with a NUL: it never reaches a route or the filesystem."""
        self._drain(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"error": {"code": "invalid_request", "message": NUL_IN_PATH_MESSAGE}})
        self._send(400, body.encode(), "application/json", {"Cache-Control": "no-store"})

    def _pass_upload(self, bucket: str) -> None:
        """A browser's presigned POST of a budget export, passed on to the local stack's S3.

        In AWS the browser posts to S3 itself; locally moto is on another origin than the web
        app, which its CSP forbids, so this same-origin path stands in. Like S3's own
        `content-length-range`, a body over the limit is refused unread.
        """
        size = int(self.headers.get("Content-Length") or 0)
        if bucket != resources.EXPORTS.default_name or "/" in bucket:
            self._send_text(404, b"No such bucket\n")
            return
        if size > resources.EXPORTS.max_object_bytes + _FORM_OVERHEAD:
            self._drain(size)  # so the client reads the answer instead of a broken pipe
            self._send_text(400, b"EntityTooLarge: uploads may be at most 10 MB\n")
            return
        body = self.rfile.read(size)
        forward = urllib.request.Request(  # noqa: S310 - the local stack's moto server
            f"{os.environ['AWS_ENDPOINT_URL'].rstrip('/')}/{bucket}", data=body, method="POST",
            headers={"Content-Type": self.headers.get("Content-Type", "")},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(forward, timeout=60) as answer:  # noqa: S310
                status, reply = answer.status, answer.read()
        except urllib.error.HTTPError as error:
            status, reply = error.code, error.read()
        self._send_text(status, reply)

    def _drain(self, size: int) -> None:
        if size > _MAX_DRAIN:
            self.close_connection = True
            return
        while size > 0:
            chunk = self.rfile.read(min(size, 1 << 16))
            if not chunk:
                break
            size -= len(chunk)

    def _serve_static(self, path: str) -> None:
        assert self.frontend_dist is not None
        root = self.frontend_dist
        target = (root / unquote(path).lstrip("/")).resolve()
        inside = target == root or root in target.parents
        if inside and target.is_file():
            self._send_file(target, immutable="/assets/" in path)
        elif path == RUNTIME_CONFIG_PATH:
            # In AWS the site's deployment writes it (infra/site.py); here the API is on this
            # same origin, which an empty apiBase says. Answered, so a page load logs no 404.
            body = json.dumps(LOCAL_RUNTIME_CONFIG).encode()
            self._send(200, body, "application/json", {"Cache-Control": "no-store"})
        elif inside and not Path(path).suffix and (root / "index.html").is_file():
            self._send_file(root / "index.html", immutable=False)  # a client-side route
        else:
            self._send_text(404, b"Not found\n")

    def _send_text(self, status: int, body: bytes) -> None:
        self._send(status, body, "text/plain; charset=utf-8")

    def _send(
        self, status: int, body: bytes, kind: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def end_headers(self) -> None:
        # Every answer, API and static alike, carries the headers CloudFront adds in AWS.
        for name, value in SECURITY_HEADERS.http_headers().items():
            self.send_header(name, value)
        super().end_headers()

    def _send_file(self, file: Path, *, immutable: bool) -> None:
        body = file.read_bytes()
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind in ("application/javascript", "application/json"):
            kind += "; charset=utf-8"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        # Vite fingerprints everything under assets/; index.html must always be fetched fresh.
        cache = "public, max-age=31536000, immutable" if immutable else "no-cache"
        self.send_header("Cache-Control", cache)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's signature
        """Quiet: the app logs what matters itself."""


class WebServer:
    """The API (and the web app) on `host:port` in a background thread; port 0 picks a free one."""

    def __init__(
        self,
        app: Chalice,
        config: Config,
        host: str = "127.0.0.1",
        port: int = 0,
        frontend_dist: Path | None = None,
    ) -> None:
        # As `chalice local` does: a thread-local current_request, for a threaded server.
        if not isinstance(app, LocalChalice):
            CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
            app.__class__ = CustomLocalChalice
        dist = frontend_dist.resolve() if frontend_dist and frontend_dist.is_dir() else None
        handler = type(
            "BoundWebRequestHandler",
            (WebRequestHandler,),
            {"frontend_dist": dist, "routes": RouteMatcher(list(app.routes))},
        )
        self.frontend_dist = dist
        self._server = LocalDevServer(app, config, host, port, handler_cls=handler)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> WebServer:
        self._thread = threading.Thread(
            target=self._server.server.serve_forever, name="web", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server.server_close()
