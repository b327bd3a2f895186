"""Run a trial: chunks in this process, in local worker processes or on a Dask cluster.

Each chunk's rows are committed to the DuckDB store as soon as the chunk finishes, with its
ledger entry in the same transaction. ``resume=True`` skips committed chunks, so a run killed
at any moment ends with the same rows as an uninterrupted one; the analysis reads the rows in
patient order, so the result does not depend on the order chunks finished.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from sepsistwin import __version__
from sepsistwin.store import StoreError, TrialStore
from sepsistwin.trial.analysis import TrialResult, analyze
from sepsistwin.trial.arms import arm_kind, policy_kind
from sepsistwin.trial.chunk import ChunkOutput, TrialPlan, run_chunk
from sepsistwin.trial.simulator import TrialSimulator
from sepsistwin.trial.spec import TrialSpec, load_spec

#: Patients per chunk unless asked otherwise (the unit of commit, resume and scale-out).
DEFAULT_CHUNK_SIZE = 2_000
#: Folder of the default stores, relative to the working directory.
RUNS_DIR = Path("runs")


def run_id(plan: TrialPlan) -> str:
    """Identity of a run: spec (with size), chunk size, paired mode, simulator, version.

    Examples
    --------
    >>> len(run_id(TrialPlan(load_spec("provide-like"), None, 500)))
    12
    """
    sim_fp = plan.simulator.fingerprint() if plan.simulator is not None else "none"
    text = "|".join(
        [
            plan.spec.fingerprint(),
            str(plan.chunk_size),
            str(plan.counterfactual),
            sim_fp,
            __version__,
        ]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def default_store_path(spec: TrialSpec, rid: str) -> Path:
    """``runs/<spec name>-<run id>.duckdb``."""
    return RUNS_DIR / f"{spec.name}-{rid}.duckdb"


def default_simulator(preset: str) -> TrialSimulator:
    """The simulator backed by the ``sepsistwin`` model and its virtual population."""
    from sepsistwin.trial.sepsistwin_simulator import SepsistwinSimulator

    return SepsistwinSimulator(preset=preset)


def _open_store(
    path: str | Path, meta: Mapping[str, Any], *, resume: bool, overwrite: bool
) -> tuple[TrialStore, bool]:
    """The store to run in, and whether it already holds this run, complete (then it is
    analysed as it is, unless ``overwrite``)."""
    store = TrialStore(path)
    old = store.metadata()
    if not old:
        store.initialise(meta)
        return store, False
    same = old.get("run_id") == meta["run_id"]
    if overwrite:
        store.reset()
        store.initialise(meta)
        return store, False
    if same and old.get("complete") == "true":
        return store, True
    if resume and same:
        return store, False
    store.close()
    if not same:
        raise StoreError(
            f"store {path} holds another run (run id {old.get('run_id')}, this run "
            f"{meta['run_id']}: the spec, size, chunk size, paired mode or model differ); "
            "use another --store or --rerun"
        )
    raise StoreError(
        f"store {path} holds an unfinished run of this trial ({len(store_chunks(path))} "
        "chunk(s) committed); use --resume to continue it or --rerun to start again"
    )


def store_chunks(path: str | Path) -> set[int]:
    """Committed chunk indices of the store at ``path`` (read-only)."""
    with TrialStore(path, read_only=True) as st:
        return st.completed_chunks()


def _init_worker(threads: int) -> None:
    """Limit a worker process's Numba threads (the cores are shared among workers)."""
    try:
        import numba

        limit = int(getattr(numba.config, "NUMBA_NUM_THREADS", threads))
        numba.set_num_threads(max(1, min(threads, limit)))
    except ImportError:  # pragma: no cover - numba is a dependency
        pass


def _run_chunk_for_parent(plan: TrialPlan, chunk: int) -> ChunkOutput:
    """:func:`run_chunk` in a worker: rows sent back as Arrow tables (cheap to pickle, and
    what the parent's store inserts), so the parent does little per chunk."""
    return run_chunk(plan, chunk).to_arrow()


#: What to do when worker processes would re-run the caller's script.
GUARD_ADVICE = (
    "worker processes start by importing the script that called run_trial (multiprocessing "
    "'spawn'), so an unguarded call starts the trial again in each of them: put the call "
    "under 'if __name__ == \"__main__\":', or pass workers=1"
)


def _unguarded_main_call() -> str | None:
    """``file:line`` of a ``run_trial`` call made from the top level of the ``__main__``
    script outside an ``if __name__ == "__main__":`` block, else ``None``."""
    import ast
    import inspect
    import sys

    main = sys.modules.get("__main__")
    main_file = getattr(main, "__file__", None)
    if main is None or not main_file or not str(main_file).endswith(".py"):
        return None  # interactive session, notebook, python -c, or a frozen/zipped entry
    frame = inspect.currentframe()
    line = None
    while frame is not None:
        if frame.f_globals is main.__dict__ and frame.f_code.co_name == "<module>":
            line = frame.f_lineno
            break
        frame = frame.f_back
    if line is None:
        return None  # called from a function: a worker importing the script does not call it
    try:
        tree = ast.parse(Path(main_file).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.If)
            and "__name__" in ast.unparse(node.test)
            and "__main__" in ast.unparse(node.test)
            and node.lineno <= line <= (node.end_lineno or node.lineno)
        ):
            return None
    return f"{main_file}:{line}"


