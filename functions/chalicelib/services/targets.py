"""The budget targets: Budget Bridge's own store, and a system without transactions (Procore).

The own store applies a plan in one transaction. Another system cannot, so `RemoteTarget` makes
its writes all-or-nothing by hand (docs/targets/procore.md): it records on the job what it is about
to write (the write-ahead record) before the first write, checks the lock before creating WBS
codes and again right before writing, and when a batch is refused or the writing stops for any
reason it writes the previous amounts back, and removes the lines it created, before the job
fails. A redelivered message (or, after the last, the dead-letter handler) finds the record of a
crashed attempt, or of one that could not put them back, and puts those amounts back (and removes
those lines) the same way. Budget Bridge's own store then records the version it wrote, so
history covers both targets. A person's edit of one line goes the same way, smaller:
written to the other system first, recorded next, its previous values written back if the record
fails (`RemoteTarget.edit_line`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from chalicelib import resources
from chalicelib.adapters.erp.common import url_guard
from chalicelib.adapters.lines import apply_edit
from chalicelib.domain import admission, limits
from chalicelib.domain.errors import (
    DomainError,
    InvalidTarget,
    InvalidTargetProject,
    NotFound,
    ServiceUnavailable,
    TargetRejected,
    TargetUnavailable,
)
from chalicelib.domain.model import (
    TARGET_NAME,
    Budget,
    ErpCredentials,
    Job,
    LineError,
    LineFields,
    LineItem,
    Permission,
    Phase,
    Progress,
    TargetConfig,
    TargetKind,
    TargetLine,
    TargetWrite,
    WbsKey,
)
from chalicelib.domain.money import CENT
from chalicelib.domain.ports import (
    BudgetTarget,
    Identity,
    LineEdit,
    RemoteBudget,
    TargetSnapshot,
)
from chalicelib.domain.reimport import Plan
from chalicelib.domain.url_rules import UnsafeUrl
from chalicelib.observability import logger
from chalicelib.services import audit
from chalicelib.services.access import Tool, authorize
from chalicelib.services.connections import check_no_job_running
from chalicelib.services.ports import Ports


def target_for(ports: Ports, budget: Budget) -> BudgetTarget:
    """The target that holds this budget, as its company chose."""
    config = ports.directory.target(budget.company_id)
    if config.target is TargetKind.BUDGET_BRIDGE:
        return StoreTarget(ports)
    if not budget.target_project_id or ports.remote_budgets is None:
        raise TargetRejected(
            f"The project {budget.project_name} is not linked to a {config.name} project; "
            "link its ERP job again naming the project."
        )
    credentials = ports.secrets.erp_credentials(config.credentials_secret_id or "")
    remote = ports.remote_budgets(config, credentials, budget.target_project_id)
    return RemoteTarget(ports, remote)


def check_unlocked(ports: Ports, budget: Budget, verb: str = "re-import") -> None:
    """A request's fast refusal of a budget locked in its target (the worker checks again when it
    applies). A target that cannot answer now does not refuse the request."""
    config = ports.directory.target(budget.company_id)
    if read_target_lock(ports, budget, config):
        raise admission.locked_refusal(budget.project_name, verb, where=config.name)


def read_target_lock(ports: Ports, budget: Budget, config: TargetConfig) -> bool | None:
    """The lock of the budget in its target now, remembered on the budget for the lists; None for
    Budget Bridge's own store and for a target that cannot answer now (the remembered one stands)."""
    if config.target is TargetKind.BUDGET_BRIDGE or not budget.target_project_id:
        return None
    try:
        locked = target_for(ports, budget).read_lock()
    except (TargetRejected, TargetUnavailable):
        return None
    remember_target_lock(ports, budget, locked)
    return locked


def remember_target_lock(ports: Ports, budget: Budget, locked: bool) -> None:
    """Only a change is written: reading the lock stays one call to the target, not two writes."""
    if locked != budget.target_locked:
        ports.budgets.record_target_lock(budget, locked)


def locked_in_target(budget: Budget, config: TargetConfig) -> bool:
    """The target's lock as last read. The lists answer it instead of asking the target once per
    row (Procore has no call that reads many projects' locks); a request and the worker always
    read it afresh, so a stale answer can only hide or offer a button, never let a write through.
    A company back on Budget Bridge's own store has no other lock."""
    return config.target is not TargetKind.BUDGET_BRIDGE and budget.target_locked


