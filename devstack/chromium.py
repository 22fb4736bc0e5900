"""Debian's Chromium under Playwright, as the browser tests and the browser benchmark launch it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

CHROMIUM = "/usr/bin/chromium"  # Debian's package (`make chromium`); CHROMIUM overrides it
# Flags that keep the browser off the network: the machine reaches nothing but loopback.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


class ChromiumMissing(RuntimeError):
    pass


def launch_chromium(playwright: Playwright) -> Browser:
    """Never a downloaded browser: Debian's, with the flags above."""
    executable = os.environ.get("CHROMIUM", CHROMIUM)
    if not Path(executable).exists():
        raise ChromiumMissing(f"Chromium is not at {executable}: `make chromium` installs it.")
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
