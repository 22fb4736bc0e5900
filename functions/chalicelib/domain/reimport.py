"""Every rule of import and re-import (docs/domain-rules.md), in one place, with no I/O.

`plan_reimport` takes the project's current lines and the ERP's lines and return
the complete next version of the budget with the changes and the summary, or raise
`InvalidErpBudget` listing every offending line. Applying a plan is the adapters' job; they must
apply all of it or none of it.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from json.encoder import encode_basestring_ascii
from operator import attrgetter, itemgetter

from chalicelib.domain import limits
from chalicelib.domain.errors import DomainError
from chalicelib.domain.model import (
    TARGET_NAME,
    ChangeKind,
    ChangeRecord,
    CostCatalog,
    ErpLine,
    Job,
    JobKind,
    JobStatus,
    LineChange,
    LineError,
    LineItem,
    LineKind,
    Phase,
    Progress,
    Summary,
    Totals,
    WbsKey,
)
from chalicelib.domain.money import (
    MAX_AMOUNT,
    ZERO,
    InvalidAmount,
    parse_amount,
    total_beyond_limit,
)


class InvalidErpBudget(DomainError):
    """The ERP's budget has lines we refuse; nothing is applied."""

    code = "invalid_erp_budget"

    def __init__(self, errors: list[LineError]) -> None:
        count = len({e.line for e in errors})
        noun, them = ("line", "it") if count == 1 else ("lines", "them")
        super().__init__(
            f"The ERP budget was not applied: {count} {noun} failed validation. "
            f"Fix {them} in the ERP and re-import; the project budget is unchanged."
        )
        self.errors = errors


class BudgetTotalTooLarge(DomainError):
    """The ERP's lines are each valid but the budget they make cannot be stored or shown."""

    code = "budget_total_too_large"


class ErpBudgetEmpty(DomainError):
    """The ERP answered no cost lines for a budget that has amounts: likely a glitch, not intent."""

    code = "erp_budget_empty"


def check_not_empty(
    current: Sequence[LineItem], erp_lines: Sequence[ErpLine], allow_empty: bool
) -> None:
    """A single ERP glitch must not wipe a budget: zeroing all of it has to be asked for."""
    if allow_empty or any(line.kind is LineKind.COST for line in erp_lines):
        return
    if all(line.original_budget_amount == ZERO for line in current):
        return
    raise ErpBudgetEmpty(
        "The ERP answered with no cost lines for this budget, which would set every line to 0; "
        "nothing was changed. If the budget really is empty in the ERP, re-import again and "
        "confirm that the budget may be emptied."
    )


_TEXT_FIELDS = (
    ("sub_job", limits.MAX_SUB_JOB),
    ("cost_code", limits.MAX_COST_CODE),
    ("cost_type", limits.MAX_COST_TYPE),
    ("description", limits.MAX_DESCRIPTION),
    ("ref", limits.MAX_ERP_REF),
)


def _within_limits(line: ErpLine) -> bool:
    """Whether every text of the line fits: the same limits as `_text_errors`, checked without
    building anything, since nearly every line fits."""
    key = line.key
    return (
        len(key.sub_job) <= limits.MAX_SUB_JOB
        and len(key.cost_code) <= limits.MAX_COST_CODE
        and len(key.cost_type) <= limits.MAX_COST_TYPE
        and len(line.description) <= limits.MAX_DESCRIPTION
        and len(line.ref) <= limits.MAX_ERP_REF
    )


def _text_errors(line: ErpLine) -> list[LineError]:
    """Each text of the line longer than the limit every store and answer agrees on."""
    texts = {
        "sub_job": line.key.sub_job,
        "cost_code": line.key.cost_code,
        "cost_type": line.key.cost_type,
        "description": line.description,
        "ref": line.ref,
    }
    return [
        LineError(
            line=line.line,
            field=name,
            message=(
                f"{line.key.label()}: the {name.replace('_', ' ')} is {len(texts[name]):,} "
                f"characters long, more than the {limit:,} allowed."
            ),
        )
        for name, limit in _TEXT_FIELDS
        if len(texts[name]) > limit
    ]


