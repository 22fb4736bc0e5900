"""The Procore target's wire: one project's budget through Procore's REST API (docs/targets/procore.md).

OAuth2 client credentials (a Developer Managed Service Account) with the token reused until it
expires; `Procore-Company-Id` on every call; budget line items read page by page until Procore's
`Link` header has no next page; WBS codes created for keys the project lacks; amounts (or one
person's edit of a line) written with `budget_line_items/sync` (at most 1,000 a call) whose
`{entities, errors}` answer is checked line by line; a line a failed job created removed again
(`DELETE` of its budget line item). Procore's `X-Rate-Limit-*` headers pace the calls; 429 and 503
wait for `Retry-After` (seconds or an HTTP date), and a wait longer than a call waits is handed to
the job queue in the error (`retry_after_seconds`).
Every call is judged by the connections' address guard and connects to the address it checked,
through the ERP connectors' own opener (`adapters/erp/common/pinned.py`), which follows no redirect.
All-or-nothing is not here: services/targets.py builds it on top of these calls.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
import urllib.error
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from chalicelib.adapters.erp.common import pinned, redact, url_guard
from chalicelib.adapters.erp.common.http import retry_after_seconds
from chalicelib.domain.errors import (
    ErpUnavailable,
    TargetRejected,
    TargetUnavailable,
    UnsafeErpAddress,
)
from chalicelib.domain.limits import quote
from chalicelib.domain.model import (
    ErpCredentials,
    LineError,
    LineItem,
    TargetConfig,
    TargetLine,
    TargetWrite,
    WbsKey,
)

API = "/rest/v1.0"
# Procore documents the deletion of a budget line item in its v2.0 API only, company and project in
# the path.
API_V2 = "/rest/v2.0"
PER_PAGE = 1000
SYNC_BATCH = 1000  # Procore's most items in one budget_line_items/sync call
TIMEOUT_SECONDS = 20.0
ATTEMPTS = 4  # per call, the sign-in's included, for the statuses below
RETRIED = (429, 500, 502, 503, 504)
MAX_WAIT_SECONDS = 30.0  # a longer wait is left to the job queue's own retry
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
TOKEN_MARGIN_SECONDS = 60  # a token this close to expiry is renewed first
_CENTS = Decimal("0.01")


@dataclass
class _Token:
    value: str
    expires_at: float


# Tokens by (base URL, digest of client id and secret): reused by every job of the same warm Lambda
# until they expire (docs/targets/procore.md, "sign in"). One process serves every company, so the
# secret is part of the key: a company that names another's client id with any other secret signs
# in itself (and is refused) instead of being handed the other company's token. Only a digest is
# held, never the secret itself.
_tokens: dict[tuple[str, str], _Token] = {}
_tokens_lock = threading.Lock()


def forget_tokens() -> None:
    """Tests: start without cached tokens."""
    with _tokens_lock:
        _tokens.clear()


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: dict[str, str]
    body: Any


class ProcoreClient:
    """Authenticated, paced, retried calls to one Procore company."""

    def __init__(
        self,
        base_url: str,
        company_id: str,
        credentials: ErpCredentials,
        *,
        allow_local_urls: bool = False,
    ) -> None:
        self._base = base_url.rstrip("/")
        # The local stack's sandbox on http://127.0.0.1:<port> (ERP_ALLOW_LOCAL_URLS, from wiring).
        self._allow_local_urls = allow_local_urls
        self._company_id = company_id
        self._client_id = credentials.get("client_id")
        self._client_secret = credentials.get("client_secret")
        # The client secret and every token sent: Procore's error text is never quoted with one.
        self._secrets = {self._client_secret} - {""}
        self.calls = 0
        self._last_status = 0
        # Procore's API does not redirect; following one could carry the token elsewhere.
        self._opener = pinned.build_opener()

    @property
    def company_id(self) -> str:
        return self._company_id

    def call(self, method: str, path: str, body: Any = None, *, absent_ok: bool = False) -> _Answer:
        """`absent_ok`: a 404 is answered, not raised (deleting what is already gone)."""
        for attempt in range(ATTEMPTS):
            token = self._token(renew=attempt > 0 and self._last_status == 401)
            answer = self._send(method, self._base + path, body, token)
            self._last_status = answer.status
            if answer.status < 400 or (answer.status == 404 and absent_ok):
                self._pace(answer.headers)
                return answer
            if answer.status == 401 and attempt == 0:
                continue  # the token was revoked or expired early: one fresh sign-in
            if answer.status in RETRIED and attempt + 1 < ATTEMPTS:
                time.sleep(_wait_for(answer.headers, attempt))
                continue
            raise _failure(answer, self._secrets)
        raise TargetUnavailable("Procore did not answer after several attempts.")

    def quote(self, text: str, limit: int) -> str:
        """Procore's text for a sentence of ours: empty if it holds this client's secret or a
        token it sent (an answer that echoes the request), else on one line and cut short."""
        return redact.quote(text, self._secrets, limit)

    def _token(self, *, renew: bool) -> str:
        cache_key = (self._base, _credentials_digest(self._client_id, self._client_secret))
        with _tokens_lock:
            held = _tokens.get(cache_key)
            if held and not renew and held.expires_at - TOKEN_MARGIN_SECONDS > time.time():
                return held.value
        form = urllib.parse.urlencode(
            {
                "grant_type": "client_credentials",
                "client_id": self._client_id,
                "client_secret": self._client_secret,
            }
        ).encode()
        # The token endpoint is paced and fails as every other call does: waited out alike.
        for attempt in range(ATTEMPTS):
            answer = self._send("POST", self._base + "/oauth/token", form, None)
            if answer.status not in RETRIED or attempt + 1 == ATTEMPTS:
                break
            time.sleep(_wait_for(answer.headers, attempt))
        if answer.status in (400, 401, 403):
            raise TargetRejected(
                "Procore refused the service account's client credentials: check the client id "
                "and secret in the company's target settings."
            )
        if answer.status >= 400 or not isinstance(answer.body, dict):
            raise _failure(answer, self._secrets)
        token = _Token(
            str(answer.body.get("access_token", "")),
            time.time() + float(answer.body.get("expires_in", 0) or 0),
        )
        with _tokens_lock:
            _tokens[cache_key] = token
        return token.value

    def _send(self, method: str, url: str, body: Any, token: str | None) -> _Answer:
        headers = {"Accept": "application/json"}
        data: bytes | None = None
        if isinstance(body, bytes):
            data = body
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token is not None:
            self._secrets.add(token)
            headers["Authorization"] = f"Bearer {token}"
            headers["Procore-Company-Id"] = self._company_id
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise TargetRejected("The Procore address is not a web address (http or https).")
        # The connections' address guard, before every request; the request connects to what it
        # allowed, never to a second lookup of the name.
        # Its refusals speak of "the ERP"; Procore's are said as Procore's, as the target's kinds
        # of failure (transient or for good), so the job retries or puts back as for any other.
        try:
            addresses = url_guard.check_request_url(url, allow_local=self._allow_local_urls)
        except UnsafeErpAddress as unsafe:
            raise TargetRejected(
                f"The Procore address is not allowed: {unsafe.message.replace('ERP', 'Procore')}"
            ) from None
        except ErpUnavailable:
            raise TargetUnavailable(
                "Procore's address could not be found (its name does not resolve); check the "
                "Procore base URL of the company's target."
            ) from None
        request = pinned.VettedRequest(url, addresses, data=data, method=method, headers=headers)
        self.calls += 1
        try:
            with self._opener.open(request, timeout=TIMEOUT_SECONDS) as response:
                return _Answer(response.status, dict(response.headers), _json(response))
        except urllib.error.HTTPError as error:
            raw = error.read(64 * 1024)
            return _Answer(error.code, dict(error.headers or {}), _loads(raw))
        except (urllib.error.URLError, TimeoutError, ConnectionError) as why:
            return _Answer(599, {}, {"errors": f"Procore could not be reached ({why})."})

    def _pace(self, headers: dict[str, str]) -> None:
        """When Procore says no request is left in the window, wait for it to reset."""
        remaining = _header(headers, "X-Rate-Limit-Remaining")
        reset = _header(headers, "X-Rate-Limit-Reset")
        if remaining is None or reset is None or not remaining.isdigit() or int(remaining) > 0:
            return
        at = _finite(reset)
        if at is None:
            return
        wait = at - time.time()
        if wait > MAX_WAIT_SECONDS:
            raise TargetUnavailable(
                "Procore's rate limit is used up for now; retrying later.",
                retry_after_seconds=wait,
            )
        time.sleep(max(wait, 0.0))


def _credentials_digest(client_id: str, client_secret: str) -> str:
    """The token cache's key for one client: both halves, separated so "ab"+"c" is not "a"+"bc"."""
    return hashlib.sha256(f"{client_id}\0{client_secret}".encode()).hexdigest()


