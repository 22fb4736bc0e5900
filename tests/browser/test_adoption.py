"""A company adopts Budget Bridge through the web app alone: its admin connects the ERP (a wrong
password first), syncs the cost codes, links and imports a job and invites a project manager, who
signs in with the temporary password, chooses a new one and re-imports a change made in the ERP."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.adoption import walk
from tests.e2e.conftest import RunningStack

pytestmark = pytest.mark.browser


def test_a_new_company_connects_its_erp_links_a_job_and_its_invitee_reimports_a_change(
    page: Page, stack: RunningStack
) -> None:
    walk(page, stack)
