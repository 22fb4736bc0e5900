"""Use cases: what a person, an API client, the worker or the schedule can ask of Budget Bridge.

Services take their ports explicitly (a `Ports` bundle) and speak only domain types.
"""