def target_name(ports: Ports, company_id: str) -> str:
    return ports.directory.target(company_id).name


def held_digest(target: BudgetTarget, lines: Sequence[LineItem]) -> str | None:
    """A fingerprint of the keys and amounts a target other than Budget Bridge's own store holds
    (all a plan reads of them), kept by a preview and compared when it is applied: people change
    amounts in Procore that no budget version counts. None for the own store, whose version
    already says whether its lines moved."""
    if isinstance(target, StoreTarget):
        return None
    rows = sorted(
        (line.key.sub_job, line.key.cost_code, line.key.cost_type,
         str(line.original_budget_amount.quantize(CENT)))
        for line in lines
    )  # fmt: skip
    return hashlib.sha256(json.dumps(rows, separators=(",", ":")).encode()).hexdigest()


# --- the company's choice of target (PUT/GET /companies/{cid}/target) -------------------------

TARGET_SECRET_PREFIX = resources.TARGET_SECRET_PREFIX


@dataclass(frozen=True)
class TargetChoice:
    """What an ERP admin sends; `client_id`/`client_secret` None keeps the stored ones."""

    target: TargetKind
    base_url: str | None = None
    procore_company_id: str | None = None
    client_id: str | None = None
    client_secret: str | None = None


@dataclass(frozen=True)
class TargetView:
    config: TargetConfig
    credentials_set: bool


def get_target(ports: Ports, identity: Identity, company_id: str) -> TargetView:
    authorize(ports.directory, identity, company_id, Tool.ERP, Permission.READ_ONLY)
    config = ports.directory.target(company_id)
    return TargetView(config, config.credentials_secret_id is not None)


def put_target(
    ports: Ports, identity: Identity, company_id: str, choice: TargetChoice, *, allow_local: bool
) -> TargetView:
    """Choose where the company's budgets live; the client secret goes to the secret store only."""
    authorize(ports.directory, identity, company_id, Tool.ERP, Permission.ADMIN)
    stored = ports.directory.target(company_id)
    if choice.target is TargetKind.BUDGET_BRIDGE:
        if stored.target is not TargetKind.BUDGET_BRIDGE:
            check_no_job_running(ports, company_id)
        saved = ports.directory.save_target(company_id, TargetConfig())
        audit.record(ports, company_id, identity.email, audit.TARGET_CHANGED, saved.target.value)
        if stored.credentials_secret_id:
            _forget_secret(ports, company_id, stored.credentials_secret_id)
        return TargetView(saved, False)
    base_url = check_base_url(choice.base_url or "", allow_local=allow_local)
    if not limits.ascii_digits(choice.procore_company_id or ""):
        raise InvalidTarget(
            "procore_company_id", "procore_company_id must be Procore's company id, a whole number."
        )
    secret_id = stored.credentials_secret_id
    kept = choice.client_id is None and choice.client_secret is None
    moved = (stored.target, stored.base_url, stored.procore_company_id) != (
        TargetKind.PROCORE, base_url, choice.procore_company_id,
    )  # fmt: skip
    if moved or not kept:
        # A job writing to the budgets now, or putting back what an attempt wrote, must finish
        # against the Procore company it began with: a put-back sent to another place, or to
        # Budget Bridge's own store, would leave that attempt's amounts in Procore
        # (docs/targets/procore.md, "Setting it up": changing the target).
        check_no_job_running(ports, company_id)
    if kept and secret_id is not None and stored.base_url != base_url:
        # The stored secret goes only to the address it was saved for: an admin who can change
        # the address cannot have it sent where they choose (docs/targets/procore.md, step 3).
        raise InvalidTarget(
            "credentials",
            "Enter the client_id and client_secret again: they are only sent to the address they "
            "were saved for, and this save changes the base_url.",
        )
    credentials_changed: list[str] = []
    if choice.client_id is not None or choice.client_secret is not None:
        if not choice.client_id or not choice.client_secret:
            raise InvalidTarget("credentials", "credentials need both client_id and client_secret.")
        secret_id = f"{TARGET_SECRET_PREFIX}{company_id}"
        ports.secrets.put_erp_credentials(
            secret_id,
            ErpCredentials.of(client_id=choice.client_id, client_secret=choice.client_secret),
        )
        credentials_changed = ["client_id", "client_secret"]
    if secret_id is None:
        raise InvalidTarget(
            "credentials",
            "credentials are required: the client_id and client_secret of Procore's service account.",
        )
    config = TargetConfig(
        target=TargetKind.PROCORE,
        base_url=base_url,
        procore_company_id=choice.procore_company_id,
        credentials_secret_id=secret_id,
    )
    saved = ports.directory.save_target(company_id, config)
    audit.record(
        ports, company_id, identity.email, audit.TARGET_CHANGED, saved.target.value,
        base_url=base_url, procore_company_id=config.procore_company_id,
        credentials_changed=credentials_changed,
    )  # fmt: skip
    return TargetView(saved, True)


