"""The Procore sandbox: a Flask blueprint speaking the subset of Procore's REST API Budget Bridge uses.

It holds Procore companies, projects, WBS codes and budget line items in memory (seeded from the
demo data's `pilot` company), so the Procore target runs the same HTTP code as against Procore, and
a person or a test can read or lock a budget "in Procore". docs/targets/procore.md lists what it
does not imitate. Mounted under `/procore` (`blueprint()`); `ProcoreSandbox` serves it alone.

Procore's routes (every one but the token needs `Authorization: Bearer` and `Procore-Company-Id`):

    POST   /oauth/token   grant_type=client_credentials, client_id, client_secret (form or JSON)
    GET    /rest/v1.0/budget_line_items?project_id=&page=&per_page=   (Total, Per-Page, Link)
    POST   /rest/v1.0/budget_line_items/sync  {project_id, budget_line_items: [{id | wbs_code_id,
               original_budget_amount?, description?, uom?, quantity?, unit_cost?}]}
               -> {entities, errors}   (the fields an update names are written, the others stay)
    DELETE /rest/v2.0/companies/{company_id}/projects/{project_id}/budget_line_items/{id}
               -> 204, no body; 404 for no such line; 422 for a locked budget or a line whose
               original_budget_amount is above 0 (Procore deletes neither)
    GET    /rest/v1.0/projects/{id}/budget              {id, project_id, locked}
    POST   /rest/v1.0/projects/{id}/budget/lock         locks it; DELETE unlocks
    GET    /rest/v1.0/projects/{id}/work_breakdown_structure/wbs_codes?page=&per_page=
               (each with its segment_items)
    GET    /rest/v1.0/projects/{id}/work_breakdown_structure/segments
               Sub Job and Cost Type flat, Cost Code tiered (division, then code)
    GET    /rest/v1.0/projects/{id}/work_breakdown_structure/segments/{id}/segment_items
               ?page=&per_page=   {id, code, name, parent_id, path_ids, path_codes, path_code,
               is_parent, segment}
    POST   (the same)  {code, name, parent_id?} -> 201 the item; 422 for a code taken
    POST   /rest/v1.0/projects/{id}/work_breakdown_structure/wbs_codes
               {segment_items: [{segment_id, segment_item_id}], description}
               -> 201; the code of that combination, its description updated, if it exists

Test switches (no token needed): `POST /sandbox/faults {"fail_sync_batch": n}` makes the n-th sync
call from then on answer every line of it in `errors`; `{"fail_next": n, "status": 429|503,
"retry_after": "1"}` fails the next n Procore calls; `DELETE /sandbox/faults` clears them;
`POST /sandbox/reset` restores the demo data; `POST /sandbox/projects/{id}/generate {"lines": n}`
gives a project a synthetic budget of n lines (benchmarks); `GET /sandbox/stats?since=<epoch s>`
counts the calls by route and the busiest 10-second window (against the spike limit).
"""

from __future__ import annotations

import math
import secrets
import threading
import time
import zlib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from devstack import demo_data

PREFIX = "procore"
TOKEN_SECONDS = 5400  # Procore's access tokens live 1.5 hours
HOURLY_LIMIT = 3600  # Procore's documented hourly limit per token
SPIKE_WINDOW_SECONDS = 10  # Procore documents a 10-second spike window; it publishes no number,
SPIKE_LIMIT = 200  # so the sandbox picks one (docs/targets/procore.md)
MAX_PER_PAGE = 1000  # beyond this Procore answers 1,000 per page
MAX_SYNC_ITEMS = 1000  # Procore refuses a sync of more than 1,000 items
_CENTS = Decimal("0.01")
# The three default segments of Procore's Work Breakdown Structure, in the pattern's order: the
# segment's `type` as the sandbox answers it, its display name and its structure. The cost code
# segment is tiered (a division, then the code under it), the others flat.
SEGMENTS = (
    ("sub_job", "Sub Job", "flat"),
    ("cost_code", "Cost Code", "tiered"),
    ("cost_type", "Cost Type", "flat"),
)
TIER_DELIMITER = "-"  # between a cost code's division and its code: "03" and "300" are "03-300"


