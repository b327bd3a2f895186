"""Browser sessions: each has its own upload folder and datasets, deleted when idle.

A session is identified by a random token in an HttpOnly, SameSite=Strict cookie. Nothing a
client sends is used as a path: an upload is stored as
``<data_dir>/sessions/<token>/<upload id>/<sanitised base name>``, where both ids are made
by the server.
"""

from __future__ import annotations

import re
import secrets
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from sepsistwin.web.datasets import Dataset

COOKIE = "sepsistwin_session"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(name: str, *, default: str = "upload") -> str:
    """The base name of a client-supplied file name, reduced to ``[A-Za-z0-9._-]``.

    Examples
    --------
    >>> safe_filename("../../etc/passwd")
    'passwd'
    >>> safe_filename("C:\\\\data\\\\my labs.csv")
    'my_labs.csv'
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE.sub("_", base).strip("._") or default
    return base[:120]


@dataclass
class Session:
    """One browser session: its folder, datasets and the trial job it runs (if any)."""

    token: str
    folder: Path
    datasets: dict[str, Dataset] = field(default_factory=dict)
    last_seen: float = field(default_factory=time.time)

    def upload_dir(self) -> Path:
        """A new, empty folder for one upload (named by a server-made id)."""
        path = self.folder / secrets.token_hex(8)
        path.mkdir(parents=True, exist_ok=False)
        return path


class SessionStore:
    """Sessions of one dashboard, with idle expiry.

    Parameters
    ----------
    root
        Folder holding one sub-folder per session.
    ttl_s
        Seconds a session (its uploads and datasets) survives without a request.
    """

    def __init__(self, root: Path, ttl_s: float, max_sessions: int = 10_000) -> None:
        self.root = root
        self.ttl_s = ttl_s
        self.max_sessions = max_sessions
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()
        self._last_sweep = 0.0

    def get(self, token: str | None) -> tuple[Session, bool]:
        """The kept session of ``token``, or a new one (not kept yet); the flag says new.

        A new session costs nothing until :meth:`keep` is called (on its first upload or
        trial), so requests that store nothing (health checks, page views, API clients that
        drop cookies) do not fill memory.
        """
        self.sweep()
        with self._lock:
            if token and _TOKEN.match(token) and token in self._sessions:
                s = self._sessions[token]
                s.last_seen = time.time()
                return s, False
        new = secrets.token_urlsafe(24)
        return Session(token=new, folder=self.root / new), True

    def keep(self, session: Session) -> None:
        """Remember ``session`` (it now holds data); beyond ``max_sessions`` the least recently
        seen sessions are dropped with their uploads."""
        with self._lock:
            self._sessions[session.token] = session
            session.last_seen = time.time()
            excess = len(self._sessions) - self.max_sessions
            dropped = []
            if excess > 0:
                oldest = sorted(self._sessions.values(), key=lambda x: x.last_seen)[:excess]
                for old in oldest:
                    del self._sessions[old.token]
                    dropped.append(old.folder)
        for folder in dropped:
            shutil.rmtree(folder, ignore_errors=True)

    def sweep(self, *, now: float | None = None, force: bool = False) -> list[str]:
        """Delete sessions idle for longer than the TTL (their folders too); return their tokens.

        Runs at most once every few seconds unless ``force``; folders left by an earlier process
        (not in memory) are removed once they are older than the TTL.
        """
        now = time.time() if now is None else now
        with self._lock:
            if not force and now - self._last_sweep < min(5.0, self.ttl_s):
                return []
            self._last_sweep = now
            gone = [t for t, s in self._sessions.items() if now - s.last_seen > self.ttl_s]
            for t in gone:
                del self._sessions[t]
            live = set(self._sessions)
        if self.root.is_dir():
            for folder in self.root.iterdir():
                if folder.name in live:
                    continue
                try:
                    old = now - folder.stat().st_mtime > self.ttl_s
                except FileNotFoundError:  # removed meanwhile
                    continue
                if folder.name in gone or old:
                    shutil.rmtree(folder, ignore_errors=True)
        return gone

    def __len__(self) -> int:
        return len(self._sessions)
