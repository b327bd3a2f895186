"""What one dashboard instance holds, and the operations its pages and API share.

Routes call these functions and render their results; the domain work is done by the public
API (:func:`sepsistwin.api.assess`, :func:`sepsistwin.recommend.recommend`,
:func:`sepsistwin.trial.run_trial` in a job, :func:`sepsistwin.trial.analyze`).
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sepsistwin.data import InputError
from sepsistwin.data.readers import SUFFIXES
from sepsistwin.store import StoreError, TrialStore
from sepsistwin.trial import TrialResult, TrialSpec, TrialSpecError, analyze, list_examples
from sepsistwin.trial.examples import example_spec_path
from sepsistwin.trial.spec import parse_spec
from sepsistwin.web.datasets import EXAMPLE_ID, Dataset, assess_file, example_dataset
from sepsistwin.web.jobs import Job, JobManager
from sepsistwin.web.safe_parse import UnsafeInputError, check_json_depth, check_yaml
from sepsistwin.web.sessions import Session, SessionStore, safe_filename
from sepsistwin.web.settings import WebSettings
from sepsistwin.web.simulate import (
    SimulationInputError,
    SimulationPlan,
    SimulationRunner,
    check_plan,
)

_RUN_NAME = re.compile(r"^[A-Za-z0-9._-]{1,200}$")
_ONSET_SUFFIXES = (".csv", ".parquet", ".pq")


class NotFound(KeyError):
    """An id that names nothing (404)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "not found"