def _header(headers: dict[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def _wait_for(headers: dict[str, str], attempt: int) -> float:
    """How long to wait before the next attempt: as long as Procore asked, else a short backoff.

    A wait longer than a call waits raises, carrying it, so the job queue brings the job back no
    sooner than Procore asked (`retry_after_seconds`)."""
    asked = _asked_wait(headers)
    wait = 0.5 * (2**attempt) if asked is None else asked
    if wait > MAX_WAIT_SECONDS:
        raise TargetUnavailable(
            f"Procore asked to wait {math.ceil(wait)} seconds, longer than a job waits; "
            "retrying later.",
            retry_after_seconds=wait,
        )
    return wait


def _asked_wait(headers: dict[str, str]) -> float | None:
    """The seconds Procore asked to wait: `Retry-After` in either of its forms (RFC 9110, 10.2.3:
    delay seconds or an HTTP date), else, when its rate limit is used up, `X-Rate-Limit-Reset`
    (epoch seconds); None when it said neither (or nothing readable)."""
    # Read as the ERP connectors read it, against this module's clock.
    now = datetime.fromtimestamp(time.time(), UTC)
    asked = retry_after_seconds(_header(headers, "Retry-After"), now)
    if asked is not None:
        return asked
    # Procore sends its window's reset on every answer: it asks for a wait only once no request
    # is left (a 503 with requests left says nothing of when to come back).
    remaining = (_header(headers, "X-Rate-Limit-Remaining") or "0").strip()
    reset = _finite(_header(headers, "X-Rate-Limit-Reset") or "")
    if reset is None or not remaining.isdigit() or int(remaining) > 0:
        return None
    return max(reset - time.time(), 0.0)


def _finite(text: str) -> float | None:
    """A header's number; None for anything else, "nan" and "inf" included (no wait is either)."""
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _json(response: Any) -> Any:
    raw = response.read(MAX_RESPONSE_BYTES + 1)
    if len(raw) > MAX_RESPONSE_BYTES:
        raise TargetRejected("Procore's answer was far larger than a budget page; it was not read.")
    return _loads(raw)


def _loads(raw: bytes) -> Any:
    try:
        return json.loads(raw, parse_float=Decimal) if raw else None
    except ValueError:
        return None


def _failure(answer: _Answer, secrets: set[str]) -> Exception:
    said = answer.body.get("errors") if isinstance(answer.body, dict) else None
    quoted = redact.quote(str(said), secrets, 200) if said else ""
    detail = f" Procore said: {quoted}" if quoted else ""
    if answer.status >= 500 or answer.status == 429:
        # The last attempt's wait, when Procore asked for one, goes to the job queue as well.
        return TargetUnavailable(
            f"Procore is not answering right now ({answer.status}).{detail}",
            retry_after_seconds=_asked_wait(answer.headers),
        )
    if answer.status in (401, 403):
        return TargetRejected(
            "Procore refused the service account (it may lack access to this company or "
            f"project).{detail}"
        )
    if answer.status == 404:
        return TargetRejected(f"Procore has no such project for this company.{detail}")
    return TargetRejected(f"Procore refused the request ({answer.status}).{detail}")


class ProcoreBudget:
    """One Procore project's budget: the `RemoteBudget` port."""

    name = "Procore"
    batch_size = SYNC_BATCH

    def __init__(self, client: ProcoreClient, project_id: str) -> None:
        self._client = client
        self._project_id = project_id
        # Procore's budget line item id by WBS code id, as last read or written: removing a line
        # names the line item, while everything else names its WBS code.
        self._line_ids: dict[str, str] = {}

    @classmethod
    def from_config(
        cls,
        config: TargetConfig,
        credentials: ErpCredentials,
        project_id: str,
        *,
        allow_local_urls: bool = False,
    ) -> ProcoreBudget:
        client = ProcoreClient(
            config.base_url or "",
            config.procore_company_id or "",
            credentials,
            allow_local_urls=allow_local_urls,
        )
        return cls(client, project_id)

    def read_lines(self) -> list[TargetLine]:
        rows = [
            row
            for row in self._pages(f"{API}/budget_line_items", {"project_id": self._project_id})
            if isinstance(row, dict)
        ]
        self._line_ids = _line_ids(rows)
        keys = self._keys_of_codes(rows)
        lines = [_line(row, keys) for row in rows]
        lines.sort(key=lambda held: held.line.key)
        return lines

    def find_line(self, key: WbsKey) -> TargetLine | None:
        """The line of `key`, reading pages only until it turns up (a person's edit of one line
        of a large budget, which must answer within the API's time): on average half the pages
        a full read takes. A line that does not spell out its key sends it to the full read."""
        path = f"{API}/budget_line_items"
        for page in self._each_page(path, {"project_id": self._project_id}):
            for row in page:
                if not isinstance(row, dict):
                    continue
                own = _own_key(row)
                if own is None:
                    return next((held for held in self.read_lines() if held.line.key == key), None)
                if own == key:
                    self._line_ids.update(_line_ids([row]))
                    return _line(row, {})
        return None

    def _keys_of_codes(self, rows: Sequence[dict[str, Any]]) -> dict[str, WbsKey]:
        """The key of each line that does not spell it out itself, from its WBS code's segment
        items: Procore's reference gives a budget line item's `line_item_type` a name and no
        code, and no `sub_job`. Read only when a line lacks one (the sandbox's never do)."""
        lacking = {_code(row.get("wbs_code"), "id") for row in rows if _own_key(row) is None}
        if not lacking:
            return {}
        path = f"{API}/projects/{self._quoted}/work_breakdown_structure/wbs_codes"
        keys = _keys_by_code(self._pages(path, {}))
        for row in rows:
            # A line naming its cost code and cost type but no sub job, whose WBS code says no
            # more, is on no sub job (a project without sub jobs answers so).
            ref = _code(row.get("wbs_code"), "id")
            cost_code = _code(row.get("cost_code"), "full_code")
            cost_type = _code(row.get("line_item_type"), "code")
            if ref not in keys and "sub_job" not in row and cost_code and cost_type:
                keys[ref] = WbsKey("", cost_code, cost_type)
        unknown = sorted(ref or "(none)" for ref in lacking if ref not in keys)
        if unknown:
            raise TargetRejected(
                f"{len(unknown)} of Procore's budget lines name no sub job, cost code and cost "
                "type Budget Bridge can read, neither on the line nor in its WBS code (WBS code "
                f"ids {', '.join(unknown[:5])}{', …' if len(unknown) > 5 else ''})."
            )
        return keys

    def locked(self) -> bool:
        answer = self._client.call("GET", f"{API}/projects/{self._quoted}/budget")
        return bool(isinstance(answer.body, dict) and answer.body.get("locked"))

    def check_wbs_codes(self, wanted: Sequence[tuple[WbsKey, str]]) -> None:
        """Refuse, as `ensure_wbs_codes` would, keys whose codes Procore cannot make; create
        nothing (a preview's and a plan's check, before anything is written)."""
        self._resolve(wanted)

    def ensure_wbs_codes(self, wanted: Sequence[tuple[WbsKey, str]]) -> dict[WbsKey, str]:
        """Procore's WBS code id for each key, creating the codes the project lacks.

        A code is created as Procore's Create a WBS Code takes it: by the ids of its segment
        items (`{segment_id, segment_item_id}`), found in the project's Sub Job, Cost Code and
        Cost Type segments. A sub job the project lacks is added to it first (Procore keeps sub
        jobs per project); a cost code or cost type it lacks is not. Every key is resolved before
        anything is created: a key Procore cannot hold fails them all, one error a line, and
        nothing is created (docs/targets/procore.md, "WBS codes")."""
        found, parts = self._resolve(wanted)
        base = f"{API}/projects/{self._quoted}/work_breakdown_structure"
        added: dict[tuple[str, str], int | str] = {}  # new sub jobs' item ids
        for key, description in wanted:
            if key in found:
                continue
            items = []
            for part in parts[key]:
                item_id = part.item_id
                if item_id is None:
                    new = (str(part.segment_id), part.code)
                    if new not in added:
                        added[new] = self._add_item(base, part)
                    item_id = added[new]
                items.append({"segment_id": part.segment_id, "segment_item_id": item_id})
            body = {"segment_items": items, "description": description}
            created = self._client.call("POST", f"{base}/wbs_codes", body).body
            made = str(created.get("id") or "") if isinstance(created, dict) else ""
            if not made:
                raise TargetRejected(f"Procore did not create the WBS code {flat_code(key)}.")
            found[key] = made
        return found

    def _add_item(self, base: str, part: _Part) -> int | str:
        """Procore's Create Project Segment Item: a sub job named by its code (the ERP names it
        no other way)."""
        path = f"{base}/segments/{urllib.parse.quote(str(part.segment_id), safe='')}/segment_items"
        made = self._client.call("POST", path, {"code": part.code, "name": part.code}).body
        item_id = made.get("id") if isinstance(made, dict) else None
        if item_id is None:
            raise TargetRejected(f"Procore did not add the sub job {quote(part.code)}.")
        return _int(item_id)

    def _resolve(
        self, wanted: Sequence[tuple[WbsKey, str]]
    ) -> tuple[dict[WbsKey, str], dict[WbsKey, list[_Part]]]:
        """The ids of the codes Procore holds, and the segment items of each it lacks."""
        if not wanted:
            return {}, {}
        base = f"{API}/projects/{self._quoted}/work_breakdown_structure"
        known, by_flat = _known_codes(self._pages(f"{base}/wbs_codes", {}))
        found = {}
        for key, _ in wanted:
            ref = known.get(key) or by_flat.get(flat_code(key))
            if ref:
                found[key] = ref
        missing = [(key, description) for key, description in wanted if key not in found]
        return found, (self._segment_items(base, missing) if missing else {})

    def _segment_items(
        self, base: str, missing: Sequence[tuple[WbsKey, str]]
    ) -> dict[WbsKey, list[_Part]]:
        """Each key's segment items, or TargetRejected naming every key Procore cannot hold."""
        answer = self._client.call("GET", f"{base}/segments").body
        segments = {
            role: row
            for row in (answer if isinstance(answer, list) else [])
            if isinstance(row, dict) and (role := _segment_role(row))
        }
        by_role = {  # the segments the keys name, and each one's items by the codes they go by
            role: _items_by_code(
                self._pages(f"{base}/segments/{_ref(segments[role])}/segment_items", {})
            )
            for role in _ROLES
            if role in segments and any(getattr(key, role) for key, _ in missing)
        }
        resolved: dict[WbsKey, list[_Part]] = {}
        problems, refused = [], []
        for position, (key, _) in enumerate(missing, start=1):
            chosen = []
            for role, what in _ROLES.items():
                code = getattr(key, role)
                if not code:
                    continue
                if role not in segments:
                    item, problem = None, f"the Procore project has no {what} segment"
                else:
                    item, problem = _pick(by_role[role], what, code)
                    if item is None and role == "sub_job" and code not in by_role[role]:
                        item, problem = {"id": None}, ""  # to be added (`_add_item`)
                if item is None:
                    problems.append(
                        LineError(line=position, field=role, message=f"{key.label()}: {problem}")
                    )
                    refused.append(key)
                    break
                item_id = item.get("id")
                chosen.append(
                    _Part(
                        _int(segments[role].get("id")),
                        None if item_id is None else _int(item_id),
                        code,
                    )
                )
            resolved[key] = chosen
        if problems:
            raise TargetRejected(
                f"Procore's Work Breakdown Structure lacks what {len(problems)} new lines need; "
                "add those codes to the project in Procore, then re-import. Nothing was written.",
                problems,
                refused,
            )
        return resolved

    def write(self, writes: Sequence[TargetWrite]) -> None:
        updates = []
        for write in writes:
            update: dict[str, Any] = {"wbs_code_id": _id(write.ref)}
            if write.edit is not None:
                # A person's edit: its fields and nothing else (an amount it leaves is not sent,
                # so a re-import writing amounts meanwhile is not overwritten).
                update.update((name, _wire(name, value)) for name, value in write.edit.new)
            else:
                update["original_budget_amount"] = str(write.new_amount.quantize(_CENTS))
                if write.description:
                    update["description"] = write.description
            updates.append(update)
        # Procore's Sync Budget Line Items takes them as `budget_line_items` (its REST reference).
        body = {"project_id": _id(self._project_id), "budget_line_items": updates}
        answer = self._client.call("POST", f"{API}/budget_line_items/sync", body).body
        if isinstance(answer, list):
            # Procore's reference answers the sync with the line items alone; every line
            # written must still come back among them, as below.
            answer = {"entities": answer, "errors": []}
        if not isinstance(answer, dict):
            raise TargetRejected("Procore's answer to a budget sync was not understood.")
        entities = answer.get("entities")
        if isinstance(entities, list):
            self._line_ids.update(_line_ids([e for e in entities if isinstance(e, dict)]))
        _check_sync(writes, answer, self._client.quote)

    def remove_lines(self, refs: Sequence[str]) -> None:
        """Delete the budget line items of these WBS codes, one call each (Procore has no call
        that deletes several). A code Procore holds no line for is skipped, and so is a line
        already gone (404): a put-back tried again removes only what is left. Procore deletes
        only a line at 0.00 in an unlocked budget; the caller writes the amount first."""
        if any(ref not in self._line_ids for ref in refs):
            self.read_lines()  # learns the line item id of every line Procore holds
        company = urllib.parse.quote(self._client.company_id, safe="")
        path = f"{API_V2}/companies/{company}/projects/{self._quoted}/budget_line_items"
        for ref in refs:
            line_id = self._line_ids.get(ref)
            if line_id is None:
                continue
            self._client.call(
                "DELETE", f"{path}/{urllib.parse.quote(line_id, safe='')}", absent_ok=True
            )
            del self._line_ids[ref]

    @property
    def _quoted(self) -> str:
        return urllib.parse.quote(self._project_id, safe="")

    def _pages(self, path: str, query: dict[str, str]) -> list[Any]:
        """Every row, page by page, until Procore's Link header names no next page."""
        return [row for page in self._each_page(path, query) for row in page]

    def _each_page(self, path: str, query: dict[str, str]) -> Iterator[list[Any]]:
        """The rows of each page in turn, read only as the caller asks for the next."""
        page = 1
        while True:
            params = urllib.parse.urlencode({**query, "page": page, "per_page": PER_PAGE})
            answer = self._client.call("GET", f"{path}?{params}")
            if not isinstance(answer.body, list):
                raise TargetRejected("Procore answered a list request with something else.")
            yield answer.body
            link = _header(answer.headers, "Link") or ""
            if 'rel="next"' not in link or not answer.body:
                return
            page += 1


def flat_code(key: WbsKey) -> str:
    """The WBS code's flat code: sub job, cost code and cost type joined by the delimiter."""
    parts = [key.sub_job] if key.sub_job else []
    return ".".join([*parts, key.cost_code, key.cost_type])


def _id(ref: str) -> int | str:
    return int(ref) if ref.isdigit() else ref


def _int(value: Any) -> int | str:
    """A Procore id as its API takes it in a body: a number (as it answered it)."""
    return _id(str(value))


def _ref(row: dict[str, Any]) -> str:
    return urllib.parse.quote(str(row.get("id", "")), safe="")


# The WBS key's parts and the Procore segments that hold them, in the key's order.
_ROLES = {"sub_job": "Sub Job", "cost_code": "Cost Code", "cost_type": "Cost Type"}
# A segment's role by its type or, failing that, its display name: Procore names its default
# segments Sub Job, Cost Code and Cost Type; the cost type's records are its `line_item_type`s.
_SEGMENT_NAMES = {
    "sub_job": "sub_job",
    "sub_jobs": "sub_job",
    "cost_code": "cost_code",
    "cost_codes": "cost_code",
    "cost_type": "cost_type",
    "cost_types": "cost_type",
    "line_item_type": "cost_type",
}


def _segment_role(segment: dict[str, Any]) -> str | None:
    for said in (segment.get("type"), segment.get("name")):
        role = _SEGMENT_NAMES.get(str(said or "").strip().lower().replace(" ", "_"))
        if role:
            return role
    return None


def _item_code(item: dict[str, Any]) -> str:
    """The code a segment item gives a key, as Procore's lines spell it back: its path code
    ("03-300" for code "300" under division "03"), else its path codes joined by `-`, else its
    own code. Only this one: a key matched on any other ("300") would name a line that Procore
    answers under "03-300", another key, whose WBS code it would then share."""
    path = "-".join(str(code) for code in item.get("path_codes") or [] if code is not None)
    return str(item.get("path_code") or path or item.get("code") or "")


def _items_by_code(rows: Sequence[Any]) -> dict[str, list[dict[str, Any]]]:
    """A segment's selectable items (no item sits under them) by the code a key carries for one
    (`_item_code`). A code that two items go by is ambiguous (`_pick`)."""
    items = [row for row in rows if isinstance(row, dict)]
    parents = {str(row.get("parent_id")) for row in items if row.get("parent_id") is not None}
    by_code: dict[str, list[dict[str, Any]]] = {}
    for row in items:
        if row.get("is_parent") or str(row.get("id")) in parents:
            continue
        code = _item_code(row)
        if code:
            by_code.setdefault(code, []).append(row)
    return by_code


@dataclass(frozen=True)
class _Part:
    """One segment item of a WBS code to be made: its segment, its id (None for a sub job the
    project lacks, added first) and the key's code for it."""

    segment_id: int | str
    item_id: int | str | None
    code: str


def _pick(
    by_code: dict[str, list[dict[str, Any]]], what: str, code: str
) -> tuple[dict[str, Any] | None, str]:
    """The one item a key's code names (`_item_code`), else why not."""
    candidates = by_code.get(code)
    if candidates:
        distinct = {str(row.get("id")): row for row in candidates}
        if len(distinct) == 1:
            return next(iter(distinct.values())), ""
        return None, f"the Procore project holds more than one {what} {quote(code)}"
    return None, f"the Procore project has no {what} {quote(code)} in its Work Breakdown Structure"


def _known_codes(rows: Sequence[Any]) -> tuple[dict[WbsKey, str], dict[str, str]]:
    """The project's WBS code ids by key, read from each code's segment items where Procore
    answers them (`_keys_by_code`), and by flat code, for a code answered without them
    (`flat_code`)."""
    known = {key: ref for ref, key in _keys_by_code(rows).items()}
    by_flat = {
        str(row["flat_code"]): str(row["id"])
        for row in rows
        if isinstance(row, dict) and row.get("flat_code") and row.get("id") is not None
    }
    return known, by_flat


def _keys_by_code(rows: Sequence[Any]) -> dict[str, WbsKey]:
    """Each WBS code's key by its id, from its segment items: the Sub Job item's code, the Cost
    Code item's path code, the Cost Type item's code. A code without a cost code and a cost type
    among them has none."""
    keys: dict[str, WbsKey] = {}
    for row in rows:
        if not isinstance(row, dict) or row.get("id") is None:
            continue
        parts: dict[str, str] = {}
        for item in row.get("segment_items") or []:
            if not isinstance(item, dict):
                continue
            segment = item.get("segment")
            role = _segment_role(segment) if isinstance(segment, dict) else None
            role = role or _SEGMENT_NAMES.get(str(item.get("segment_type") or "").lower())
            if role:
                parts[role] = _item_code(item)
        if parts.get("cost_code") and parts.get("cost_type"):
            key = WbsKey(parts.get("sub_job", ""), parts["cost_code"], parts["cost_type"])
            keys[str(row["id"])] = key
    return keys


def _code(value: Any, field: str) -> str:
    return str(value.get(field) or "") if isinstance(value, dict) else ""


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _line_ids(rows: Sequence[dict[str, Any]]) -> dict[str, str]:
    """Each row's budget line item id by its WBS code id (a budget line item as Procore answers
    it, from a list or a sync)."""
    found = {}
    for row in rows:
        ref, line_id = _code(row.get("wbs_code"), "id"), row.get("id")
        if ref and line_id is not None and str(line_id):
            found[ref] = str(line_id)
    return found


def _own_key(row: dict[str, Any]) -> WbsKey | None:
    """The key a budget line item spells out itself: `sub_job.code` (null: no sub job),
    `cost_code.full_code` and `line_item_type.code`; None when it leaves one out."""
    cost_code = _code(row.get("cost_code"), "full_code")
    cost_type = _code(row.get("line_item_type"), "code")
    if "sub_job" not in row or not cost_code or not cost_type:
        return None
    return WbsKey(_code(row.get("sub_job"), "code"), cost_code, cost_type)


def _line(row: dict[str, Any], keys: dict[str, WbsKey]) -> TargetLine:
    """One budget line item; its key as it spells it out, else as its WBS code's (`keys`)."""
    key = _own_key(row) or keys[_code(row.get("wbs_code"), "id")]
    amount = _decimal(row.get("original_budget_amount")) or Decimal("0")
    item = LineItem(
        key=key,
        description=str(row.get("description") or ""),
        original_budget_amount=amount.quantize(_CENTS),
        uom=row.get("uom") or None,
        quantity=_decimal(row.get("quantity")),
        unit_cost=_decimal(row.get("unit_cost")),
    )
    return TargetLine(item, str(_code(row.get("wbs_code"), "id")))


def _wire(name: str, value: str | Decimal | None) -> str | None:
    if isinstance(value, Decimal):
        return str(value.quantize(_CENTS)) if name == "original_budget_amount" else str(value)
    return value


def _unconfirmed(write: TargetWrite, entity: dict[str, Any] | None) -> str | None:
    """The first field of `write` that `entity` (Procore's answer for its line) does not carry as
    written, or None when all do: the amount, or each field of a person's edit."""
    if entity is None:
        return "original_budget_amount"
    wanted = write.edit.new if write.edit else (("original_budget_amount", write.new_amount),)
    for name, value in wanted:
        held = entity.get(name)
        if isinstance(value, Decimal) or name in ("quantity", "unit_cost"):
            same = _decimal(held) == value
        else:
            same = str(held or "") == (value or "")
        if not same:
            return name
    return None


def _check_sync(
    writes: Sequence[TargetWrite], answer: dict[str, Any], quote: Callable[[str, int], str]
) -> None:
    """Every line written must come back in `entities` with its amount (or, for a person's edit,
    each field it set); else name the errors, in Procore's words unless they hold a credential
    (`quote`)."""
    written = {
        _code(entity.get("wbs_code"), "id"): entity
        for entity in answer.get("entities") or []
        if isinstance(entity, dict)
    }
    said = {
        str(error.get("wbs_code_id")): quote(_error_text(error), 300) or _WITHHELD
        for error in answer.get("errors") or []
        if isinstance(error, dict)
    }
    problems, keys = [], []
    for position, write in enumerate(writes, start=1):
        field = _unconfirmed(write, written.get(write.ref))
        if field is None:
            continue
        what = "the new amount" if field == "original_budget_amount" else f"the new {field}"
        text = said.get(write.ref) or f"Procore did not confirm {what}"
        problems.append(
            LineError(line=position, field=field, message=f"{write.key.label()}: {text}")
        )
        keys.append(write.key)
    if problems:
        raise TargetRejected(f"Procore refused {len(problems)} lines of a batch.", problems, keys)


# Procore's reason for a line, when it repeated a credential of the request.
_WITHHELD = "Procore refused it (its reason is not shown: it repeated a credential)"


def _error_text(error: dict[str, Any]) -> str:
    detail = error.get("errors")
    if isinstance(detail, dict):
        parts = [f"{' '.join(map(str, v)) if isinstance(v, list) else v}" for v in detail.values()]
        return "; ".join(parts) or "refused"
    return str(detail or error.get("message") or "refused")
