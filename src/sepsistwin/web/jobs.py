"""Trials run from the dashboard as background jobs, one worker process each.

A job runs :func:`sepsistwin.trial.run_trial` in a spawned process (the compiled kernel holds
the interpreter lock while it integrates, so a thread would stall the web server), with one
chunk in flight at a time. After each committed chunk the worker sends the chunk's ledger
(sampled, died before screening, screened, enrolled), so the page shows the flow as it grows;
cancelling terminates the worker, and the committed chunks stay in the store (a cancelled run
can be resumed from the CLI with ``--resume``). Limits: one running job per session and
``max_jobs`` on the machine.
"""

from __future__ import annotations

import importlib
import multiprocessing
import queue
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sepsistwin.trial import TrialSpec

#: Ledger counts summed over committed chunks (the CONSORT-style flow of a running trial).
FLOW_KEYS = ("n_sampled", "n_died_before_screening", "n_screened", "n_enrolled")


class JobLimitError(RuntimeError):
    """A job was refused: the session or the machine already runs as many as allowed."""


@dataclass
class Job:
    """A trial running (or run) in a worker process."""

    id: str
    session: str
    name: str
    size: int
    n_chunks: int
    store: Path
    status: str = "running"  # running | done | error | cancelled
    chunks_done: int = 0
    flow: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FLOW_KEYS, 0))
    error: str | None = None
    interim: dict[str, Any] | None = None
    started: float = field(default_factory=time.time)
    finished: float | None = None
    process: Any = field(default=None, repr=False)

    @property
    def run(self) -> str:
        """The run's name among past runs (its store's file stem)."""
        return self.store.stem

    def to_dict(self) -> dict[str, Any]:
        """JSON status: progress (patients sampled of ``size``), flow so far, outcome."""
        done = self.flow["n_sampled"]
        return {
            "id": self.id,
            "name": self.name,
            "run": self.run,
            "status": self.status,
            "size": self.size,
            "chunks_done": self.chunks_done,
            "n_chunks": self.n_chunks,
            "progress": min(1.0, done / self.size) if self.size else 1.0,
            "flow": dict(self.flow),
            "error": self.error,
            "interim": self.interim,
            "elapsed_s": round((self.finished or time.time()) - self.started, 2),
        }


def load_simulator(target: str | None) -> Any:
    """The simulator named ``MODULE:NAME`` (a class or factory is called), or ``None``."""
    if target is None:
        return None
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"simulator {target!r}: expected MODULE:NAME")
    obj = getattr(importlib.import_module(module_name), attr)
    return obj() if callable(obj) else obj


