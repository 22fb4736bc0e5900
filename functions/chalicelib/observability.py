"""Powertools Logger, Metrics and Tracer, built on first use so importing the app reads nothing.

Tracing: every handler runs in a `## <handler>` subsegment (Powertools' `capture_lambda_handler`),
and the steps an operator asks about (the ERP call, the DynamoDB transactions, the queue send) are
subsegments of their own, annotated with the company, budget and job ids so X-Ray can find every
trace of one job (docs/operations.md). Annotations carry ids only: never credentials, tokens or
amounts. Outside Lambda (the local stack, tests) Powertools switches the tracer off by itself, and
every call below does nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from chalicelib import config, resources

SERVICE = resources.METRICS_SERVICE
NAMESPACE = resources.METRICS_NAMESPACE

# Subsegment names: the runbook's vocabulary (docs/operations.md, "Tracing").
ERP_FETCH = "erp.fetch_budget"
BUDGET_COMMIT = "dynamodb.commit_reimport"
JOB_RECORD = "dynamodb.record_job"
QUEUE_SEND = "sqs.send_job"

Handler = TypeVar("Handler", bound=Callable[..., Any])


class _KeysOfTheCallingThread(LambdaPowertoolsFormatter):
    """Where the functions share a process (the local stack runs each as threads of one), the
    keys a call appends (its function's name and request id, its correlation id, the job it
    works on) are its own thread's: appended to the one formatter every thread logs through,
    the schedule's lines named the worker and an API request's line carried the schedule's ids.
    In Lambda a function is a process of its own, serving one call at a time, and the keys stay
    Powertools' usual ones (so the schedule's pool threads log its function's name too)."""

    def append_keys(self, **additional_keys: Any) -> None:
        self.thread_safe_append_keys(**additional_keys)

    def remove_keys(self, keys: Iterable[str]) -> None:
        self.thread_safe_remove_keys(keys)

    def clear_state(self) -> None:
        super().clear_state()
        self.thread_safe_clear_keys()


@lru_cache(maxsize=1)
def logger() -> Logger:
    built = Logger(service=SERVICE)
    # Set on the handler, not passed to Logger: a logger of this service configured before (by
    # an earlier Logger in this process) keeps its handler, and Powertools would ignore it.
    shared, formatter = config.functions_share_process(), built.registered_formatter
    if shared and not isinstance(formatter, _KeysOfTheCallingThread):
        built.registered_handler.setFormatter(_KeysOfTheCallingThread(service=SERVICE))
    elif not shared and isinstance(formatter, _KeysOfTheCallingThread):
        built.registered_handler.setFormatter(LambdaPowertoolsFormatter(service=SERVICE))
    return built


@lru_cache(maxsize=1)
def metrics() -> Metrics:
    return Metrics(namespace=NAMESPACE, service=SERVICE)


@lru_cache(maxsize=1)
def tracer() -> Tracer:
    return Tracer(service=SERVICE)


def reset() -> None:
    """Forget the built Logger, Metrics and Tracer (tests that configure Powertools themselves)."""
    for built in (logger, metrics, tracer):
        built.cache_clear()


def lambda_handler(*, correlation_id_path: str | None = None) -> Callable[[Handler], Handler]:
    """Runs a Lambda handler `(event, context)` under Powertools' own decorators: the tracer's
    `capture_lambda_handler`, the logger's `inject_lambda_context` (the function's name, request id
    and cold start on every line, and the correlation id read from the event at
    `correlation_id_path`) and the metrics' `log_metrics` (one flush when the handler ends, even
    when it raises). They are applied at each call, to the Logger, Metrics and Tracer built on first
    use, so importing the app builds nothing. Handler answers are not traced: they may hold ids a
    trace need not keep. Without a Lambda context (a direct call) there is nothing to inject."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def run(event: Any, context: Any) -> Any:
            wrapped = tracer().capture_lambda_handler(handler, capture_response=False)
            wrapped = metrics().log_metrics(wrapped)
            if context is not None:
                wrapped = logger().inject_lambda_context(
                    wrapped, correlation_id_path=correlation_id_path
                )
            return wrapped(event, context)

        return run  # type: ignore[return-value]

    return decorate


def _annotate(subsegment: Any, **annotations: str | int) -> None:
    # X-Ray hands back no subsegment when there is no open segment (never so in Lambda).
    if subsegment is not None:
        for key, value in annotations.items():
            subsegment.put_annotation(key=key, value=value)


def trace_http(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Chalice HTTP middleware: each API request is a `## api_handler` subsegment annotated with
    its route pattern (never the ids in the path), so slow or failing routes stand apart."""
    with tracer().provider.in_subsegment(name="## api_handler") as subsegment:
        _annotate(subsegment, Service=SERVICE, route=f"{event.method} {event.path}")
        response = get_response(event)
        _annotate(subsegment, status=int(response.status_code))
        return response


@contextmanager
def span(
    name: str,
    *,
    company_id: str | None,
    budget_id: str | None = None,
    job_id: str | None = None,
    jobs: int | None = None,
) -> Iterator[Any]:
    """A subsegment around one step of a job (or of the schedule's batch of jobs, which may span
    companies: `company_id` None and the batch's size in `jobs`), annotated with its ids
    (searchable in X-Ray)."""
    ids: dict[str, str | int] = {}
    if company_id is not None:
        ids["company_id"] = company_id
    if jobs is not None:
        ids["jobs"] = jobs
    if budget_id is not None:
        ids["budget_id"] = budget_id
    if job_id is not None:
        ids["job_id"] = job_id
    with tracer().provider.in_subsegment(name=name) as subsegment:
        _annotate(subsegment, **ids)
        yield subsegment


def record_erp_latency(erp_system: str, milliseconds: float) -> None:
    """ERP latency per ERP system: a metric set of its own with the system as a dimension, since
    one worker batch may hold jobs for different ERPs and a flush shares its dimensions."""
    latency = EphemeralMetrics(namespace=NAMESPACE, service=SERVICE)
    latency.add_dimension(name=resources.METRIC_ERP_SYSTEM_DIMENSION, value=erp_system)
    latency.add_metric(
        name=resources.METRIC_ERP_LATENCY, unit=MetricUnit.Milliseconds, value=milliseconds
    )
    latency.flush_metrics()
