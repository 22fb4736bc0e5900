"""The local schedule: sends the schedule function the events EventBridge would send it.

EventBridge on moto stores the rule but fires nothing, so this timer calls the Chalice schedule
handler every `interval` seconds with a genuine "Scheduled Event", just as the rule's target
invocation would (the handler's own interval logic decides which budgets are due).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from devstack.background import BackgroundLoop
from devstack.lambda_runtime import FunctionConfig

log = logging.getLogger("devstack.timer")

DEFAULT_INTERVAL_SECONDS = 60.0


def scheduled_event(
    rule_arn: str, account_id: str, region: str, now: datetime | None = None
) -> dict[str, Any]:
    """The event EventBridge sends a scheduled rule's target."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account_id,
        "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }


class ScheduleTimer(BackgroundLoop):
    """Fires `handler(event, context)` every `interval` seconds in a background thread."""

    def __init__(
        self,
        handler: Callable[[dict[str, Any], Any], Any],
        function: FunctionConfig,
        *,
        rule_arn: str,
        account_id: str,
        region: str,
        interval: float = DEFAULT_INTERVAL_SECONDS,
    ) -> None:
        if interval <= 0:
            raise ValueError("The schedule interval must be positive.")
        self._handler = handler
        self._function = function
        self._rule_arn = rule_arn
        self._account_id = account_id
        self._region = region
        self.interval = interval
        super().__init__(thread_name="schedule-timer")

    def _run(self) -> None:
        # Like a rate() rule, the first event comes one interval after the rule is created.
        while not self._stopping.wait(self.interval):
            self.fire()

    def fire(self) -> Any:
        """Send one scheduled event now; a failing handler is logged, as Lambda would record it."""
        event = scheduled_event(self._rule_arn, self._account_id, self._region)
        try:
            return self._handler(event, self._function.new_context())
        except Exception:
            log.exception("the schedule function %s failed", self._function.name)
            return None