def _forget_secret(ports: Ports, company_id: str, secret_id: str) -> None:
    """Procore's client secret is no longer used: it does not linger, as a deleted ERP
    connection's does not (docs/targets/procore.md, "Setting it up"). The move back to Budget
    Bridge is saved and audited already; a secret store that fails now is logged, not answered
    as a failed save, and the next switch to Procore overwrites the secret."""
    try:
        ports.secrets.delete_erp_credentials(secret_id)
    except Exception:
        logger().exception(
            "the former target's secret could not be deleted", extra={"company_id": company_id}
        )


def check_base_url(url: str, *, allow_local: bool) -> str:
    """The address rules of ERP connections, judged by the guard an ERP connection's save calls
    (`url_guard.judge`): https to a public address, and a host name whose every address is public;
    the local stack alone also takes its sandbox's exact `http://127.0.0.1:<port>` and
    `http://localhost:<port>`. As for an ERP connection, a name that does not resolve now is saved
    and judged again on each request (docs/adoption.md, docs/targets/procore.md)."""
    base_url = url.strip()
    try:
        url_guard.judge(base_url, allow_local=allow_local)
    except UnsafeUrl as unsafe:
        raise InvalidTarget("base_url", f"base_url: {unsafe}") from None
    except url_guard.Unresolvable:
        pass
    return base_url.rstrip("/")


def check_target_project(ports: Ports, company_id: str, target_project_id: str) -> None:
    """A link naming a Procore project: refused (422) when that project does not answer."""
    config = ports.directory.target(company_id)
    if config.target is TargetKind.BUDGET_BRIDGE:
        return
    if ports.remote_budgets is None:
        raise InvalidTargetProject(f"{config.name} cannot be reached from here.")
    credentials = ports.secrets.erp_credentials(config.credentials_secret_id or "")
    remote = ports.remote_budgets(config, credentials, target_project_id)
    try:
        remote.locked()
    except (TargetRejected, TargetUnavailable) as why:
        raise InvalidTargetProject(
            f"{config.name} project {target_project_id} did not answer: {why.message}"
        ) from why


class StoreTarget:
    """Budget Bridge's own store: one transaction makes the plan the budget's next version."""

    name = TARGET_NAME

    def __init__(self, ports: Ports) -> None:
        self._ports = ports

    def read(self, budget: Budget) -> TargetSnapshot:
        return TargetSnapshot(self._ports.budgets.read_lines(budget), budget.locked)

    def apply(self, budget: Budget, plan: Plan, finished: Job) -> Job:
        return self._ports.budgets.commit(budget, plan, finished)

    def recover(self, job: Job) -> bool:
        return False  # a transaction leaves nothing half-done

    def read_lock(self) -> bool:
        return False  # the own store's lock is on the budget itself

    def check_plan(self, plan: Plan) -> None:
        pass  # the own store takes any key the rules let through


_EDITABLE = ("description", "uom", "quantity", "unit_cost", "original_budget_amount")


def _edit_write(held: TargetLine, edited: LineItem, edit: LineEdit) -> TargetWrite:
    """The write of exactly the fields `edit` sets (or clears), with the values they replace."""
    names = [name for name in _EDITABLE if getattr(edit, name) is not None or name in edit.clear]
    fields = LineFields(
        new=tuple((name, getattr(edited, name)) for name in names),
        old=tuple((name, getattr(held.line, name)) for name in names),
    )
    amount = held.line.original_budget_amount
    return TargetWrite(held.ref, held.line.key, amount, edited.original_budget_amount, edit=fields)