def interim_summary(store: str, max_points: int = 200) -> dict[str, Any]:
    """Analysis of the chunks committed so far: per-arm summaries, comparisons, screening and
    each arm's Kaplan-Meier curve (at most ``max_points`` points)."""
    from sepsistwin.api import jsonable
    from sepsistwin.store import TrialStore
    from sepsistwin.trial import analyze

    # the run holds this file open in this process: a second connection with the same
    # configuration shares its database
    with TrialStore(store) as st:
        result = analyze(st)
    km = {}
    for arm, frame in result.km.items():
        step = max(1, -(-len(frame) // max_points))
        part = frame.iloc[::step]
        km[arm] = {
            "time_days": part["time_days"].tolist(),
            "survival": part["survival"].tolist(),
        }
    d = result.to_dict()
    return jsonable(
        {
            "arms": [
                {k: a.get(k) for k in ("name", "n", "deaths_28d", "mortality_28d")}
                for a in d["arms"]
            ],
            "comparisons": d["comparisons"],
            "screening": d["screening"],
            "km": km,
        }
    )


def _worker(
    spec: dict[str, Any],
    store: str,
    chunk_size: int,
    simulator: str | None,
    interim_every_s: float,
    out: Any,
) -> None:  # pragma: no cover - runs in the spawned process
    """Entry point of a job's process: run the trial, report each chunk (and, at most every
    ``interim_every_s``, the analysis so far), then the outcome."""
    try:
        from sepsistwin.trial import run_trial

        last = time.monotonic()

        def on_commit(chunk: int, ledger: Any) -> None:
            nonlocal last
            out.put(("chunk", chunk, {k: int(ledger.get(k, 0)) for k in FLOW_KEYS}))
            if time.monotonic() - last >= interim_every_s:
                out.put(("interim", chunk, interim_summary(store)))
                last = time.monotonic()

        run_trial(
            spec,
            simulator=load_simulator(simulator),
            store=store,
            overwrite=True,
            chunk_size=chunk_size,
            workers=1,
            on_commit=on_commit,
        )
        out.put(("done", None, None))
    except Exception as exc:
        out.put(("error", None, f"{type(exc).__name__}: {exc}"))


def _standby(simulator: str | None, tasks: Any, out: Any) -> None:  # pragma: no cover
    """A worker started ahead of need: it imports the trial machinery (and the simulator's
    module), then waits for one job, so a trial starts without the interpreter's start-up."""
    try:
        import lifelines  # noqa: F401  (the analysis needs it)

        import sepsistwin.trial  # noqa: F401

        if simulator:
            load_simulator(simulator)
    except Exception:
        pass
    args = tasks.get()
    if args is not None:
        spec, store, chunk_size, sim, interim_every_s = args
        _worker(spec, store, chunk_size, sim, interim_every_s, out)


class JobManager:
    """Starts, watches and cancels trial jobs.

    Parameters
    ----------
    runs_dir
        Where job stores are written (``<spec name>-<job id>.duckdb``).
    max_jobs
        Jobs running at once on this machine.
    chunk_size
        Patients per chunk.
    simulator
        ``MODULE:NAME`` of the trial simulator, or ``None`` for the default.
    interim_every_s
        Least time between two interim analyses sent by a running job.
    prewarm
        Keep one worker process started and imported ahead of the next job.
    """

    def __init__(
        self,
        runs_dir: Path,
        *,
        max_jobs: int,
        chunk_size: int,
        simulator: str | None,
        interim_every_s: float = 2.0,
        prewarm: bool = False,
    ) -> None:
        self.runs_dir = runs_dir
        self.prewarm = prewarm
        self._standby: tuple[Any, Any, Any] | None = None
        self.interim_every_s = interim_every_s
        self.max_jobs = max_jobs
        self.chunk_size = chunk_size
        self.simulator = simulator
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._ctx = multiprocessing.get_context("spawn")

    def get(self, job_id: str) -> Job:
        """The job ``job_id`` (``KeyError`` if unknown)."""
        with self._lock:
            if job_id not in self._jobs:
                raise KeyError(f"no trial job {job_id!r}")
            return self._jobs[job_id]

    def running(self, session: str | None = None) -> list[Job]:
        """Jobs still running (of one session, or all)."""
        with self._lock:
            return [
                j
                for j in self._jobs.values()
                if j.status == "running" and (session is None or j.session == session)
            ]

    def of_session(self, session: str) -> list[Job]:
        """Every job a session started, newest first."""
        with self._lock:
            jobs = [j for j in self._jobs.values() if j.session == session]
        return sorted(jobs, key=lambda j: j.started, reverse=True)

    def active_stores(self) -> set[Path]:
        """Stores written by running jobs (not to be opened by readers)."""
        return {j.store for j in self.running()}

    def start(self, session: str, spec: TrialSpec) -> Job:
        """Start ``spec`` (already validated and sized) for ``session``.

        Raises
        ------
        JobLimitError
            The session already runs a trial, or the machine runs ``max_jobs``.
        """
        with self._lock:
            live = [j for j in self._jobs.values() if j.status == "running"]
            if any(j.session == session for j in live):
                raise JobLimitError(
                    "this browser session already runs a trial; wait for it or cancel it first"
                )
            if len(live) >= self.max_jobs:
                raise JobLimitError(
                    f"{len(live)} trial(s) already running on this machine (limit "
                    f"{self.max_jobs}); try again when one finishes"
                )
            job_id = secrets.token_hex(6)
            self.runs_dir.mkdir(parents=True, exist_ok=True)
            size = spec.population.size
            job = Job(
                id=job_id,
                session=session,
                name=spec.name,
                size=size,
                n_chunks=-(-size // self.chunk_size),
                store=self.runs_dir / f"{spec.name}-{job_id}.duckdb",
            )
            args = (
                spec.canonical(),
                str(job.store),
                self.chunk_size,
                self.simulator,
                self.interim_every_s,
            )
            standby, self._standby = self._standby, None
            if standby is not None and standby[0].is_alive():
                proc, tasks, out = standby
                tasks.put(args)
            else:
                if standby is not None:
                    standby[0].join(timeout=1)
                out = self._ctx.Queue()
                proc = self._ctx.Process(
                    target=_worker,
                    args=(*args, out),
                    daemon=True,
                    name=f"sepsistwin-trial-{job_id}",
                )
                proc.start()
            job.process = proc
            self._jobs[job_id] = job
        threading.Thread(target=self._watch, args=(job, out), daemon=True).start()
        self.warm()
        return job

    def warm(self) -> None:
        """Start a standby worker if ``prewarm`` is on and none is waiting."""
        if not self.prewarm:
            return
        with self._lock:
            if self._standby is not None and self._standby[0].is_alive():
                return
            tasks, out = self._ctx.Queue(), self._ctx.Queue()
            proc = self._ctx.Process(
                target=_standby,
                args=(self.simulator, tasks, out),
                daemon=True,
                name="sepsistwin-trial-standby",
            )
            proc.start()
            self._standby = (proc, tasks, out)

    def _watch(self, job: Job, out: Any) -> None:
        while True:
            try:
                kind, _chunk, payload = out.get(timeout=0.2)
            except queue.Empty:
                if job.process.is_alive():
                    continue
                with self._lock:
                    if job.status == "running":
                        job.status = "error"
                        job.error = f"the trial worker stopped (exit code {job.process.exitcode})"
                        job.finished = time.time()
                return
            with self._lock:
                if job.status != "running":
                    return
                if kind == "chunk":
                    job.chunks_done += 1
                    for k in FLOW_KEYS:
                        job.flow[k] += int(payload[k])
                    continue
                if kind == "interim":
                    job.interim = payload
                    continue
                job.status = "done" if kind == "done" else "error"
                job.error = payload if kind == "error" else None
                job.finished = time.time()
            job.process.join(timeout=10)
            return

    def cancel(self, job_id: str) -> Job:
        """Stop a running job (its committed chunks stay in the store)."""
        job = self.get(job_id)
        with self._lock:
            if job.status != "running":
                return job
            job.status = "cancelled"
            job.finished = time.time()
        job.process.terminate()
        job.process.join(timeout=10)
        return job

    def shutdown(self) -> None:
        """Cancel every running job and stop the standby worker (server shutdown)."""
        for j in self.running():
            self.cancel(j.id)
        with self._lock:
            standby, self._standby = self._standby, None
        if standby is not None:
            proc, tasks, out = standby
            tasks.put(None)
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=5)
            for q in (tasks, out):
                q.close()
                q.join_thread()
