"""The embedded AWS: moto in server mode, with the local stack's settings, in a process of its own
(devstack/child.py says why). The local stack and the fleet benchmark both start it from here, so
both measure the same emulator.

    aws = EmbeddedAws("127.0.0.1", 0).start()   # 0: any free port
    aws.url                                     # AWS_ENDPOINT_URL for boto3
    aws.stop()

By hand: `python -m devstack.emulator --port 5000`.
"""

from __future__ import annotations

import gc
import logging
import sys

from devstack.child import ChildServer, run_child


def install_settings() -> None:
    """The local stack's settings of moto (DynamoDB, SQS, Cognito), in this process; idempotent."""
    from devstack.moto_atomic import serialize_dynamodb
    from devstack.moto_cognito import bind_challenge_sessions, sign_with_a_key_of_its_own
    from devstack.moto_dispatch import list_modules_once
    from devstack.moto_expressions import (
        copy_update_trees_by_shape,
        lex_conditions_once,
        parse_conditions_once,
        parse_updates_once,
        set_plain_values_directly,
        walk_trees_by_node_type,
    )
    from devstack.moto_index import index_secondary_keys
    from devstack.moto_items import copy_updates_for_streams_only, size_items_once
    from devstack.moto_requests import name_actions_once, read_plain_json_once
    from devstack.moto_serialize import convert_results_directly, write_items_as_json
    from devstack.moto_sqs import send_without_recount

    index_secondary_keys()  # an index query reads its partition, not the table (first: below)
    serialize_dynamodb()  # the API and the worker write side by side, as in AWS
    send_without_recount()  # a message costs the same whatever the queue holds
    list_modules_once()  # a request is routed without listing moto's package
    write_items_as_json()  # an answer with items is written as JSON, not walked shape by shape
    convert_results_directly()  # an answer's items are converted without asking each value
    lex_conditions_once()  # a condition's words are read once per text, not once per item
    parse_conditions_once()  # a condition is built once per text, names and used values
    parse_updates_once()  # an update expression is parsed once per text
    copy_update_trees_by_shape()  # an update's tree is copied node by node for each item
    walk_trees_by_node_type()  # an update's checks choose a node's processor once per type
    set_plain_values_directly()  # `SET name = :value, ...` sets the values without ten walks
    read_plain_json_once()  # a request without binary attributes is its JSON, not walked
    name_actions_once()  # an action's method is found without listing the handler's functions
    size_items_once()  # a new item is sized once, not once per attribute
    copy_updates_for_streams_only()  # an update copies its item only for a stream
    bind_challenge_sessions()  # a sign-in challenge is answered only for the user it was issued to
    sign_with_a_key_of_its_own()  # tokens signed with a key no one else has, not moto's published one


# moto keeps every item, message and user the stack writes as Python objects that live as long
# as the process, so the emulator's heap only grows (1.8 million objects once the fleet bench has
# seeded 1,000 companies). CPython's cyclic collector walks the whole heap at every 70,000 net new
# objects (700 x 10 x 10, once the heap has also grown by a quarter): fourteen walks, 4.5 s of the
# emulator's CPU while that bench seeds and runs. With the youngest generation's threshold at
# 50,000 a whole-heap walk comes after 5 million new objects; garbage cycles still go at every
# 50,000 (docs/performance.md, "Fleet").
YOUNGEST_GENERATION_THRESHOLD = 50_000


def collect_rarely() -> None:
    """The cyclic collector's thresholds for a process whose heap only grows (this process's)."""
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNGEST_GENERATION_THRESHOLD, middle, oldest)


class EmbeddedAws(ChildServer):
    module = "devstack.emulator"
    what = "embedded AWS (moto)"


def serve(host: str, port: int) -> tuple[str, int]:
    """moto's server in a background thread of this process; answers the address it bound."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # a line per request otherwise
    install_settings()
    collect_rarely()
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    return server.get_host_and_port()


if __name__ == "__main__":
    sys.exit(run_child(EmbeddedAws.what, serve))
