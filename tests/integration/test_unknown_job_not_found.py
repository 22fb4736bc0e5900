"""A job Sage Intacct, Yardi Voyager or MRI Platform X does not have is "job not found".

Not a generic refusal: `ErpJobNotFound`, which fails the job with a sentence naming the job and
answers the mapping preview 404 `erp_job_not_found` (docs/erps/README.md, "Errors"). Each ERP's
own way of telling (no estimate, a SOAP fault, a 404) is confirmed by its project list first, so
a wrong sign-in or a wrong address still says to check those, never that the job is missing.
"""

from __future__ import annotations

import pytest

from chalicelib.adapters.erp.common.http import Limits
from chalicelib.adapters.erp.common.signin import forget_tokens
from chalicelib.adapters.erp.intacct import IntacctSource
from chalicelib.adapters.erp.mri import MriSource
from chalicelib.adapters.erp.yardi import YardiSource
from chalicelib.domain.errors import ErpJobNotFound, ErpRejected
from chalicelib.domain.model import ErpCredentials
from chalicelib.domain.ports import ErpSource
from devstack import demo_data
from devstack.sandbox_erp import SandboxErp
from tests.fixtures.erp import UniformSwitch

LIMITS = Limits(timeout=10, allow_local_urls=True)


def _source(
    sandbox: SandboxErp, erp: str, path: str | None = None, **credentials: str
) -> ErpSource:
    saved = demo_data.company(erp).erp_connection()
    url = sandbox.url + (saved.path if path is None else path)
    secret = ErpCredentials({**saved.credentials, **credentials})
    forget_tokens()
    if erp == "intacct":
        return IntacctSource(url, secret, settings=dict(saved.settings), limits=LIMITS,
                             sleep=lambda seconds: None)  # fmt: skip
    kind = YardiSource if erp == "yardi" else MriSource
    return kind(url, dict(saved.settings), secret, limits=LIMITS, sleep=lambda seconds: None)


# The second is a real job's id with a quote: a lookup that did not quote it would find that job.
@pytest.mark.parametrize("erp", ["intacct", "yardi", "mri"])
@pytest.mark.parametrize("unknown", ["NOPE-1", "{job}' or 'x' = 'x"])
def test_a_job_the_erp_does_not_have_is_job_not_found_naming_it(
    sandbox: SandboxErp, switch: UniformSwitch, erp: str, unknown: str
) -> None:
    job = unknown.format(job=demo_data.company(erp).projects[0].project_id)

    with pytest.raises(ErpJobNotFound) as missing:
        _source(sandbox, erp).fetch_budget(job)

    assert f"'{job}'" in missing.value.message
    assert "check the ERP job this project is linked to" in missing.value.message
    assert "sign-in" not in missing.value.message and "address" not in missing.value.message


@pytest.mark.parametrize("erp", ["intacct", "yardi", "mri"])
def test_a_job_the_erp_has_still_reads_its_budget(
    sandbox: SandboxErp, switch: UniformSwitch, erp: str
) -> None:
    company = demo_data.company(erp)
    job = company.projects[0].project_id

    lines = _source(sandbox, erp).fetch_budget(job)

    assert len(lines) == len(switch.lines(erp, company.tenant, job))


def test_yardi_a_refused_sign_in_is_still_a_sign_in_error_not_job_not_found(
    sandbox: SandboxErp, switch: UniformSwitch
) -> None:
    # Yardi answers a wrong sign-in and an unknown job alike (a soap:Client fault): the job list,
    # refused too, tells them apart.
    with pytest.raises(ErpRejected) as refused:
        _source(sandbox, "yardi", password="not-the-password").fetch_budget("NOPE-1")

    assert not isinstance(refused.value, ErpJobNotFound)
    assert "sign-in" in refused.value.message and "not-the-password" not in str(refused.value)


def test_mri_a_wrong_address_is_still_an_address_error_not_job_not_found(
    sandbox: SandboxErp, switch: UniformSwitch
) -> None:
    # Every call answers 404 there: the budget call's 404 is a missing job only when the job
    # list answers and lacks it.
    with pytest.raises(ErpRejected) as refused:
        _source(sandbox, "mri", path="/not-mri").fetch_budget("R-1401")

    assert not isinstance(refused.value, ErpJobNotFound)
    assert "address" in refused.value.message


def test_intacct_a_project_without_a_posted_estimate_is_not_job_not_found(
    sandbox: SandboxErp, switch: UniformSwitch
) -> None:
    # The estimate query answers none (as for a project whose estimate is still a draft); the
    # project lookup finds the project, so the sentence says what to do in Sage Intacct.
    switch.fault(fail_next=1, status=200, prefix="intacct", match="services/core/query",
                 body='{"ia::result": [], "ia::meta": {"next": null}}')  # fmt: skip

    with pytest.raises(ErpRejected) as refused:
        _source(sandbox, "intacct").fetch_budget("I-6001")

    assert not isinstance(refused.value, ErpJobNotFound)
    assert "no primary, posted estimate for project 'I-6001'" in refused.value.message
