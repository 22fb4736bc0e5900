"""A `Retry-After` header read as RFC 9110 writes it, and the retry wait the worker makes of it.

A number of seconds or an HTTP date; a date already past asks for no wait, anything else for the
plain backoff. The queue then waits as long as the ERP asked (within what SQS allows), and the
job's "Waiting to retry" sentence names that same wait (docs/reliability.md).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from chalicelib.adapters.erp.common.http import ErpHttp, HttpFailure, Limits, retry_after_seconds
from chalicelib.domain.errors import ErpUnavailable
from chalicelib.entrypoints.worker import MAX_RETRY_DELAY_SECONDS, retry_delay, retry_wait
from chalicelib.services.reimports import waiting_message

NOW = datetime(2026, 3, 2, 9, 30, 0, tzinfo=UTC)


def _http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)  # "Mon, 02 Mar 2026 09:30:00 GMT"


# --- the header --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("120", 120.0), ("0", 0.0), (" 7 ", 7.0), ("1.5", 1.5), ("86400", 86400.0)],
)
def test_a_number_of_seconds_is_that_wait(header: str, seconds: float) -> None:
    assert retry_after_seconds(header, now=NOW) == seconds


def test_an_http_date_in_the_future_is_the_time_until_it() -> None:
    assert retry_after_seconds(_http_date(NOW + timedelta(minutes=10)), now=NOW) == 600.0


@pytest.mark.parametrize(
    "header",
    [
        "Mon, 02 Mar 2026 10:30:00 GMT",  # IMF-fixdate, the form RFC 9110 asks senders to use
        "Monday, 02-Mar-26 10:30:00 GMT",  # obsolete RFC 850 form, which recipients must read
        "Mon Mar  2 10:30:00 2026",  # obsolete asctime form: no zone written, GMT meant
    ],
)
def test_every_http_date_form_is_read_as_gmt(header: str) -> None:
    assert retry_after_seconds(header, now=NOW) == 3600.0


@pytest.mark.parametrize("ago", [timedelta(seconds=1), timedelta(days=400)])
def test_an_http_date_already_past_asks_for_no_wait(ago: timedelta) -> None:
    assert retry_after_seconds(_http_date(NOW - ago), now=NOW) == 0.0


def test_an_http_date_is_measured_from_the_present_by_default() -> None:
    wait = retry_after_seconds(_http_date(datetime.now(UTC) + timedelta(minutes=5)))
    assert wait is not None and 290 < wait <= 300


@pytest.mark.parametrize(
    "header",
    [None, "", "   ", "soon", "-5", "inf", "nan", "1_000", "1e3", "٣", "Mon, 32 Mar 2026 10:30:00 GMT",
     "Mon, 02 Foo 2026 10:30:00 GMT", "10 minutes", "9" * 400 + ".5"],
)  # fmt: skip
def test_a_header_that_is_neither_seconds_nor_a_date_asks_for_nothing(header: str | None) -> None:
    assert retry_after_seconds(header, now=NOW) is None


# --- the HTTP client: the wait asked for travels with the failure -----------------------------


class _AlwaysFailing(ErpHttp):
    """Every request answers `status` with `retry_after`; the sleeps asked for are kept."""

    def __init__(self, status: int, retry_after: str | None) -> None:
        self.waits: list[float] = []
        super().__init__("https://erp.example.com", sleep=self.waits.append, erp_name="Acme ERP")
        self.failure = HttpFailure(status, b"{}", retry_after)

    def send(self, *args: object, **kwargs: object) -> object:
        raise self.failure


@pytest.mark.parametrize("status", [429, 503])
def test_a_wait_longer_than_a_call_may_sleep_is_raised_with_the_wait(status: int) -> None:
    client = _AlwaysFailing(status, "600")

    with pytest.raises(ErpUnavailable) as unavailable:
        client.call("GET", "/budget", "read the budget")

    assert client.waits == []
    assert unavailable.value.retry_after_seconds == 600.0
    assert unavailable.value.message.endswith(
        "when trying to read the budget; the job will try again."
    )


def test_a_retry_after_given_as_a_date_is_waited_out_then_carried_when_attempts_run_out() -> None:
    client = _AlwaysFailing(429, _http_date(datetime.now(UTC) + timedelta(seconds=20)))

    with pytest.raises(ErpUnavailable) as unavailable:
        client.call("GET", "/budget", "read the budget")

    assert len(client.waits) == Limits().max_attempts - 1
    assert all(10 < wait <= 20 for wait in client.waits), client.waits  # not the 0.5 s backoff
    carried = unavailable.value.retry_after_seconds
    assert carried is not None and 10 < carried <= 20


def test_a_failure_without_retry_after_carries_no_wait() -> None:
    client = _AlwaysFailing(503, None)

    with pytest.raises(ErpUnavailable) as unavailable:
        client.call("GET", "/budget", "read the budget")

    assert client.waits == [0.5, 1.0]
    assert unavailable.value.retry_after_seconds is None


# --- the worker's wait and the job's sentence ------------------------------------------------


def _unavailable(retry_after_seconds: float | None) -> ErpUnavailable:
    return ErpUnavailable(
        "Acme ERP asked us to slow down (429) when trying to read the budget; the job will try "
        "again.",
        retry_after_seconds=retry_after_seconds,
    )


@pytest.mark.parametrize("receive_count", [1, 2, 3, 4])
def test_without_a_wait_asked_for_the_queue_s_own_backoff_applies(receive_count: int) -> None:
    assert retry_wait(_unavailable(None), receive_count) == retry_delay(receive_count)


@pytest.mark.parametrize(
    ("asked", "receive_count", "wait"),
    [
        (600.0, 1, 600),  # longer than the backoff: the ERP's wait
        (120.4, 1, 121),  # whole seconds, never sooner than asked
        (5.0, 1, 15),  # shorter: the backoff
        (60.0, 3, 240),  # shorter than the later, longer backoff
        (0.0, 2, 60),
        (float("nan"), 1, 15),
    ],
)
def test_the_wait_is_the_longer_of_the_backoff_and_the_erp_s(
    asked: float, receive_count: int, wait: int
) -> None:
    assert retry_wait(_unavailable(asked), receive_count) == wait


@pytest.mark.parametrize("asked", [12 * 3600.0, 3 * 86400.0, float("inf")])
def test_a_wait_beyond_what_sqs_allows_is_cut_to_its_limit(asked: float) -> None:
    assert retry_wait(_unavailable(asked), 1) == MAX_RETRY_DELAY_SECONDS
    assert MAX_RETRY_DELAY_SECONDS <= 12 * 3600  # SQS's limit on a message's visibility


@pytest.mark.parametrize(
    ("wait", "said"),
    [(15, "in about 1 minute"), (600, "in about 10 minutes"), (3600, "in about 60 minutes"),
     (MAX_RETRY_DELAY_SECONDS, "in about 12 hours")],
)  # fmt: skip
def test_the_job_s_sentence_names_the_wait_worked_out_from_the_failure(
    wait: int, said: str
) -> None:
    why = _unavailable(float(wait))

    message = waiting_message(why, lambda failure: retry_wait(failure, 1))

    assert message.startswith(f"Waiting to retry {said}: Acme ERP asked us to slow down (429)")
    assert "will try again" not in message