@dataclass
class SegmentItem:
    id: int
    code: str  # its own tier's code: "300" under division "03"
    name: str
    parent: SegmentItem | None = None

    @property
    def path(self) -> list[SegmentItem]:
        return [*(self.parent.path if self.parent else []), self]

    @property
    def path_code(self) -> str:
        return TIER_DELIMITER.join(item.code for item in self.path)


@dataclass
class Segment:
    id: int
    type: str
    name: str
    structure: str
    items: dict[int, SegmentItem] = field(default_factory=dict)
    _parents: set[int] = field(default_factory=set)  # ids of the items others sit under
    _by_path: dict[str, SegmentItem] = field(default_factory=dict)

    def add(self, item: SegmentItem) -> None:
        self.items[item.id] = item
        self._by_path[item.path_code] = item
        if item.parent is not None:
            self._parents.add(item.parent.id)

    def answer(self, position: int) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "name": self.name,
            "position": position,
            "structure": self.structure,
            "delimiter": ".",
            "required": self.type != "sub_job",
            "segment_items_count": len(self.items),
        }

    def item_answer(self, item: SegmentItem) -> dict[str, Any]:
        path = item.path
        return {
            "id": item.id,
            "code": item.code,
            "name": item.name,
            "parent_id": item.parent.id if item.parent else None,
            "path_ids": [step.id for step in path],
            "path_codes": [step.code for step in path],
            "path_names": [step.name for step in path],
            "path_code": item.path_code,
            "is_parent": item.id in self._parents,
            "segment": {"id": self.id, "type": self.type, "name": self.name},
            "status": "active",
        }

    def at(self, path_code: str) -> SegmentItem | None:
        return self._by_path.get(path_code)

    def leaf(self, path_code: str) -> SegmentItem | None:
        """The item a WBS code may name by this path code: one no other item sits under."""
        item = self._by_path.get(path_code)
        return None if item is None or item.id in self._parents else item


@dataclass
class WbsCode:
    id: int
    sub_job: str
    cost_code: str
    cost_type: str
    description: str

    @property
    def flat_code(self) -> str:
        parts = [self.sub_job] if self.sub_job else []
        return ".".join([*parts, self.cost_code, self.cost_type])

    def answer(self, project: Project | None = None) -> dict[str, Any]:
        held = {"id": self.id, "flat_code": self.flat_code, "description": self.description}
        if project is not None:
            items = []
            for segment in project.segments:
                code = getattr(self, segment.type)
                item = segment.leaf(code) if code else None
                if item is not None:
                    items.append(segment.item_answer(item))
            held["segment_items"] = items
        return held


@dataclass
class LineItem:
    id: int
    wbs_code_id: int
    description: str
    original_budget_amount: Decimal
    uom: str | None = None
    quantity: Decimal | None = None
    unit_cost: Decimal | None = None


@dataclass
class Project:
    id: int
    name: str
    locked: bool = False
    wbs_codes: dict[int, WbsCode] = field(default_factory=dict)
    lines: dict[int, LineItem] = field(default_factory=dict)  # by line id, in creation order
    segments: list[Segment] = field(default_factory=list)  # the project's WBS pattern, in order

    def segment(self, segment_id: int) -> Segment | None:
        return next((s for s in self.segments if s.id == segment_id), None)

    def line_for_wbs(self, wbs_code_id: int) -> LineItem | None:
        for line in self.lines.values():
            if line.wbs_code_id == wbs_code_id:
                return line
        return None


@dataclass
class Company:
    id: int
    clients: dict[str, str]  # client id -> secret
    projects: dict[int, Project]


@dataclass
class Faults:
    fail_sync_batch: int = 0  # the n-th sync call from now answers every line in errors
    sync_calls: int = 0
    fail_next: int = 0
    status: int = 503
    retry_after: str | None = None


@dataclass
class Token:
    company_ids: set[int]
    expires_at: float
    calls: list[float] = field(default_factory=list)  # call times within the last hour


