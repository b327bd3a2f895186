"""Settings of the web dashboard: where it keeps files and the limits it enforces."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

#: Hosts that only this machine can reach; binding anything else triggers a warning.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class WebSettings:
    """Limits and locations of one dashboard instance.

    Parameters
    ----------
    data_dir
        Folder of the dashboard's files: ``sessions/`` (uploads, deleted after
        ``upload_ttl_s``) and ``runs/`` (DuckDB stores of the trials run from the dashboard).
    max_upload_bytes
        Largest request body accepted; larger uploads are answered with 413.
    upload_ttl_s
        Seconds an idle session's uploads are kept before they are deleted.
    max_trial_size
        Largest virtual population a trial started from the dashboard may sample.
    max_jobs
        Trials running at once on this machine (each session may run one at a time).
    yaml_max_bytes, max_depth
        Bounds on a trial specification: its size, and the nesting depth of YAML and JSON.
    trial_chunk_size
        Patients per chunk of a dashboard trial (the unit of progress, results and cancel).
    interim_every_s
        Least time between two interim analyses of a running trial (shown as they arrive).
    prewarm_worker
        Keep one trial worker process started ahead of need (a trial then starts at once);
        ``sepsistwin serve`` turns it on.
    allowed_hosts
        Host names the ``Host`` header may carry (``"*"``: any). Refusing other names stops a
        web page from reaching the local server through DNS rebinding.
    runs_dir_override
        Folder of trial stores (default ``data_dir/runs``); point it at the CLI's ``runs/``
        to list and reopen the runs made there.
    simulate_timeout_s
        Longest wait for a what-if simulation (a model's first use compiles its kernel).
    simulator
        ``MODULE:NAME`` of a :class:`sepsistwin.trial.TrialSimulator` (class or factory);
        ``None`` uses the ``sepsistwin`` model and its virtual population.

    Examples
    --------
    >>> WebSettings(data_dir=Path("/tmp/st")).max_upload_bytes
    52428800
    """

    data_dir: Path = field(default_factory=lambda: Path("sepsistwin-web"))
    max_upload_bytes: int = 50 * 1024 * 1024
    upload_ttl_s: float = 3600.0
    max_trial_size: int = 20_000
    max_jobs: int = 2
    yaml_max_bytes: int = 256 * 1024
    max_depth: int = 32
    trial_chunk_size: int = 500
    interim_every_s: float = 2.0
    prewarm_worker: bool = False
    simulate_timeout_s: float = 600.0
    runs_dir_override: Path | None = None
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")
    simulator: str | None = None

    def __post_init__(self) -> None:
        for name in ("max_upload_bytes", "max_trial_size", "max_jobs", "yaml_max_bytes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if not self.upload_ttl_s > 0:
            raise ValueError(f"upload_ttl_s must be > 0 seconds, got {self.upload_ttl_s!r}")
        if self.max_depth < 2:
            raise ValueError(f"max_depth must be >= 2, got {self.max_depth!r}")
        if self.trial_chunk_size < 1:
            raise ValueError(f"trial_chunk_size must be >= 1, got {self.trial_chunk_size!r}")
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        if self.runs_dir_override is not None:
            object.__setattr__(self, "runs_dir_override", Path(self.runs_dir_override))

    @property
    def sessions_dir(self) -> Path:
        """Per-session upload folders."""
        return self.data_dir / "sessions"

    @property
    def runs_dir(self) -> Path:
        """DuckDB stores of the trials run from the dashboard (listed as past runs)."""
        return self.runs_dir_override or self.data_dir / "runs"
