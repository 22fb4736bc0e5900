"""An ERP job the ERP does not have: a permanent error, never an empty budget.

An empty answer to a budget read means two different things: the job is there and its budget has
no lines (a re-import sets the project's lines to 0, when a person asks for that), or there is no
such job (renamed or deleted in the ERP since it was linked, a typing mistake), which must fail the
job with a sentence and leave the budget alone. A connector whose budget read cannot tell the two
apart asks the ERP's own project (job) lookup, and only when the read came back empty, so a normal
re-import costs no extra call. docs/erps/README.md, "Errors".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from chalicelib.adapters.erp.common.names import erp_name
from chalicelib.domain.errors import ErpJobNotFound, ErpRejected


def no_such_job(erp_system: str, erp_job_id: str, record: str = "project") -> ErpJobNotFound:
    """The sentence for a job the ERP says it has no `record` (its own word: project, job) of."""
    erp = erp_name(erp_system)
    return ErpJobNotFound(
        f"{erp} has no {record} '{erp_job_id}': check the ERP job this project is linked to; it "
        f"may have been renamed or deleted in {erp}."
    )


def job_listed_without(job_ids: Callable[[], Iterable[object]], erp_job_id: str) -> bool:
    """Whether the ERP's job list answers without `erp_job_id`: for an ERP that answers a job it
    does not have as it answers a wrong sign-in or address. False when the list is refused too
    (then the sign-in or address is what is wrong), so the first refusal stands."""
    try:
        return erp_job_id.strip() not in set(job_ids())
    except ErpRejected:
        return False
