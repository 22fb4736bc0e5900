"""The sandboxes of the systems Budget Bridge talks to, one module per system (local stack only)."""