@dataclass(frozen=True, slots=True)
class KeySum:
    amount: Decimal
    description: str
    refs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    lines: list[LineItem]  # the whole next version, sorted by WBS key
    changes: list[LineChange]  # sorted by WBS key
    summary: Summary
    total: Decimal
    erp_total: Decimal = ZERO  # the ERP's cost lines summed (0 for a restore)
    # The keys whose line differs from the current line it was planned on (amount or ERP
    # references moved, or added), so a store can rewrite only the parts of the budget that
    # hold them; None when unknown (every line is then written again).
    touched: frozenset[WbsKey] | None = None
    # The ERP's per-key sums the plan was made from (None for a restore), for erp_digest.
    erp_sums: dict[WbsKey, KeySum] | None = field(default=None, repr=False)

    @property
    def erp_digest(self) -> str:
        """The fingerprint of the ERP's per-key sums the plan was made from ("" for a restore).

        Made when asked rather than with every plan: only a preview (which keeps it) and the
        apply of a preview (which compares it) read it, and sorting and hashing every key was a
        fifth of plan_reimport's time on 10,000 lines.
        """
        return "" if self.erp_sums is None else digest_of(self.erp_sums)

    def records(self) -> list[ChangeRecord]:
        """The changes as they are kept with the job (re-import rule 8)."""
        return [
            ChangeRecord(c.key.line_item_id, c.key, c.kind, c.old_amount, c.new_amount)
            for c in self.changes
        ]


def succeeded(
    job: Job, plan: Plan, message: str, finished_at: datetime, totals: Totals | None
) -> Job:
    """`job` as it finishes having applied `plan` (a preview: having planned it). The stores
    write this job as it is, atomically with the budget's new version where there is one."""
    done = len(plan.lines)
    return job.model_copy(
        update={
            "status": JobStatus.SUCCEEDED,
            "message": message,
            "summary": plan.summary,
            "change_count": len(plan.changes),
            "finished_at": finished_at,
            "progress": Progress(phase=Phase.APPLYING, done=done, total=done),
            "totals": totals,
        }
    )


def success_message(kind: JobKind, target: str = TARGET_NAME) -> str:
    verb = "Imported" if kind is JobKind.IMPORT else "Re-imported"
    return f"Successfully {verb} to {target}"


def _unknown(what: str, code: str) -> str:
    """Why a line's cost code or cost type is refused (rule 3): blank, or not the company's."""
    if not code:
        return f"the line has no {what} (it is blank in the ERP)."
    return f"{what} '{limits.quote(code)}' is not known to this company."


def validate(lines: Iterable[ErpLine], catalog: CostCatalog) -> tuple[list[ErpLine], list[Decimal]]:
    """Keep the cost lines, check each, and return them with their parsed amounts.

    Revenue lines are ignored entirely, even when they are malformed: they never reach the budget.
    Raises InvalidErpBudget with every error of every offending line, in line order, and with them
    the lines of every key whose sum is beyond the limit, so that one attempt names everything to
    fix (docs/domain-rules.md, rule 3). When every line is valid the sums are checked by
    `plan_reimport`, which sums them anyway (`_check_sums`).
    """
    cost_lines: list[ErpLine] = []
    amounts: list[Decimal] = []
    # Each error with the position of its line among the cost lines, to merge the sums' errors in.
    errors: list[tuple[int, LineError]] = []
    unpriced: set[int] = set()  # positions of the lines whose amount is itself refused
    for line in lines:
        if line.kind is not LineKind.COST:
            continue
        too_long: set[str] = set()
        if not _within_limits(line):  # the rare line: name each text that is too long
            text_errors = _text_errors(line)
            errors.extend((len(cost_lines), error) for error in text_errors)
            too_long = {error.field for error in text_errors}
        try:
            amount = parse_amount(line.amount)
        except InvalidAmount as why:
            message = f"{line.key.label()}: {why}."
            errors.append(
                (len(cost_lines), LineError(line=line.line, field="amount", message=message))
            )
            unpriced.add(len(cost_lines))
            amount = ZERO
        # The label only goes into an error: building it for every valid line cost more than
        # the checks themselves on a 100,000-line budget.
        if line.key.cost_code not in catalog.cost_codes and "cost_code" not in too_long:
            message = f"{line.key.label()}: {_unknown('cost code', line.key.cost_code)}"
            errors.append(
                (len(cost_lines), LineError(line=line.line, field="cost_code", message=message))
            )
        if line.key.cost_type not in catalog.cost_types and "cost_type" not in too_long:
            message = f"{line.key.label()}: {_unknown('cost type', line.key.cost_type)}"
            errors.append(
                (len(cost_lines), LineError(line=line.line, field="cost_type", message=message))
            )
        cost_lines.append(line)
        amounts.append(amount)
    if errors:
        # The sums are taken over every line whose own amount is valid (a refused amount counts
        # as 0, and its line is not named a second time), also when the line is refused for
        # another reason: all the lines of a key share its sub job, cost code and cost type, so
        # what is wrong with them is wrong with all, and a description or reference too long is
        # fixed without moving the amount; such a sum is what the next attempt would meet. A
        # line's own errors come before its key's (the sort on the position is stable).
        sums = sum_by_key(cost_lines, amounts)
        errors += _sum_errors(cost_lines, sums, skip=unpriced)
        raise InvalidErpBudget([error for _, error in sorted(errors, key=itemgetter(0))])
    return cost_lines, amounts


