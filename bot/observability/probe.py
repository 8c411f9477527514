"""`python -m bot.observability.probe URL`: exit 0 if URL answers 2xx within the timeout, else 1.

The containers' HEALTHCHECK and compose healthchecks use it: the images have Python but no
curl, and a probe must not import the whole application. Standard library only.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

TIMEOUT = 4.0


def probe(url: str, timeout: float = TIMEOUT) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return 200 <= int(response.status) < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].startswith("http://"):
        print("usage: python -m bot.observability.probe http://HOST:PORT/PATH", file=sys.stderr)
        return 2
    return 0 if probe(argv[0]) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