def _refuse_in_worker_bootstrap() -> None:
    """A worker process importing the caller's script must not start the trial again."""
    import multiprocessing

    if getattr(multiprocessing.current_process(), "_inheriting", False):
        raise RuntimeError(f"run_trial was called while a worker process started: {GUARD_ADVICE}")


def _execute_local(plan: TrialPlan, pending: list[int], workers: int) -> Iterator[ChunkOutput]:
    if workers <= 1 or len(pending) <= 1:
        for k in pending:
            yield run_chunk(plan, k)
        return
    import multiprocessing
    from concurrent.futures.process import BrokenProcessPool

    # spawn: a fresh interpreter per worker (no forked Numba/threads state). The compiled
    # kernel is itself multi-threaded: share the cores among the workers.
    ctx = multiprocessing.get_context("spawn")
    threads = max(1, (os.cpu_count() or 1) // workers)
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(threads,)
    ) as pool:
        todo = list(pending)
        running: set[Future[ChunkOutput]] = set()
        try:
            while todo or running:
                while todo and len(running) < 2 * workers:
                    running.add(pool.submit(_run_chunk_for_parent, plan, todo.pop(0)))
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for f in done:
                    yield f.result()
        except BrokenProcessPool as exc:
            raise RuntimeError(
                "a trial worker process died before finishing its chunk; if run_trial is "
                f"called from a script: {GUARD_ADVICE}; otherwise a worker may have run out "
                "of memory (try a smaller chunk_size); committed chunks are kept (resume=True)"
            ) from exc
        finally:
            for f in running:
                f.cancel()


#: Seconds to wait for a Dask scheduler to answer before giving up.
SCHEDULER_TIMEOUT_S = 5.0


class SchedulerUnreachable(ValueError):
    """The Dask scheduler address is malformed or nothing answers there."""


def check_scheduler(address: str, timeout: float = SCHEDULER_TIMEOUT_S) -> tuple[str, int]:
    """Check that a Dask scheduler address is well-formed and something listens there.

    Accepts ``tcp://host:port`` or ``host:port``. Raises :class:`SchedulerUnreachable` with
    one line (the address and what went wrong) within ``timeout`` seconds, instead of the
    distributed client's long retries and traceback.

    Examples
    --------
    >>> try:
    ...     check_scheduler("tcp://no-port")
    ... except SchedulerUnreachable as e:
    ...     print(e)
    --scheduler 'tcp://no-port': expected tcp://HOST:PORT (e.g. tcp://127.0.0.1:8786)
    """
    text = str(address).strip()
    rest = text.split("://", 1)[1] if "://" in text else text
    scheme = text.split("://", 1)[0] if "://" in text else "tcp"
    host, sep, port_text = rest.rstrip("/").rpartition(":")
    host = host.strip("[]")
    if scheme != "tcp" or not sep or not host or not port_text.isdigit():
        raise SchedulerUnreachable(
            f"--scheduler {address!r}: expected tcp://HOST:PORT (e.g. tcp://127.0.0.1:8786)"
        )
    port = int(port_text)
    if not 0 < port < 65536:
        raise SchedulerUnreachable(f"--scheduler {address!r}: port {port} is not 1-65535")
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except TimeoutError:
        raise SchedulerUnreachable(
            f"--scheduler {address!r}: no answer within {timeout:g} s; is the Dask scheduler "
            "running and reachable from here?"
        ) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise SchedulerUnreachable(
            f"--scheduler {address!r}: cannot connect ({reason}); start one with "
            "'dask scheduler' or leave --scheduler out to use local processes"
        ) from None
    return host, port


def _execute_dask(plan: TrialPlan, pending: list[int], address: str) -> Iterator[ChunkOutput]:
    from distributed import Client, as_completed

    with Client(address, timeout=f"{SCHEDULER_TIMEOUT_S * 2:g}s") as client:
        slots = max(1, sum(client.nthreads().values())) * 2
        plan_f = client.scatter(plan, broadcast=True)
        todo = list(pending)
        first = [
            client.submit(_run_chunk_for_parent, plan_f, todo.pop(0), pure=False)
            for _ in range(min(slots, len(todo)))
        ]
        ac = as_completed(first)
        for fut in ac:
            out: ChunkOutput = fut.result()
            fut.release()
            if todo:
                ac.add(client.submit(_run_chunk_for_parent, plan_f, todo.pop(0), pure=False))
            yield out


