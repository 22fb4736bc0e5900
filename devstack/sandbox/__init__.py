"""The sandbox ERP server: every ERP's wire format under its own prefix, one module per system.

`app.py` builds the Flask app and the server (`SandboxErp`); `switch.py` holds the routes every
system shares (the uniform `/sandbox/budgets/...` switch, faults, reset); each system module
(`acumatica.py`, `myob.py`, `intacct.py`, `cmic.py`, `workday.py`, `yardi.py`, `mri.py`) defines
its `SYSTEM`, registered in `app.py`.
The Procore sandbox (`procore.py`, a budget target rather than an ERP) is a blueprint mounted
under `/procore`.
"""
