"""Shared helpers for benchmark scripts: machine description and docs/benchmarks.md sections.

Each benchmark owns one section of docs/benchmarks.md, delimited by
``<!-- bench:NAME -->`` ... ``<!-- /bench:NAME -->``, and rewrites only that
section, so benchmarks can run in any order.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_DOC = ROOT / "docs" / "benchmarks.md"
_HEADER = (
    "# Benchmarks\n\n"
    "Written by the scripts under `benchmarks/` (`make bench`). Each section is "
    "rewritten by its own script; figures are from the machine and date stated in it.\n"
)


def machine_description() -> str:
    """Return a one-line description of this machine (CPU, cores, Python)."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def today() -> str:
    """Return today's date (UTC) in ISO format."""
    return _dt.datetime.now(_dt.UTC).date().isoformat()


def write_section(name: str, markdown: str, path: Path = BENCH_DOC) -> None:
    """Replace (or append) the section ``name`` of docs/benchmarks.md with ``markdown``."""
    text = path.read_text() if path.exists() else _HEADER
    begin, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{begin}\n{markdown.strip()}\n{end}"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _m: block, text)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
