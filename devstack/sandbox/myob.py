"""MYOB Advanced Construction: Acumatica's contract-based API under MYOB's endpoint version.

The same routes as acumatica.py under `/myob`, with `/entity/Default/22.200.001/...`; sign-in by
cookie or by OAuth2 password grant at `/myob/identity/connect/token` (client `myob-client`).
"""

from __future__ import annotations

from devstack.sandbox.acumatica import system

MYOB_VERSION = "22.200.001"

SYSTEM = system("myob", MYOB_VERSION, ("/myob",))