def sum_by_key(lines: Sequence[ErpLine], amounts: Sequence[Decimal]) -> dict[WbsKey, KeySum]:
    """Lines that map to the same WBS key are summed; the first line's description names the key."""
    sums: dict[WbsKey, KeySum] = {}
    for line, amount in zip(lines, amounts, strict=True):
        # One lookup for the usual key seen once (a key's hash is computed in Python, and the
        # rules look keys up several times per line).
        first = KeySum(amount, line.description, (line.ref,))
        seen = sums.setdefault(line.key, first)
        if seen is not first:  # a key seen before: this line adds to its sum
            refs = seen.refs
            if len(refs) < limits.MAX_REFS_PER_LINE:
                refs = (*refs, line.ref)
            sums[line.key] = KeySum(seen.amount + amount, seen.description, refs)
    return sums


def _sum_errors(
    lines: Sequence[ErpLine], sums: dict[WbsKey, KeySum], skip: Container[int] = ()
) -> list[tuple[int, LineError]]:
    """Rule 3 speaks of per-key sums too: each line (but those at the positions in `skip`) of a
    key whose sum is beyond the line limit, with its position in `lines`."""
    too_large = {key for key, erp in sums.items() if abs(erp.amount) > MAX_AMOUNT}
    if not too_large:
        return []
    return [
        (
            position,
            LineError(
                line=line.line,
                field="amount",
                message=(
                    f"{line.key.label()}: the lines of this key add up to "
                    f"{sums[line.key].amount}, beyond ±{MAX_AMOUNT:,}."
                ),
            ),
        )
        for position, line in enumerate(lines)
        if line.key in too_large and position not in skip
    ]


def _check_sums(lines: Sequence[ErpLine], sums: dict[WbsKey, KeySum]) -> None:
    """Valid lines must not add up to an impossible amount (rule 3)."""
    errors = _sum_errors(lines, sums)
    if errors:
        raise InvalidErpBudget([error for _, error in errors])


def plan_reimport(
    current: Iterable[LineItem], erp_lines: Iterable[ErpLine], catalog: CostCatalog
) -> Plan:
    """Override the amounts of `current` with the ERP's per-key sums (rules 1, 2, 3 and 7).

    - only `original_budget_amount` (and the ERP references) move; units and descriptions stay;
    - a key the project lacks is added when its sum is not 0, with the ERP's description;
    - a project line the ERP no longer has goes to 0 and is reported; no line is ever deleted.

    A first import is the same plan: a ready-to-import budget normally has no lines, and any that
    people already entered are treated exactly as a re-import would, so none is lost or duplicated.
    """
    valid_lines, amounts = validate(erp_lines, catalog)
    sums = sum_by_key(valid_lines, amounts)
    _check_sums(valid_lines, sums)
    draft = _Draft()
    # The ERP's keys no current line has, found by taking each current line's key out of a copy
    # of the sums (the copy keeps the hashes): one lookup per line instead of three.
    unmatched = dict(sums)
    for item in current:
        erp = unmatched.pop(item.key, None)
        if erp is None:  # a key the ERP no longer has (or a second line of a key: same sum)
            erp = sums.get(item.key)
        draft.override(item, erp)
    for key, erp in unmatched.items():
        if erp.amount != ZERO:
            draft.add(key, erp)

    # Checked only once every line and sum is valid, unlike the sums (rule 3): it refuses the
    # whole budget with its own code rather than naming lines, and while lines are refused the
    # total they will make is not known (a refused amount, a key that moves when its code does).
    too_large = total_beyond_limit(draft.total)
    if too_large:
        raise BudgetTotalTooLarge(
            f"The ERP budget was not applied: {too_large}. The project budget is unchanged."
        )
    draft.lines.sort(key=line_order)
    draft.changes.sort(key=line_order)
    return Plan(
        lines=draft.lines,
        changes=draft.changes,
        summary=draft.summary,
        total=draft.total,
        erp_total=sum((erp.amount for erp in sums.values()), ZERO),
        touched=frozenset(draft.touched),
        erp_sums=sums,
    )