class State:
    """Everything the sandbox holds; every access goes through `lock`."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.companies: dict[int, Company] = {}
        self.tokens: dict[str, Token] = {}
        self.faults = Faults()
        self.calls: list[tuple[float, str]] = []  # (time, "METHOD path") of every Procore call
        self._next_id = 1
        self.reset()

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def reset(self) -> None:
        with self.lock:
            self._next_id = 500_000
            self.tokens.clear()
            self.faults = Faults()
            self.calls = []
            self.companies = {}
            company = Company(
                int(demo_data.PROCORE_COMPANY_ID),
                {demo_data.PROCORE_CLIENT_ID: demo_data.PROCORE_CLIENT_SECRET},
                {},
            )
            pilot = demo_data.company("pilot")
            project = pilot.projects[0]
            company.projects[int(demo_data.PROCORE_PROJECT_ID)] = self.project_from_demo(
                int(demo_data.PROCORE_PROJECT_ID), project
            )
            self.companies[company.id] = company

    def project_from_demo(self, project_id: int, demo: demo_data.DemoProject) -> Project:
        """The project's budget as an import into Procore left it, with its hand-entered units.

        Its WBS segments hold the pilot company's cost codes and cost types (as Procore holds a
        company's at the company level) and the project's own sub jobs, so a re-import may add a
        line on any of them; a code outside these is one Procore does not know."""
        project = Project(project_id, demo.name)
        self.add_segments(project, demo)
        for key, key_sum in demo.cost_sums().items():
            wbs = WbsCode(self.new_id(), *key, description=key_sum.description)
            project.wbs_codes[wbs.id] = wbs
            units = demo.project_units.get(key)
            line = LineItem(self.new_id(), wbs.id, key_sum.description, key_sum.amount)
            if units is not None:
                line.uom, line.quantity, line.unit_cost = units
            project.lines[line.id] = line
        return project

    def add_segments(self, project: Project, demo: demo_data.DemoProject) -> None:
        """Give the project the segment items of every key of `demo` it lacks (and, the first
        time, its three segments with the pilot company's cost codes and cost types)."""
        pilot = demo_data.company("pilot")
        keys = list(demo.cost_sums())
        codes = {
            "sub_job": {key[0]: f"Sub job {key[0]}" for key in keys if key[0]},
            "cost_code": {key[1]: key[1] for key in keys},
            "cost_type": {key[2]: key[2] for key in keys},
        }
        if not project.segments:
            codes["cost_code"] |= pilot.cost_codes
            codes["cost_type"] |= pilot.cost_types
            project.segments = [Segment(self.new_id(), *kind) for kind in SEGMENTS]
        for segment in project.segments:
            for code, item_name in sorted(codes[segment.type].items()):
                if segment.at(code) is None:
                    self.add_item(segment, code, item_name)

    def add_item(self, segment: Segment, path_code: str, name: str) -> SegmentItem:
        """A segment item by its path code: in a tiered segment "03-300" is code "300" under
        the division "03", which is added first when the segment lacks it."""
        parent = None
        code = path_code
        if segment.structure == "tiered" and TIER_DELIMITER in path_code:
            division, code = path_code.split(TIER_DELIMITER, 1)
            parent = segment.at(division) or self.add_item(
                segment, division, f"Division {division}"
            )
        item = SegmentItem(self.new_id(), code, name, parent)
        segment.add(item)
        return item


class Refusal(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def _refused(refusal: Refusal) -> Response:
    answer = jsonify({"errors": refusal.message})
    answer.status_code = refusal.status
    answer.headers.update(refusal.headers)
    return answer


def _oauth_refusal(status: int, error: str, description: str) -> Response:
    """The token endpoint refuses as OAuth2 does (RFC 6749, 5.2), not in the REST `errors` form."""
    answer = jsonify(error=error, error_description=description)
    answer.status_code = status
    return answer


def _state() -> State:
    return current_app.extensions["procore_sandbox"]  # type: ignore[no-any-return]


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(_CENTS))


def _line_answer(project: Project, line: LineItem) -> dict[str, Any]:
    wbs = project.wbs_codes[line.wbs_code_id]
    return {
        "id": line.id,
        "project_id": project.id,
        "description": line.description,
        "original_budget_amount": _money(line.original_budget_amount),
        "uom": line.uom,
        "quantity": None if line.quantity is None else str(line.quantity),
        # As stored, like quantity: a unit cost may carry more than cents (Procore keeps it so).
        "unit_cost": None if line.unit_cost is None else str(line.unit_cost),
        "wbs_code": wbs.answer(),
        "cost_code": {"id": zlib.crc32(wbs.cost_code.encode()), "full_code": wbs.cost_code},
        "line_item_type": {"id": zlib.crc32(wbs.cost_type.encode()), "code": wbs.cost_type},
        "sub_job": {"code": wbs.sub_job} if wbs.sub_job else None,
    }


def blueprint() -> Blueprint:
    """Procore's routes and the sandbox switches; the app must carry a `State` (see `install`)."""
    bp = Blueprint(PREFIX, __name__)

    @bp.post("/oauth/token")
    def token() -> Response:
        body = request.form.to_dict() or (request.get_json(silent=True) or {})
        if body.get("grant_type") != "client_credentials":
            return _oauth_refusal(400, "unsupported_grant_type", "Only client_credentials.")
        state = _state()
        with state.lock:
            owners = {
                c.id
                for c in state.companies.values()
                if c.clients.get(str(body.get("client_id"))) == body.get("client_secret")
                and body.get("client_secret")
            }
            if not owners:
                return _oauth_refusal(401, "invalid_client", "Client authentication failed.")
            value = secrets.token_urlsafe(24)
            state.tokens[value] = Token(owners, time.time() + TOKEN_SECONDS)
        return jsonify(
            access_token=value,
            token_type="Bearer",
            expires_in=TOKEN_SECONDS,
            created_at=int(time.time()),
        )

    @bp.get("/rest/v1.0/budget_line_items")
    def list_lines() -> Response:
        project = _project(request.args.get("project_id", ""))
        rows = [_line_answer(project, line) for line in project.lines.values()]
        return _paged(rows)

    @bp.post("/rest/v1.0/budget_line_items/sync")
    def sync() -> Response:
        body = request.get_json(silent=True) or {}
        project = _project(str(body.get("project_id", "")))
        updates = body.get("budget_line_items")
        if not isinstance(updates, list) or len(updates) > MAX_SYNC_ITEMS:
            raise Refusal(
                422, f"budget_line_items must be a list of at most {MAX_SYNC_ITEMS} items"
            )
        return _rated(jsonify(_sync(project, updates)))

    @bp.delete(
        "/rest/v2.0/companies/<int:company_id>/projects/<int:project_id>"
        "/budget_line_items/<int:line_id>"
    )
    def delete_line(company_id: int, project_id: int, line_id: int) -> Response:
        project = _project(str(project_id))
        if company_id != int(request.headers.get("Procore-Company-Id", "0")):
            raise Refusal(403, "The company in the path is not the Procore-Company-Id.")
        _delete_line(project, line_id)
        return _rated(Response(status=204))

    @bp.get("/rest/v1.0/projects/<int:project_id>/budget")
    def budget(project_id: int) -> Response:
        project = _project(str(project_id))
        return _rated(jsonify(id=project.id, project_id=project.id, locked=project.locked))

    @bp.route("/rest/v1.0/projects/<int:project_id>/budget/lock", methods=["POST", "DELETE"])
    def lock(project_id: int) -> Response:
        project = _project(str(project_id))
        with _state().lock:
            project.locked = request.method == "POST"
        return _rated(jsonify(id=project.id, project_id=project.id, locked=project.locked))

    @bp.get("/rest/v1.0/projects/<int:project_id>/work_breakdown_structure/wbs_codes")
    def list_wbs(project_id: int) -> Response:
        project = _project(str(project_id))
        with _state().lock:
            rows = [w.answer(project) for w in project.wbs_codes.values()]
        return _paged(rows)

    @bp.post("/rest/v1.0/projects/<int:project_id>/work_breakdown_structure/wbs_codes")
    def create_wbs(project_id: int) -> Response:
        project = _project(str(project_id))
        with _state().lock:
            wbs = _new_wbs(project, request.get_json(silent=True) or {})
            answer = jsonify(wbs.answer(project))
        answer.status_code = 201
        return _rated(answer)

    @bp.get("/rest/v1.0/projects/<int:project_id>/work_breakdown_structure/segments")
    def list_segments(project_id: int) -> Response:
        project = _project(str(project_id))
        with _state().lock:
            rows = [s.answer(n) for n, s in enumerate(project.segments, start=1)]
        return _rated(jsonify(rows))

    @bp.get(
        "/rest/v1.0/projects/<int:project_id>/work_breakdown_structure/segments"
        "/<int:segment_id>/segment_items"
    )
    def list_segment_items(project_id: int, segment_id: int) -> Response:
        project = _project(str(project_id))
        with _state().lock:
            segment = project.segment(segment_id)
            if segment is None:
                raise Refusal(404, f"Segment {segment_id} was not found in this project.")
            rows = [segment.item_answer(item) for item in segment.items.values()]
        return _paged(rows)

    @bp.post(
        "/rest/v1.0/projects/<int:project_id>/work_breakdown_structure/segments"
        "/<int:segment_id>/segment_items"
    )
    def add_segment_item(project_id: int, segment_id: int) -> Response:
        project = _project(str(project_id))
        body = request.get_json(silent=True) or {}
        state = _state()
        with state.lock:
            segment = project.segment(segment_id)
            if segment is None:
                raise Refusal(404, f"Segment {segment_id} was not found in this project.")
            item = _new_item(state, segment, body)
            answer = jsonify(segment.item_answer(item))
        answer.status_code = 201
        return _rated(answer)

    _sandbox_routes(bp)
    return bp


def _sandbox_routes(bp: Blueprint) -> None:
    @bp.post("/sandbox/faults")
    def set_faults() -> Response:
        return set_fault(_state(), request.get_json(silent=True) or {})

    @bp.delete("/sandbox/faults")
    def clear_faults() -> Response:
        with _state().lock:
            _state().faults = Faults()
        return Response(status=204)

    @bp.get("/sandbox/stats")
    def stats() -> Response:
        """What the calls cost against Procore's limits: totals by route, busiest 10 s window."""
        since = float(request.args.get("since", 0) or 0)
        with _state().lock:
            calls = [(t, route) for t, route in _state().calls if t >= since]
        by_route: dict[str, int] = {}
        for _, route in calls:
            by_route[route] = by_route.get(route, 0) + 1
        times = [t for t, _ in calls]
        busiest, start = 0, 0
        for end, moment in enumerate(times):
            while moment - times[start] >= SPIKE_WINDOW_SECONDS:
                start += 1
            busiest = max(busiest, end - start + 1)
        return jsonify(
            calls=len(calls),
            by_route=by_route,
            busiest_spike_window=busiest,
            spike_limit=SPIKE_LIMIT,
            spike_window_seconds=SPIKE_WINDOW_SECONDS,
            hourly_limit=HOURLY_LIMIT,
        )

    @bp.post("/sandbox/reset")
    def reset() -> Response:
        _state().reset()
        return jsonify(reset=True)

    @bp.post("/sandbox/projects/<int:project_id>/generate")
    def generate(project_id: int) -> Response:
        body = request.get_json(silent=True) or {}
        count, seed = int(body.get("lines", 1000)), int(body.get("seed", 1))
        demo = demo_data.large_project("K-9001", count, seed, "pilot")
        state = _state()
        with state.lock:
            company = state.companies[int(demo_data.PROCORE_COMPANY_ID)]
            company.projects[project_id] = state.project_from_demo(project_id, demo)
        return jsonify(project_id=project_id, lines=count)


def set_fault(state: State, body: dict[str, Any]) -> Response:
    try:
        faults = Faults(
            fail_sync_batch=int(body.get("fail_sync_batch", 0)),
            fail_next=int(body.get("fail_next", 0)),
            status=int(body.get("status", 503)),
            retry_after=None if body.get("retry_after") is None else str(body["retry_after"]),
        )
    except (TypeError, ValueError):
        raise Refusal(
            400, "Fault fields: fail_sync_batch, fail_next, status, retry_after."
        ) from None
    with state.lock:
        state.faults = faults
    return jsonify(fault=vars(faults))


def _authorize() -> int:
    """The caller's company: a live token that may act for the Procore-Company-Id it names."""
    state = _state()
    header = request.headers.get("Authorization", "")
    company = request.headers.get("Procore-Company-Id", "")
    with state.lock:
        token = state.tokens.get(header.removeprefix("Bearer ").strip())
        if not header.startswith("Bearer ") or token is None or token.expires_at < time.time():
            raise Refusal(401, "The access token is missing, invalid or expired.")
        if not company.isdigit() or int(company) not in token.company_ids:
            raise Refusal(403, "Procore-Company-Id is missing or not this token's company.")
        _count_call(state, token)
        state.calls.append((time.time(), f"{request.method} {request.url_rule}"))
        return int(company)


def _count_call(state: State, token: Token) -> None:
    now = time.time()
    faults = state.faults
    if faults.fail_next > 0:
        faults.fail_next -= 1
        headers = {"Retry-After": faults.retry_after} if faults.retry_after else {}
        raise Refusal(faults.status, "The sandbox was told to fail this call.", headers)
    token.calls = [t for t in token.calls if t > now - 3600]
    spike = [t for t in token.calls if t > now - SPIKE_WINDOW_SECONDS]
    if len(token.calls) >= HOURLY_LIMIT or len(spike) >= SPIKE_LIMIT:
        raise Refusal(
            429,
            "You have surpassed the max number of requests for an hour. "
            "Please wait until your limit resets.",
            _limit_headers(token, now),
        )
    token.calls.append(now)
    request.environ["procore.limits"] = _limit_headers(token, now)


def _limit_headers(token: Token, now: float) -> dict[str, str]:
    """Like Procore: the limit the caller is closest to exceeding, the spike one until late."""
    spike_used = len([t for t in token.calls if t > now - SPIKE_WINDOW_SECONDS])
    hourly_left = HOURLY_LIMIT - len(token.calls)
    spike_left = SPIKE_LIMIT - spike_used
    if hourly_left < spike_left:
        reset = (token.calls[0] if token.calls else now) + 3600
        return _headers(HOURLY_LIMIT, hourly_left, reset)
    oldest = [t for t in token.calls if t > now - SPIKE_WINDOW_SECONDS]
    reset = (oldest[0] if oldest else now) + SPIKE_WINDOW_SECONDS
    return _headers(SPIKE_LIMIT, spike_left, reset)


def _headers(limit: int, remaining: int, reset: float) -> dict[str, str]:
    return {
        "X-Rate-Limit-Limit": str(limit),
        "X-Rate-Limit-Remaining": str(max(remaining, 0)),
        "X-Rate-Limit-Reset": str(math.ceil(reset)),
    }


def _rated(answer: Response) -> Response:
    answer.headers.update(request.environ.get("procore.limits", {}))
    return answer


def _project(project_id: str) -> Project:
    company_id = _authorize()
    state = _state()
    with state.lock:
        project = (
            state.companies[company_id].projects.get(int(project_id))
            if project_id.isdigit()
            else None
        )
    if project is None:
        raise Refusal(404, f"Project {project_id or '(none)'} was not found in this company.")
    return project


def _paged(rows: list[dict[str, Any]]) -> Response:
    """Procore's paging: `page` and `per_page`, with `Total`, `Per-Page` and a `Link` header."""
    try:
        page = max(int(request.args.get("page", 1)), 1)
        per_page = min(max(int(request.args.get("per_page", 100)), 1), MAX_PER_PAGE)
    except ValueError:
        raise Refusal(400, "page and per_page must be whole numbers.") from None
    last = max(math.ceil(len(rows) / per_page), 1)
    answer = jsonify(rows[(page - 1) * per_page : page * per_page])
    answer.headers["Total"] = str(len(rows))
    answer.headers["Per-Page"] = str(per_page)
    args = {k: v for k, v in request.args.items() if k not in ("page", "per_page")}
    base = request.base_url + "?" + "".join(f"{urlencode({k: v})}&" for k, v in args.items())
    # As Procore: first and prev after the first page, next and last before the last one.
    rels = [("first", 1), ("prev", page - 1)] if page > 1 else []
    rels += [("next", page + 1), ("last", last)] if page < last else [("last", last)]
    links = [f'<{base}page={n}&per_page={per_page}>; rel="{rel}"' for rel, n in rels]
    answer.headers["Link"] = ", ".join(links)
    return _rated(answer)


def _sync(project: Project, updates: list[Any]) -> dict[str, Any]:
    state = _state()
    with state.lock:
        faults = state.faults
        failing = False
        if faults.fail_sync_batch > 0:
            faults.sync_calls += 1
            failing = faults.sync_calls == faults.fail_sync_batch
        if project.locked:
            return {"entities": [], "errors": [_error(u, "The budget is locked.") for u in updates]}
        if failing:
            return {
                "entities": [],
                "errors": [
                    _error(u, "Budget line item could not be saved (sandbox fault).")
                    for u in updates
                ],
            }
        entities, errors = [], []
        for update in updates:
            try:
                entities.append(_line_answer(project, _apply_update(state, project, update)))
            except Refusal as why:
                errors.append(_error(update, why.message))
        return {"entities": entities, "errors": errors}


def _delete_line(project: Project, line_id: int) -> None:
    """As Procore's Budget tool: a line goes only from an unlocked budget, and only while its
    original budget is not above 0 (support.procore.com, "Delete a Budget Line Item")."""
    with _state().lock:
        line = project.lines.get(line_id)
        if line is None:
            raise Refusal(404, f"Budget line item {line_id} was not found.")
        if project.locked:
            raise Refusal(422, "The budget is locked: its line items cannot be deleted.")
        if line.original_budget_amount > 0:
            raise Refusal(
                422, "A budget line item with an original budget above 0 cannot be deleted."
            )
        del project.lines[line_id]


def _error(update: Any, message: str) -> dict[str, Any]:
    item = update if isinstance(update, dict) else {}
    return {
        "id": item.get("id"),
        "wbs_code_id": item.get("wbs_code_id"),
        "errors": {"base": [message]},
    }


def _apply_update(state: State, project: Project, update: Any) -> LineItem:
    """The fields an update names are written, the others stay: a re-import sends the amount
    (and, for a new line, its description) only, a person's edit the fields it sets. A new line
    needs an amount."""
    if not isinstance(update, dict):
        raise Refusal(422, "Each update must be an object.")
    amount = _amount(update)
    units = _units(update)
    line = None
    if update.get("id") is not None:
        line = project.lines.get(int(update["id"]))
        if line is None:
            raise Refusal(404, f"Budget line item {update['id']} was not found.")
    elif update.get("wbs_code_id") is not None:
        wbs_id = int(update["wbs_code_id"])
        if wbs_id not in project.wbs_codes:
            raise Refusal(422, f"WBS code {wbs_id} does not exist in this project.")
        line = project.line_for_wbs(wbs_id)
        if line is None:
            if amount is None:
                raise Refusal(422, "A new budget line item needs an original_budget_amount.")
            description = str(update.get("description") or project.wbs_codes[wbs_id].description)
            line = LineItem(state.new_id(), wbs_id, description, amount)
            project.lines[line.id] = line
    else:
        raise Refusal(422, "Each update names an id or a wbs_code_id.")
    if amount is not None:
        line.original_budget_amount = amount
    if isinstance(update.get("description"), str):
        line.description = update["description"]
    for name, value in units.items():
        setattr(line, name, value)
    return line


def _amount(update: dict[str, Any]) -> Decimal | None:
    raw = update.get("original_budget_amount", update.get("amount"))
    if raw is None and "original_budget_amount" not in update and "amount" not in update:
        return None
    try:
        return Decimal(str(raw)).quantize(_CENTS)
    except (InvalidOperation, ValueError):
        raise Refusal(422, "original_budget_amount must be a number.") from None


def _units(update: dict[str, Any]) -> dict[str, Any]:
    """uom, quantity and unit_cost as the update names them (null clears one)."""
    units: dict[str, Any] = {}
    if "uom" in update:
        if update["uom"] is not None and not isinstance(update["uom"], str):
            raise Refusal(422, "uom must be text or null.")
        units["uom"] = update["uom"] or None
    for name in ("quantity", "unit_cost"):
        if name not in update:
            continue
        try:
            units[name] = None if update[name] is None else Decimal(str(update[name]))
        except (InvalidOperation, ValueError):
            raise Refusal(422, f"{name} must be a number or null.") from None
        if units[name] is not None and not units[name].is_finite():
            raise Refusal(422, f"{name} must be a number or null.")
    return units


def _new_item(state: State, segment: Segment, body: dict[str, Any]) -> SegmentItem:
    """As Procore's Create Project Segment Item: a code and a name, under `parent_id` if given;
    a code its parent (or the segment's top) already holds is refused."""
    code, name, parent_id = body.get("code"), body.get("name"), body.get("parent_id")
    if not isinstance(code, str) or not code.strip() or not isinstance(name, str) or not name:
        raise Refusal(400, "A segment item needs a code and a name.")
    parent = segment.items.get(parent_id) if isinstance(parent_id, int) else None
    if parent_id is not None and parent is None:
        raise Refusal(422, f"Parent segment item {parent_id} does not exist.")
    if any(i.parent is parent and i.code == code for i in segment.items.values()):
        raise Refusal(422, f"Code {code} has already been taken.")
    item = SegmentItem(state.new_id(), code, name, parent)
    segment.add(item)
    return item


def _new_wbs(project: Project, body: dict[str, Any]) -> WbsCode:
    """As Procore's Create a WBS Code: segment items named by their segment's and their own id,
    one a segment at most, every required segment named, only leaf items; the code of a
    combination that exists already is answered, its description updated."""
    raw_items = body.get("segment_items")
    if not isinstance(raw_items, list) or not raw_items:
        raise Refusal(400, "segment_items must be a list of {segment_id, segment_item_id}.")
    codes: dict[str, str] = {}
    for raw in raw_items:
        named = raw if isinstance(raw, dict) else {}
        segment_id, item_id = named.get("segment_id"), named.get("segment_item_id")
        if not isinstance(segment_id, int) or not isinstance(item_id, int):
            raise Refusal(400, "segment_items must be a list of {segment_id, segment_item_id}.")
        segment = project.segment(segment_id)
        item = segment.items.get(item_id) if segment else None
        if segment is None or item is None:
            raise Refusal(422, f"Segment item {item_id} of segment {segment_id} does not exist.")
        if segment.type in codes:
            raise Refusal(422, f"The {segment.name} segment is named twice.")
        if segment.leaf(item.path_code) is not item:
            raise Refusal(422, f"{segment.name} {item.path_code} is a division, not a code.")
        codes[segment.type] = item.path_code
    for segment in project.segments:
        if segment.type != "sub_job" and segment.type not in codes:
            raise Refusal(422, f"A WBS code needs a {segment.name} segment item.")
    combination = (codes.get("sub_job", ""), codes["cost_code"], codes["cost_type"])
    description = str(body.get("description") or "")
    for existing in project.wbs_codes.values():
        if (existing.sub_job, existing.cost_code, existing.cost_type) == combination:
            if description:
                existing.description = description
            return existing
    wbs = WbsCode(_state().new_id(), *combination, description=description)
    project.wbs_codes[wbs.id] = wbs
    return wbs


def install(app: Flask, state: State | None = None, url_prefix: str = f"/{PREFIX}") -> State:
    """Mount the Procore sandbox on `app` under `url_prefix`; returns its state."""
    held = state or State()
    app.extensions["procore_sandbox"] = held
    app.register_error_handler(Refusal, _refused)
    app.register_blueprint(blueprint(), url_prefix=url_prefix)
    return held


def app(state: State | None = None) -> Flask:
    """A Flask app serving the Procore sandbox under /procore, and the shared switches at /sandbox.

    `POST /sandbox/faults` with `"prefix": "procore"` (or none) reaches this sandbox, as on the
    shared sandbox server.
    """
    flask_app = Flask(__name__)
    held = install(flask_app, state)

    @flask_app.post("/sandbox/faults")
    def faults() -> Response:
        body = request.get_json(silent=True) or {}
        if body.get("prefix") not in (None, PREFIX):
            return jsonify(fault=None)
        return set_fault(held, body)

    @flask_app.delete("/sandbox/faults")
    def clear() -> Response:
        with held.lock:
            held.faults = Faults()
        return Response(status=204)

    return flask_app


class ProcoreSandbox:
    """The Procore sandbox in a background thread; `start()` returns self, `url` is its base URL."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        from werkzeug.serving import WSGIRequestHandler, make_server

        class Quiet(WSGIRequestHandler):
            def log_request(self, *args: Any, **kwargs: Any) -> None:
                pass

        self.state = State()
        self._server = make_server(
            host, port, app(self.state), threaded=True, request_handler=Quiet
        )
        self._thread: threading.Thread | None = None

    @property
    def root(self) -> str:
        return f"http://{self._server.host}:{self._server.port}"

    @property
    def url(self) -> str:
        """What a company's target `base_url` names."""
        return f"{self.root}/{PREFIX}"

    def start(self) -> ProcoreSandbox:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="sandbox-procore", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> ProcoreSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
