"""What every ERP connector shares and none is on its own: the HTTP client (auth hooks, retries,
size caps, the address guard), sign-in and token rotation, the per-connection rate gate, line
mapping and the ERPs' display names. The connectors themselves are the modules one folder up, one per
ERP, each with its page under docs/erps/."""