class _Draft:
    """The next lines of a plan as they are decided, with what a person reads about them."""

    def __init__(self) -> None:
        # Counted in a plain dict: a pydantic model's field assignment, once per line, cost more
        # than the rest of the decision together.
        self.counts: Counter[str] = Counter()
        self.changes: list[LineChange] = []
        self.lines: list[LineItem] = []
        self.total = ZERO
        self.touched: set[WbsKey] = set()  # keys whose stored line differs (copy on write)

    def override(self, item: LineItem, erp: KeySum | None) -> None:
        """An existing line takes the ERP's sum for its key, or 0 when the ERP no longer has it."""
        new_amount = ZERO if erp is None else erp.amount
        refs = item.erp_refs if erp is None else erp.refs
        old_amount = item.original_budget_amount
        if refs != item.erp_refs or new_amount != old_amount:
            self.touched.add(item.key)
        if new_amount == old_amount:
            self.counts["lines_unchanged"] += 1
            self.lines.append(item if refs == item.erp_refs else _with(item, old_amount, refs))
        else:
            kind = ChangeKind.ZEROED if new_amount == ZERO else ChangeKind.UPDATED
            if kind is ChangeKind.ZEROED:
                self.counts["lines_zeroed"] += 1
            else:
                self.counts["lines_updated"] += 1
            self.changes.append(LineChange(item.key, kind, old_amount, new_amount))
            self.lines.append(_with(item, new_amount, refs))
        self.total += new_amount

    def add(self, key: WbsKey, erp: KeySum) -> None:
        """A key the project lacks, with a sum that is not 0: a new line with the ERP's text."""
        self.counts["lines_added"] += 1
        self.touched.add(key)
        self.changes.append(LineChange(key, ChangeKind.ADDED, None, erp.amount))
        self.lines.append(LineItem(key, erp.description, erp.amount, erp_refs=erp.refs))
        self.total += erp.amount

    @property
    def summary(self) -> Summary:
        return Summary(**self.counts)


def digest_of(sums: dict[WbsKey, KeySum]) -> str:
    """A fingerprint of the ERP's per-key sums and descriptions.

    Applying a preview compares the fingerprint of what it fetches with the preview's: the ERP's
    own timestamps cannot be trusted to move on every change, the sums themselves can.
    """
    quote = encode_basestring_ascii
    # Each key's row is exactly json.dumps([sub job, cost code, cost type, amount, description],
    # separators=(",", ":")) + "\n", written with one C call per field; the rows are hashed as one
    # text rather than one update per key, which cost a third of the digest.
    rows = [
        f"[{quote(key.sub_job)},{quote(key.cost_code)},{quote(key.cost_type)},"
        f"{quote(f'{erp.amount:f}')},{quote(erp.description)}]\n"
        for key, erp in sorted(sums.items(), key=_pair_order)
    ]
    return hashlib.sha256("".join(rows).encode()).hexdigest()


# The keys' own order (sub job, cost code, cost type) as plain tuples built in C: sorting 10,000
# keys by them skips the dataclass comparison, which builds two tuples on every comparison. A
# store that finds a key's place among sorted lines compares the same tuples.
key_order = attrgetter("sub_job", "cost_code", "cost_type")
line_order = attrgetter("key.sub_job", "key.cost_code", "key.cost_type")  # a line or change


def _pair_order(pair: tuple[WbsKey, KeySum]) -> tuple[str, str, str]:
    """A (key, sum) pair in its key's own order."""
    return key_order(pair[0])


def _with(item: LineItem, amount: Decimal, refs: tuple[str, ...]) -> LineItem:
    return LineItem(
        key=item.key,
        description=item.description,
        original_budget_amount=amount,
        uom=item.uom,
        quantity=item.quantity,
        unit_cost=item.unit_cost,
        erp_refs=refs,
    )


def erp_total(lines: Iterable[ErpLine]) -> Decimal | None:
    """The ERP's cost lines summed, as a plan sums them, also when the lines fail validation for
    another reason (an unknown cost code, a text too long); None when a cost line's amount is not
    a valid amount (not a number, more than 2 decimals, beyond the line limit) or the sum is beyond
    the budget limit: then no total can be stated."""
    total = ZERO
    for line in lines:
        if line.kind is not LineKind.COST:
            continue
        try:
            total += parse_amount(line.amount)
        except InvalidAmount:
            return None
    return None if total_beyond_limit(total) else total


def budget_total(lines: Iterable[LineItem]) -> Decimal:
    return sum((line.original_budget_amount for line in lines), ZERO)