class BadInput(ValueError):
    """Input that cannot be used (422); ``errors`` lists every problem found."""

    def __init__(
        self,
        message: str,
        errors: list[str] | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.errors = errors or [message]
        self.details = details or []


@dataclass(frozen=True)
class RunInfo:
    """A past trial run found in the runs folder."""

    run: str
    name: str
    size: int
    complete: bool
    completed_at: str | None
    chunks: int
    n_chunks: int

    def to_dict(self) -> dict[str, Any]:
        """JSON listing entry."""
        return self.__dict__.copy()


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:  # removed meanwhile
        return 0.0


class WebState:
    """Sessions, datasets, trial jobs and past runs of one dashboard."""

    def __init__(self, settings: WebSettings) -> None:
        self.settings = settings
        settings.sessions_dir.mkdir(parents=True, exist_ok=True)
        settings.runs_dir.mkdir(parents=True, exist_ok=True)
        self.sessions = SessionStore(settings.sessions_dir, settings.upload_ttl_s)
        self.jobs = JobManager(
            settings.runs_dir,
            max_jobs=settings.max_jobs,
            chunk_size=settings.trial_chunk_size,
            simulator=settings.simulator,
            interim_every_s=settings.interim_every_s,
            prewarm=settings.prewarm_worker,
        )
        self.simulations = SimulationRunner(settings.simulate_timeout_s)
        self._results: OrderedDict[str, tuple[float, TrialResult, pd.DataFrame]] = OrderedDict()
        self._results_lock = threading.Lock()
        self._run_pages: OrderedDict[str, tuple[float, bytes]] = OrderedDict()

    # --- datasets ---------------------------------------------------------------------------

    def dataset(self, session: Session, dataset_id: str) -> Dataset:
        """The example cohort or one of the session's uploads."""
        if dataset_id == EXAMPLE_ID:
            return example_dataset()
        try:
            return session.datasets[dataset_id]
        except KeyError:
            raise NotFound(
                f"no dataset {dataset_id!r} in this browser session (uploads are deleted after "
                f"{self.settings.upload_ttl_s:g} s without a request)"
            ) from None

    def upload(
        self,
        session: Session,
        filename: str,
        data: bytes,
        *,
        onset_name: str | None = None,
        onset_data: bytes | None = None,
        lenient: bool = False,
    ) -> Dataset:
        """Store an uploaded timeline (and onset file) in the session, validate and assess it.

        Raises
        ------
        BadInput
            Wrong file type, too deep JSON, or the validation error naming file, row, field,
            value and the expected unit.
        """
        name = safe_filename(filename or "timeline")
        suffix = Path(name).suffix.lower()
        if suffix not in SUFFIXES:
            raise BadInput(
                f"{name}: unsupported file type {suffix or '(none)'!r}; expected "
                + ", ".join(f"{k} ({v})" for k, v in SUFFIXES.items())
            )
        if not data:
            raise BadInput(f"{name}: the file is empty")
        if suffix in (".json", ".ndjson"):
            try:
                check_json_depth(data, max_depth=self.settings.max_depth, source=name)
            except UnsafeInputError as exc:
                raise BadInput(str(exc)) from None
        oname = safe_filename(onset_name or "onsets.csv")
        if onset_data and Path(oname).suffix.lower() not in _ONSET_SUFFIXES:
            raise BadInput(
                f"{oname}: unsupported onset file type; expected .csv or .parquet "
                "(patient_id, onset[, baseline_sofa])"
            )
        self.sessions.keep(session)
        folder = session.upload_dir()
        path = folder / name
        path.write_bytes(data)
        onset_path = None
        if onset_data:
            onset_path = folder / (f"onset-{oname}" if oname == name else oname)
            onset_path.write_bytes(onset_data)
        try:
            ds = assess_file(folder.name, path, onset=onset_path, lenient=lenient)
        except InputError as exc:
            shutil.rmtree(folder, ignore_errors=True)  # a refused upload is not kept
            details = [
                {
                    "file": p.file,
                    "row": p.row,
                    "field": p.field,
                    "value": None if p.value is None else str(p.value),
                    "expected": p.expected,
                    "variable": p.variable,
                    "message": p.message,
                }
                for p in exc.problems
            ]
            errors = [p.message for p in exc.problems] or [str(exc)]
            raise BadInput(str(exc).splitlines()[0], errors, details) from None
        except (ValueError, KeyError) as exc:
            shutil.rmtree(folder, ignore_errors=True)
            raise BadInput(f"{name}: {exc}") from None
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        session.datasets[ds.id] = ds
        return ds

    # --- trials -----------------------------------------------------------------------------

    def spec_from_text(self, text: str, source: str = "spec.yaml") -> TrialSpec:
        """Validate YAML text as a trial specification (bounded, safe parse).

        Raises
        ------
        BadInput
            Every problem, each naming the line and the key.
        """
        try:
            check_yaml(
                text,
                max_bytes=self.settings.yaml_max_bytes,
                max_depth=self.settings.max_depth,
                source=source,
            )
        except UnsafeInputError as exc:
            raise BadInput(str(exc)) from None
        try:
            return parse_spec(text, source)
        except TrialSpecError as exc:
            raise BadInput(
                f"invalid trial specification ({len(exc.errors)} problem(s))", list(exc.errors)
            ) from None

    @staticmethod
    def example_spec_text(name: str) -> str:
        """The YAML text of a shipped example trial."""
        if name not in list_examples():
            raise NotFound(f"no example trial {name!r}; examples: {', '.join(list_examples())}")
        return example_spec_path(name).read_text(encoding="utf-8")

    def start_trial(self, session: Session, spec: TrialSpec) -> Job:
        """Start a checked, sized spec as ``session``'s job (the session is kept from now on).

        Raises
        ------
        JobLimitError
            The session already runs a trial, or the machine runs as many as allowed.
        """
        job = self.jobs.start(session.token, spec)
        self.sessions.keep(session)
        return job

    def sized(self, spec: TrialSpec, size: int | None) -> TrialSpec:
        """The spec with its population size (overridden by ``size``), within the cap."""
        if size is not None and (isinstance(size, bool) or size < 1):
            raise BadInput(f"size: {size!r} is not a positive number of virtual patients")
        sp = spec.with_size(size)
        cap = self.settings.max_trial_size
        if sp.population.size > cap:
            raise BadInput(
                f"size: {sp.population.size} virtual patients is above this dashboard's limit "
                f"of {cap}; lower population.size (or run it with `sepsistwin trial`)"
            )
        return sp

    def past_runs(self) -> list[RunInfo]:
        """Trial stores in the runs folder (those still being written are left out)."""
        active = self.jobs.active_stores()
        out = []
        for path in sorted(self.settings.runs_dir.glob("*.duckdb"), key=_mtime, reverse=True):
            if path in active:
                continue
            try:
                with TrialStore(path, read_only=True) as st:
                    meta = st.metadata()
                    chunks = len(st.completed_chunks())
            except (StoreError, OSError, Exception):
                continue
            if not meta:
                continue
            out.append(
                RunInfo(
                    run=path.stem,
                    name=str(meta.get("name", path.stem)),
                    size=int(meta.get("size", 0) or 0),
                    complete=str(meta.get("complete", "")).lower() == "true",
                    completed_at=meta.get("completed_at"),
                    chunks=chunks,
                    n_chunks=int(meta.get("n_chunks", 0) or 0),
                )
            )
        return out

    def run_path(self, run: str) -> Path:
        """The store of a listed run (only names found in the runs folder are accepted)."""
        if not _RUN_NAME.match(run):
            raise NotFound(f"no trial run {run!r}")
        path = self.settings.runs_dir / f"{run}.duckdb"
        if not path.is_file() or path.resolve().parent != self.settings.runs_dir.resolve():
            raise NotFound(f"no trial run {run!r}")
        if path in self.jobs.active_stores():
            raise NotFound(f"trial run {run!r} is still running")
        return path

    def result(self, run: str) -> tuple[TrialResult, pd.DataFrame]:
        """The analysed run and its patients' ``arm, time_days, died`` (cached by file time)."""
        path = self.run_path(run)
        mtime = path.stat().st_mtime
        with self._results_lock:
            hit = self._results.get(run)
            if hit is not None and hit[0] == mtime:
                self._results.move_to_end(run)
                return hit[1], hit[2]
        with TrialStore(path, read_only=True) as st:
            result = analyze(st)
            patients = (
                st.table("patients", ["arm", "time_days", "died"])
                if st.has_table("patients")
                else pd.DataFrame({"arm": [], "time_days": [], "died": []})
            )
        with self._results_lock:
            self._results[run] = (mtime, result, patients)
            while len(self._results) > 16:
                self._results.popitem(last=False)
        return result, patients

    def run_page(self, run: str, render: Callable[[], bytes]) -> bytes:
        """A run's results page, rendered once per version of its store."""
        mtime = self.run_path(run).stat().st_mtime
        with self._results_lock:
            hit = self._run_pages.get(run)
            if hit is not None and hit[0] == mtime:
                return hit[1]
        body = render()
        with self._results_lock:
            self._run_pages[run] = (mtime, body)
            while len(self._run_pages) > 16:
                self._run_pages.popitem(last=False)
        return body

    def parquet_zip(self, run: str) -> bytes:
        """The run's tables as Parquet files in a zip archive."""
        path = self.run_path(run)
        buf = io.BytesIO()
        with tempfile.TemporaryDirectory() as tmp, TrialStore(path, read_only=True) as st:
            files = st.export_parquet(tmp)
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                for f in files:
                    zf.write(f, arcname=f"{run}/{f.name}")
        return buf.getvalue()

    # --- what-if simulation -----------------------------------------------------------------

    def simulate(self, plan: SimulationPlan) -> dict[str, Any]:
        """Check ``plan`` and run it in the simulation worker.

        Raises
        ------
        BadInput
            Every problem with the inputs.
        TimeoutError
            The run took longer than the configured limit.
        """
        try:
            checked = check_plan(plan)
        except SimulationInputError as exc:
            raise BadInput(
                f"invalid simulation ({len(exc.errors)} problem(s))", exc.errors
            ) from None
        return self.simulations.run(checked)
