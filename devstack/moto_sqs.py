"""Makes the embedded AWS's SQS accept a message in time that does not grow with the queue.

moto's `send_message` reads the queue's `attributes` to learn one setting (content-based
deduplication), and that property counts every message on the queue three times over (visible,
delayed, in flight), each check asking the clock. So every message sent cost time in proportion to
the messages already queued: the schedule's run over 1,000 companies (10,000 messages) spent most
of its time there, where SQS itself costs the same per message whatever the queue holds
(docs/performance.md, "Fleet").

`send_without_recount` makes the three counts answer 0 while a message is being sent — nothing in
the send path reads them — and leaves them exact everywhere else (GetQueueAttributes, the local
stack's poller, the dead-letter queue's depth).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

_COUNTS = (
    "approximate_number_of_messages",
    "approximate_number_of_messages_delayed",
    "approximate_number_of_messages_not_visible",
)
_sending = threading.local()


def send_without_recount(setattr_: Callable[[Any, str, Any], None] = setattr) -> None:
    """Patch moto's queue counts and `send_message` (idempotent)."""
    from moto.sqs.models import Queue, SQSBackend

    original_send = SQSBackend.send_message
    if getattr(original_send, "_no_recount", False):
        return
    for name in _COUNTS:
        counted = getattr(Queue, name)

        def count(queue: Any, __counted: Any = counted) -> int:
            if getattr(_sending, "active", False):
                return 0
            return int(__counted.fget(queue))

        setattr_(Queue, name, property(count))

    @functools.wraps(original_send)
    def send_message(*args: Any, **kwargs: Any) -> Any:
        _sending.active = True
        try:
            return original_send(*args, **kwargs)
        finally:
            _sending.active = False

    send_message._no_recount = True  # type: ignore[attr-defined]
    setattr_(SQSBackend, "send_message", send_message)