def run_trial(
    spec: str | Path | Mapping[str, Any] | TrialSpec,
    size: int | None = None,
    *,
    simulator: TrialSimulator | None = None,
    store: str | Path | None = None,
    resume: bool = False,
    overwrite: bool = False,
    rerun: bool = False,
    chunk_size: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    counterfactual: bool | None = None,
    progress: bool = False,
    on_commit: Callable[[int, Mapping[str, float]], None] | None = None,
) -> TrialResult:
    """Run an in-silico randomised trial and analyse it.

    Parameters
    ----------
    spec
        YAML path, example name (``"provide-like"``), mapping or :class:`TrialSpec`.
    size
        Population size (overrides ``population.size``).
    simulator
        The virtual patient model (default: the ``sepsistwin`` model and population).
    store
        DuckDB file (default ``runs/<name>-<run id>.duckdb``) or ``":memory:"``.
    resume
        Continue a killed run in ``store``: committed chunks are kept, the rest are run.
    overwrite
        Discard what ``store`` holds and start again.
    rerun
        Run again even if ``store`` holds this run complete (same as ``overwrite``). Without
        it, a completed run of the same trial (same run id) is loaded and analysed, not run.
    chunk_size
        Patients per chunk (default :data:`DEFAULT_CHUNK_SIZE`; part of the run's identity).
    workers
        Local worker processes (default: the CPU count; 1 runs in this process).
    scheduler
        Address of a Dask distributed scheduler (``tcp://host:8786``): chunks run there.
    counterfactual
        Also simulate every enrolled patient in every arm (paired mode, reported apart);
        default from the spec.
    progress
        Show a progress bar with ETA on stderr.
    on_commit
        Called with ``(chunk, ledger)`` after each chunk is committed.

    Returns
    -------
    TrialResult
        Per-arm summaries, comparisons against the first arm, phenotype subgroups;
        ``loaded_from_store`` is True when a completed run was loaded instead of run.

    Raises
    ------
    RuntimeError
        When worker processes would be started from a script's top level without an
        ``if __name__ == "__main__":`` guard (they would each start the trial again).

    Examples
    --------
    >>> result = run_trial("provide-like", size=200, store=":memory:")  # doctest: +SKIP
    >>> print(result.summary())  # doctest: +SKIP
    """
    if scheduler:
        check_scheduler(scheduler)
    _refuse_in_worker_bootstrap()
    overwrite = overwrite or rerun
    sp = load_spec(spec).with_size(size)
    if counterfactual is not None:
        sp = sp.model_copy(update={"counterfactual": bool(counterfactual)})
    if chunk_size is not None and (
        isinstance(chunk_size, bool) or int(chunk_size) != chunk_size or chunk_size < 1
    ):
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    sim = simulator if simulator is not None else default_simulator(sp.population.preset)
    check = getattr(sim, "check_spec", None)
    if callable(check):
        check(sp)  # dose/route problems surface before any chunk runs
    for arm in sp.arms:
        kind = policy_kind(arm)
        if kind is not None:
            arm_kind(kind)  # an arm kind that is not installed fails here, before any chunk
    plan = TrialPlan(sp, sim, int(chunk_size or DEFAULT_CHUNK_SIZE), sp.counterfactual)
    rid = run_id(plan)
    path = store if store is not None else default_store_path(sp, rid)
    meta = {
        "run_id": rid,
        "spec": sp.canonical(),
        "name": sp.name,
        "seed": sp.seed,
        "size": sp.population.size,
        "chunk_size": plan.chunk_size,
        "n_chunks": plan.n_chunks,
        "counterfactual": plan.counterfactual,
        "simulator": sim.fingerprint(),
        "version": __version__,
        "complete": False,
    }
    if str(path) == ":memory:" and resume:
        raise ValueError("resume needs a store file, not ':memory:'")
    n_workers = int(workers) if workers is not None else (os.cpu_count() or 1)
    if not scheduler and n_workers > 1 and plan.n_chunks > 1:
        where = _unguarded_main_call()
        if where is not None:
            raise RuntimeError(f"run_trial at {where} would start worker processes: {GUARD_ADVICE}")
    st, complete = _open_store(path, meta, resume=resume, overwrite=overwrite)
    if complete:
        try:
            result = analyze(st)
            result.loaded_from_store = True
            return result
        finally:
            st.close()
    try:
        done = st.completed_chunks()
        pending = [k for k in range(plan.n_chunks) if k not in done]
        if scheduler:
            outputs = _execute_dask(plan, pending, scheduler)
        else:
            outputs = _execute_local(plan, pending, n_workers)
        bar = _progress(progress)
        with bar as pb:
            task = None
            if pb is not None:
                done_patients = sum(plan.chunk_bounds(k)[1] - plan.chunk_bounds(k)[0] for k in done)
                task = pb.add_task(
                    f"trial {sp.name}", total=sp.population.size, completed=done_patients
                )
            for out in outputs:
                st.commit_chunk(out.chunk, out.tables, out.ledger)
                if pb is not None and task is not None:
                    pb.advance(task, int(out.ledger["n_sampled"]))
                if on_commit is not None:
                    on_commit(out.chunk, out.ledger)
        st.set_meta("complete", True)
        st.set_meta("completed_at", time.strftime("%Y-%m-%dT%H:%M:%S"))
        result = analyze(st)
        result.write_summaries(st)
        return result
    finally:
        st.close()


def _progress(enabled: bool) -> Any:
    if not enabled:
        return nullcontext(None)
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("patients"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    )
