"""Benchmark: the dashboard under 50 concurrent clients doing the patient workflow.

Starts ``sepsistwin serve`` (uvicorn, one process) on a free port, then runs asyncio clients,
each with its own session (cookie jar), each repeating the patient workflow on the bundled
example cohort without think time:

  1. the patients table            GET /patients/example
  2. a patient's page (charts)     GET /patients/example/{id}
  3. its assessment as JSON        GET /api/datasets/example/assessment?patient={id}
  4. its chart data                GET /api/datasets/example/patients/{id}/figures
  5. its recommendations page      GET /patients/example/{id}/recommendations
  6. its recommendations as JSON   GET /api/datasets/example/recommendations?patient={id}

Named baselines: the target (0 errors and p95 <= 300 ms with 50 clients on 2 cores, issue
#17) and the same workflow by a single client (latency without queueing). Each patient is
opened once before timing (the first view of a patient builds its figures; that cold cost is
reported apart).

Usage: python benchmarks/bench_web.py [--clients 50] [--rounds 10] [--no-write]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import machine_description, today, write_section

TARGET_P95_MS = 300.0
_TLS = ssl.create_default_context()
TARGET_CLIENTS = 50


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def workflow(pid: str) -> list[tuple[str, str]]:
    """(step name, URL) of one patient workflow."""
    return [
        ("patients table", "/patients/example"),
        ("patient page", f"/patients/example/{pid}"),
        ("assessment JSON", f"/api/datasets/example/assessment?patient={pid}"),
        ("figures JSON", f"/api/datasets/example/patients/{pid}/figures"),
        ("recommendations page", f"/patients/example/{pid}/recommendations"),
        ("recommendations JSON", f"/api/datasets/example/recommendations?patient={pid}"),
    ]


async def _client(
    base: str, patients: list[str], offset: int, rounds: int, out: list[tuple[str, float, int]]
) -> None:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    # one TLS context for all clients (httpx builds one per client otherwise, ~30 ms of the
    # load generator's CPU each, which would be counted as server latency at start-up)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits, verify=_TLS) as c:
        for k in range(rounds):
            pid = patients[(offset + k) % len(patients)]
            for step, url in workflow(pid):
                t0 = time.perf_counter()
                try:
                    r = await c.get(url)
                    status = r.status_code
                except httpx.HTTPError:
                    status = -1
                out.append((step, (time.perf_counter() - t0) * 1000.0, status))


async def _load(base: str, patients: list[str], clients: int, rounds: int) -> tuple[list, float]:
    out: list[tuple[str, float, int]] = []
    t0 = time.perf_counter()
    await asyncio.gather(*(_client(base, patients, i, rounds, out) for i in range(clients)))
    return out, time.perf_counter() - t0


def _stats(rows: list[tuple[str, float, int]]) -> dict[str, float]:
    ms = np.array([r[1] for r in rows])
    return {
        "n": len(rows),
        "errors": sum(1 for r in rows if r[2] != 200),
        "p50": float(np.percentile(ms, 50)),
        "p95": float(np.percentile(ms, 95)),
        "p99": float(np.percentile(ms, 99)),
        "max": float(ms.max()),
    }


def _row(st: dict[str, float]) -> str:
    return (
        f"{st['n']:,} | {st['errors']} | {st['p50']:.1f} | {st['p95']:.1f} | "
        f"{st['p99']:.1f} | {st['max']:.1f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=TARGET_CLIENTS)
    ap.add_argument("--rounds", type=int, default=10, help="workflows per client")
    ap.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = ap.parse_args()

    load_before = os.getloadavg()[0]
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    exe = Path(sys.executable).with_name("sepsistwin")
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen(
            [str(exe), "serve", "--port", str(port), "--data-dir", tmp],
            stderr=subprocess.DEVNULL,
            env={**os.environ},
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    httpx.get(f"{base}/api/health", timeout=2).raise_for_status()
                    break
                except httpx.TransportError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit("sepsistwin serve did not start") from None
                    time.sleep(0.3)
            t0 = time.perf_counter()
            summary = httpx.get(f"{base}/api/datasets/example", timeout=120).json()
            cold_dataset = time.perf_counter() - t0
            patients = [p["patient_id"] for p in summary["patients_summary"]]
            cold_pages = []
            for pid in patients:  # first view of each patient builds its figures
                t0 = time.perf_counter()
                httpx.get(f"{base}/patients/example/{pid}", timeout=120).raise_for_status()
                cold_pages.append(time.perf_counter() - t0)
            single, _ = asyncio.run(_load(base, patients, 1, 2 * len(patients)))
            many, wall = asyncio.run(_load(base, patients, args.clients, args.rounds))
        finally:
            proc.terminate()
            proc.wait(timeout=30)

    s1, sn = _stats(single), _stats(many)
    by_step = {step: _stats([r for r in many if r[0] == step]) for step, _ in workflow(patients[0])}
    ok = sn["errors"] == 0 and sn["p95"] <= TARGET_P95_MS
    print(f"{machine_description()}; 1-min load average before the run {load_before:.1f}")
    print(f"single client: {s1['n']} requests, p50 {s1['p50']:.1f} ms, p95 {s1['p95']:.1f} ms")
    print(
        f"{args.clients} clients: {sn['n']} requests in {wall:.1f} s ({sn['n'] / wall:.0f}/s), "
        f"errors {sn['errors']}, p50 {sn['p50']:.1f} ms, p95 {sn['p95']:.1f} ms, "
        f"p99 {sn['p99']:.1f} ms, max {sn['max']:.1f} ms"
    )
    print(
        f"target (0 errors, p95 <= {TARGET_P95_MS:.0f} ms): {'met' if ok else 'NOT met'} "
        f"(p95 {sn['p95'] / TARGET_P95_MS:.2f}x the target)"
    )
    for step, st in by_step.items():
        print(f"  {step:22s} p50 {st['p50']:6.1f} ms  p95 {st['p95']:6.1f} ms")
    if args.no_write:
        return
    rows = "\n".join(
        f"| {step} | {st['n']:,} | {st['p50']:.1f} | {st['p95']:.1f} | {st['p99']:.1f} |"
        for step, st in by_step.items()
    )
    md = f"""## Web dashboard under load (`benchmarks/bench_web.py`)

