"""The sandbox ERP's command and the names its callers import; the server is devstack/sandbox/.

CLI: `python -m devstack.sandbox_erp --port 8001` (every system: Acumatica at the root and at
`/acumatica`, MYOB at `/myob`, Sage Intacct at `/intacct`, CMiC at `/cmic`, Workday at
`/workday`, Yardi Voyager at `/yardi`, MRI Platform X at `/mri`).
"""

from __future__ import annotations

from devstack.sandbox.acumatica import ENDPOINT, ENTITIES, erp_rows
from devstack.sandbox.app import SandboxErp, SandboxErpProcess, main
from devstack.sandbox.core import Row, dumps

__all__ = [
    "ENDPOINT",
    "ENTITIES",
    "Row",
    "SandboxErp",
    "SandboxErpProcess",
    "dumps",
    "erp_rows",
    "main",
]

if __name__ == "__main__":
    main()
