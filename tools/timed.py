"""Runs a command and writes its wall-clock duration in seconds to a file (for `make eval`).

Usage: python tools/timed.py OUTPUT_FILE -- COMMAND [ARGS...]
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path


def main() -> int:
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    output, command = Path(sys.argv[1]), sys.argv[3:]
    started = time.perf_counter()
    returncode = subprocess.call(command)
    output.write_text(f"{time.perf_counter() - started:.1f}\n")
    return returncode


if __name__ == "__main__":
    sys.exit(main())
