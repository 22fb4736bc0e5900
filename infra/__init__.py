"""The AWS deployment of Budget Bridge, as a CDK app (see app.py)."""