class PutBackUnfinished(TargetUnavailable):
    """Writing stopped and the previous amounts could not all be written back yet.

    Never "nothing was changed": the job stays in progress saying so, its write-ahead record keeps
    the amounts, and the next delivery of its message (or, after the last, the dead-letter
    handler) puts them back through `recover` (docs/targets/procore.md). A TargetUnavailable, so
    the worker retries it as it retries any target that does not answer.
    """


class RemoteTarget:
    """A budget in another system, written in batches and put back when any batch fails."""

    def __init__(self, ports: Ports, remote: RemoteBudget) -> None:
        self._ports = ports
        self._remote = remote
        self.name = remote.name
        self._current: dict[WbsKey, TargetLine] = {}

    def read(self, budget: Budget) -> TargetSnapshot:
        held = self._remote.read_lines()
        self._current = {line.line.key: line for line in held}
        locked = self._read_lock(budget) or budget.locked
        return TargetSnapshot([line.line for line in held], locked)

    def apply(self, budget: Budget, plan: Plan, finished: Job) -> Job:
        writes = self._writes(plan.lines)
        created: list[str] = []
        if writes:
            writes, created = self._write_all(budget, finished, writes)
        try:
            # The plan was made from the lines in the other system, not from the version Budget
            # Bridge recorded, so it cannot say which of that version's chunks stay the same.
            recorded = replace(plan, touched=None)
            return StoreTarget(self._ports).apply(budget, recorded, finished)
        except ServiceUnavailable:
            # Our own store did not answer, so the version may or may not be recorded: the next
            # delivery finds the job finished, or puts the amounts back from the record.
            raise
        except Exception:
            # The version was not recorded: Procore must not keep it, nor the lines it added.
            self._undo(writes, created)
            raise

    def read_lock(self) -> bool:
        return self._remote.locked()

    def check_plan(self, plan: Plan) -> None:
        """The keys the plan adds need a code in the other system (Procore's WBS codes are made
        only of segment items it holds): found out here, so a preview shows it and a job fails
        before its first write, rather than at its first new key."""
        added = [(w.key, w.description) for w in self._writes(plan.lines) if not w.ref]
        if added:
            self._remote.check_wbs_codes(added)

    def edit_line(
        self, budget: Budget, key: WbsKey, edit: LineEdit, record: Callable[[], LineItem]
    ) -> LineItem:
        """A person's edit of one line: written to the other system first, then recorded by
        `record` as Budget Bridge's next version. Nothing is recorded when the write fails, and
        when the recording fails the line's previous values are written back before the error
        goes on (docs/targets/procore.md, "Editing a line")."""
        held = self._remote.find_line(key)
        if held is None:
            raise NotFound(
                f"The budget for {budget.project_name} in {self.name} has no line "
                f"{key.label()}, so the edit was not made. Budget Bridge edits only lines "
                f"{self.name} holds; a re-import adds the ERP's lines there."
            )
        write = _edit_write(held, apply_edit(held.line, edit), edit)  # a bad value stops here
        if self._read_lock(budget):  # right before the write
            raise admission.locked_refusal(budget.project_name, "edit its lines", where=self.name)
        self._write_edit(write)
        try:
            return record()
        except Exception as why:
            self._put_back_edit(write, why)
            raise

    def _write_edit(self, write: TargetWrite) -> None:
        try:
            self._remote.write([write])
        except Exception as why:
            # The answer may have been lost after the line was written: put its values back.
            self._put_back_edit(write, why)
            logger().warning("a line edit was not taken", exc_info=why)
            said = (
                why.message.rstrip(".") if isinstance(why, DomainError) else "an unexpected error"
            )
            errors = [e for e in getattr(why, "errors", []) if isinstance(e, LineError)]
            if errors:
                said = errors[0].message.removeprefix(f"{write.key.label()}: ").rstrip(".")
            sentence = (
                f"{self.name} did not take the edit of {write.key.label()}: {said}. Nothing was "
                f"changed, in {self.name} or in Budget Bridge."
            )
            if isinstance(why, TargetUnavailable):
                raise TargetUnavailable(f"{sentence} Try again in a moment.") from why
            raise TargetRejected(sentence, errors) from why

    def _put_back_edit(self, write: TargetWrite, why: Exception) -> None:
        try:
            self._remote.write([write.undo()])
        except Exception as again:
            logger().error("a line edit could not be put back", exc_info=again)
            first = why.message if isinstance(why, DomainError) else "an unexpected error"
            second = again.message if isinstance(again, DomainError) else "an unexpected error"
            raise TargetUnavailable(
                f"The edit of {write.key.label()} may have reached {self.name}, but it was not "
                f"recorded in Budget Bridge ({first.rstrip('.')}) and writing the line's previous "
                f"values back to {self.name} failed ({second.rstrip('.')}). Check that line in "
                f"{self.name}: it may show the edit, which Budget Bridge's history does not have."
            ) from again

    def _read_lock(self, budget: Budget) -> bool:
        locked = self._remote.locked()
        remember_target_lock(self._ports, budget, locked)
        return locked

    def _check_unlocked(self, budget: Budget, job: Job) -> None:
        if self._read_lock(budget):
            raise admission.locked_while_applying(budget.project_name, job.kind)

    def recover(self, job: Job) -> bool:
        """Put back every amount a crashed attempt wrote (those that still show its new amount),
        and remove the lines it created (those that show its new amount, or 0.00 when an earlier
        put-back wrote the amount back but could not remove the line).

        Raises PutBackUnfinished when they cannot all be put back now: the record stays, and the
        next attempt (or the dead-letter handler) tries again."""
        recorded = self._ports.jobs.recorded_writes(job)
        if not recorded:
            return False
        try:
            held = self._remote.read_lines()
        except Exception as why:
            raise self._unfinished(why) from why
        now = {line.ref: line.line.original_budget_amount for line in held}
        written = [w for w in recorded if now.get(w.ref) == w.new_amount != w.old_amount]
        removed = [
            w.ref for w in recorded if w.created and now.get(w.ref) in (w.new_amount, w.old_amount)
        ]
        if not written and not removed:
            # Nothing the record holds shows in Procore: the attempt stopped before its first
            # write (Procore did not answer the lock read right before it, say). This attempt
            # plans afresh from what Procore holds and records its own writes.
            return False
        logger().info(
            "putting back a crashed attempt's writes",
            extra={
                "job_id": job.job_id,
                "recorded": len(recorded),
                "written": len(written),
                "removed": len(removed),
            },
        )
        self._undo(written, removed)
        return True

    def _writes(self, lines: Sequence[LineItem]) -> list[TargetWrite]:
        writes = []
        for line in lines:
            held = self._current.get(line.key)
            old = held.line.original_budget_amount if held else Decimal("0.00")
            if held is not None and old == line.original_budget_amount:
                continue
            writes.append(
                TargetWrite(
                    ref=held.ref if held else "",
                    key=line.key,
                    old_amount=old,
                    new_amount=line.original_budget_amount,
                    description="" if held else line.description,
                )
            )
        return writes

    def _write_all(
        self, budget: Budget, job: Job, writes: list[TargetWrite]
    ) -> tuple[list[TargetWrite], list[str]]:
        """Write every batch; answers the writes (each with its ref) and the refs of the lines
        they created, which a put-back removes."""
        added = [(w.key, w.description) for w in writes if not w.ref]
        new = {key for key, _ in added}
        if added:
            self._check_unlocked(budget, job)  # a locked budget gets no new WBS codes either
            refs = self._remote.ensure_wbs_codes(added)
            self._check_new_codes(refs, new)
            # A created line is marked in the write-ahead record too: a put-back, perhaps by
            # another worker after a crash, removes it rather than write 0.00 to it.
            writes = [w if w.ref else replace(w, ref=refs[w.key], created=True) for w in writes]
        self._ports.jobs.record_writes(job, writes)
        self._check_unlocked(budget, job)  # right before the first write
        size = self._remote.batch_size
        batches = -(-len(writes) // size)
        start = 0
        try:
            for start in range(0, len(writes), size):
                self._remote.write(writes[start : start + size])
                done = min(start + size, len(writes))
                self._ports.jobs.report_progress(
                    job, Progress(phase=Phase.APPLYING, done=done, total=len(writes))
                )
        except Exception as why:
            # Whatever stops the writing (a refused batch, Procore gone, an answer cut short, an
            # address the guard refuses, our own store), every line written so far, the failing
            # batch's included (it may be partly written), gets its previous amount back, and
            # every line the job created is removed, before the job fails
            # (docs/targets/procore.md).
            put_back = self._to_put_back(writes[:start], writes[start : start + size], new)
            self._undo(put_back, [w.ref for w in put_back if w.created])
            raise self._stopped(why, start // size + 1, batches, start) from why
        return writes, [w.ref for w in writes if w.created]

    def _to_put_back(
        self,
        taken: Sequence[TargetWrite],
        stopped: Sequence[TargetWrite],
        new: set[WbsKey],
    ) -> list[TargetWrite]:
        """The lines of the batches Procore took, and of the batch that stopped those it may have
        written. A line new to Procore in that batch is put back (to 0.00, then removed) only
        when Procore holds it now: written blindly, the put-back itself would add it (Procore's
        sync creates the line of a WBS code it does not have)."""
        if not any(w.key in new for w in stopped):
            return [*taken, *stopped]
        try:
            held = {line.ref for line in self._remote.read_lines()}
        except Exception as why:
            raise self._unfinished(why) from why
        return [*taken, *(w for w in stopped if w.key not in new or w.ref in held)]

    def _check_new_codes(self, refs: dict[WbsKey, str], new: set[WbsKey]) -> None:
        """A new key's code must be its own: one Procore holds a line under for another key (or
        gives two new keys) would have the job write one line for two keys, and a put-back then
        remove a line the job did not create. Refused before the first write."""
        owners = {held.ref: key for key, held in self._current.items()}
        problems: list[LineError] = []
        keys: list[WbsKey] = []
        for key in sorted(new):
            other = owners.setdefault(refs[key], key)
            if other != key:
                problems.append(
                    LineError(
                        line=len(problems) + 1,
                        field="cost_code",
                        message=f"{key.label()}: {self.name} holds this WBS code as "
                        f"{other.label()}; write the code as {self.name} does",
                    )
                )
                keys.append(key)
        if problems:
            raise TargetRejected(
                f"{len(problems)} new lines name a WBS code that {self.name} holds under another "
                "key. Nothing was written.",
                problems,
                keys,
            )

    def _stopped(self, why: Exception, number: int, batches: int, start: int) -> TargetRejected:
        """The failure of a job whose amounts were all put back, naming the target's errors."""
        put_back = (
            f"Every amount already written was put back, so the budget in {self.name} is as it was."
        )
        if not isinstance(why, TargetRejected | TargetUnavailable):
            logger().error("writing stopped; amounts put back", exc_info=why)
            said = (
                f": {why.message.rstrip('.')}."
                if isinstance(why, DomainError)
                else " on an unexpected error."
            )
            return TargetRejected(
                f"Writing batch {number} of {batches} to {self.name} stopped{said} {put_back}"
            )
        errors = [
            LineError(line=e.line + start, field=e.field, message=e.message)
            for e in getattr(why, "errors", [])
            if isinstance(e, LineError)
        ]
        said = (errors[0].message if errors else why.message).rstrip(".")
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        keys = why.keys if isinstance(why, TargetRejected) else []
        return TargetRejected(
            f"{self.name} refused batch {number} of {batches}: {said}{more}. {put_back}",
            errors,
            keys if len(keys) == len(errors) else [],
        )

    def _undo(self, writes: Sequence[TargetWrite], removed: Sequence[str] = ()) -> None:
        """Write the previous amounts back, then remove the lines the job created (`removed`,
        their refs): before the job there was no line there, not a line at 0.00. The amounts go
        first because Procore deletes only a line at 0.00. If either fails, the job's record lets
        a retry finish it."""
        undo = [w.undo() for w in writes]
        size = self._remote.batch_size
        for start in range(0, len(undo), size):
            try:
                self._remote.write(undo[start : start + size])
            except Exception as why:
                raise self._unfinished(why) from why
        if removed:
            try:
                self._remote.remove_lines(removed)
            except Exception as why:
                raise self._unfinished(why) from why

    def _unfinished(self, why: Exception) -> PutBackUnfinished:
        logger().error("amounts could not be put back yet", exc_info=why)
        said = why.message if isinstance(why, DomainError) else "an unexpected error"
        return PutBackUnfinished(
            f"The amounts already written to {self.name} could not all be put back yet "
            f"({said.rstrip('.')}); until they are, some lines in {self.name} show this job's "
            "new amounts, or are lines it added. The job will put them back when it is retried.",
            # As long as the target asked to wait, when it said: the retry comes no sooner.
            retry_after_seconds=getattr(why, "retry_after_seconds", None),
        )