Machine: {machine_description()}; date {today()}; 1-minute load average before the run
{load_before:.1f} (other processes shared the 2 cores; the load generator runs on them too).

Server: `sepsistwin serve` (one uvicorn process). Clients: {args.clients} asyncio httpx clients
on the same machine, each with its own session, each doing the patient workflow
{args.rounds} times on the example cohort without think time (patients table, patient page,
assessment JSON, figures JSON, recommendations page, recommendations JSON).

| measure | requests | errors | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) |
|---|---:|---:|---:|---:|---:|---:|
| {args.clients} concurrent clients | {_row(sn)} |
| baseline: one client | {_row(s1)} |

Target (issue #17): 0 errors and p95 <= {TARGET_P95_MS:.0f} ms with 50 clients on 2 cores:
**{"met" if ok else "not met"}** (p95 is {sn["p95"] / TARGET_P95_MS:.2f}x the target).
Throughput {sn["n"] / wall:.0f} requests/s over {wall:.1f} s.

Per step under load:

| step | requests | p50 (ms) | p95 (ms) | p99 (ms) |
|---|---:|---:|---:|---:|
{rows}

Cold costs, paid once per server process: the example cohort's assessment and
recommendations {cold_dataset:.2f} s; a patient's first page view (builds its figures)
{np.mean(cold_pages):.2f} s on average, {max(cold_pages):.2f} s at most.
"""
    write_section("web", md)
    print("docs/benchmarks.md: section 'web' written")


if __name__ == "__main__":
    main()
