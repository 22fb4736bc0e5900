"""Budget Bridge's Chalice app: the HTTP API, the re-import worker, its dead-letter handler and the
schedule. Every handler is a thin entry point into chalicelib; nothing here runs at import time
beyond declaring routes and functions."""

from __future__ import annotations

from typing import Any

from chalice import Chalice, Rate
from chalice.app import CloudWatchEvent

from chalicelib import resources
from chalicelib.entrypoints import schedule, worker
from chalicelib.entrypoints.api import register_api

app = Chalice(app_name="budget-bridge", configure_logs=False)  # Powertools logs
register_api(app)


@app.lambda_function(name=resources.WORKER_FUNCTION)
def reimport_worker(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return worker.handle(event, context)


@app.lambda_function(name=resources.DEAD_LETTER_FUNCTION)
def dead_letter_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return worker.handle_dead_letters(event, context)


@app.schedule(
    Rate(resources.SCHEDULE_RATE_MINUTES, unit=Rate.MINUTES), name=resources.SCHEDULE_FUNCTION
)
def auto_reimport_schedule(event: CloudWatchEvent) -> dict[str, Any]:
    return schedule.handle(event.to_dict(), event.context)
