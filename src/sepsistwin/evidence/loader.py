"""Load and validate the evidence base (``data/citations.yaml`` + ``data/therapies/*.yaml``).

Errors name the file and the key path, e.g.
``anakinra.yaml: trials[1].effects[0].ci: expected two numbers [low, high], got [0.11]``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from sepsistwin.data.yaml_schema import read_yaml, validate
from sepsistwin.evidence.schema import Citation, Therapy

DATA_DIR = Path(__file__).parent / "data"

#: The fixed therapy ids (shared with the model and the trial specifications).
THERAPY_IDS: tuple[str, ...] = (
    "anti_tnf",
    "anakinra",
    "tocilizumab",
    "il10",
    "nivolumab",
    "anti_pd_l1",
    "anti_ctla4",
    "il7",
    "il15",
    "interferon_gamma",
    "gm_csf",
    "thymosin_alpha1",
    "msc",
    "probiotics",
    "fmt",
    "gene_editing",
    "nanocarrier",
    "meropenem",
)


class EvidenceError(ValueError):
    """A data file of the evidence base does not match the schema."""


class UnknownTherapyError(KeyError):
    """A therapy id that is not in the evidence base."""

    def __str__(self) -> str:  # KeyError quotes its message; show it plainly
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class EvidenceBase:
    """The loaded evidence base: therapies by id and citations by key.

    Examples
    --------
    >>> from sepsistwin.evidence import load_evidence
    >>> ev = load_evidence()
    >>> ev.therapy("anakinra").evidence_level.label
    'phase 3'
    """

    therapies: dict[str, Therapy]
    citations: dict[str, Citation]
    data_dir: Path = field(default=DATA_DIR)

    def ids(self) -> list[str]:
        """Therapy ids in the fixed order of :data:`THERAPY_IDS`."""
        order = {t: i for i, t in enumerate(THERAPY_IDS)}
        return sorted(self.therapies, key=lambda t: order.get(t, len(order)))

    def therapy(self, therapy_id: str) -> Therapy:
        """The therapy with this id; :class:`UnknownTherapyError` naming the valid ids."""
        try:
            return self.therapies[therapy_id]
        except KeyError:
            raise UnknownTherapyError(
                f"unknown therapy {therapy_id!r}; expected one of: {', '.join(self.ids())}"
            ) from None

    def cite(self, key: str) -> Citation:
        """The citation with this key."""
        try:
            return self.citations[key]
        except KeyError:
            raise KeyError(f"unknown citation key {key!r}") from None

    def therapy_dict(self, therapy_id: str) -> dict[str, Any]:
        """JSON-ready dict of one therapy with the citations it uses resolved.

        Every citation key used anywhere in the therapy appears under ``citations``.
        """
        t = self.therapy(therapy_id)
        data = t.model_dump(mode="json")
        keys = sorted(_citation_keys(data))
        data["evidence_level_label"] = t.evidence_level.label
        data["citations"] = {
            k: {**self.citations[k].model_dump(mode="json"), "label": self.citations[k].label()}
            for k in keys
        }
        return data


def load_evidence(data_dir: Path | str | None = None) -> EvidenceBase:
    """Load and validate the evidence base.

    Parameters
    ----------
    data_dir
        Folder holding ``citations.yaml`` and ``therapies/<id>.yaml``; the packaged data
        when omitted (cached).

    Returns
    -------
    EvidenceBase

    Raises
    ------
    EvidenceError
        A file is missing, is not valid YAML, or does not match the schema; the message
        names the file and the key path.

    Examples
    --------
    >>> ev = load_evidence()
    >>> sorted(ev.therapies) == sorted(THERAPY_IDS)
    True
    """
    if data_dir is None:
        return _load_default()
    return _load(Path(data_dir))


@lru_cache(maxsize=1)
def _load_default() -> EvidenceBase:
    return _load(DATA_DIR)


def _load(data_dir: Path) -> EvidenceBase:
    cit_path = data_dir / "citations.yaml"
    raw_cits = read_yaml(cit_path, EvidenceError)
    if not isinstance(raw_cits, dict):
        raise EvidenceError(f"{cit_path.name}: expected a mapping of citation key -> citation")
    citations: dict[str, Citation] = {}
    for key, body in raw_cits.items():
        citations[str(key)] = validate(
            Citation, body, cit_path.name, EvidenceError, prefix=str(key)
        )

    therapies: dict[str, Therapy] = {}
    ther_dir = data_dir / "therapies"
    for tid in THERAPY_IDS:
        path = ther_dir / f"{tid}.yaml"
        if not path.exists():
            raise EvidenceError(f"{path.name}: missing; every therapy id needs a data file")
    for path in sorted(ther_dir.glob("*.yaml")):
        therapy = validate(Therapy, read_yaml(path, EvidenceError), path.name, EvidenceError)
        if therapy.id != path.stem:
            raise EvidenceError(
                f"{path.name}: id: {therapy.id!r} does not match the file name "
                f"(expected {path.stem!r})"
            )
        if therapy.id not in THERAPY_IDS:
            raise EvidenceError(
                f"{path.name}: id: {therapy.id!r} is not a fixed therapy id "
                f"(expected one of {', '.join(THERAPY_IDS)})"
            )
        _fill_sources(therapy)
        _check_sources(therapy, citations, path.name)
        therapies[therapy.id] = therapy
    return EvidenceBase(therapies=therapies, citations=citations, data_dir=data_dir)


def _fill_sources(t: Therapy) -> None:
    """Give every number inside a trial/regimen/fact the enclosing source when it has none."""
    for r in t.regimens:
        for v in (r.dose, r.interval_h, r.duration):
            if v is not None and v.source is None:
                v.source = r.source
    if t.timing_window is not None:
        for v in (t.timing_window.start_after_onset, t.timing_window.start_before):
            if v is not None and v.source is None:
                v.source = t.timing_window.source
    for ae in t.adverse_events:
        for gv in ae.rates:
            if gv.source is None:
                gv.source = ae.source
    for fact in t.pharmacology:
        for gv in fact.values:
            if gv.source is None:
                gv.source = fact.source
    for trial in t.trials:
        if trial.n is not None and trial.n.source is None:
            trial.n.source = trial.citation
        for arm in trial.arms:
            if arm.n is not None and arm.n.source is None:
                arm.n.source = trial.citation
        for eff in trial.effects:
            if eff.source is None:
                eff.source = trial.citation


def _check_sources(t: Therapy, citations: dict[str, Citation], fname: str) -> None:
    for path, key in _iter_sources(t):
        if key is None:
            raise EvidenceError(f"{fname}: {path}: missing source (a citation key)")
        if key not in citations:
            raise EvidenceError(
                f"{fname}: {path}: unknown citation key {key!r} (not in citations.yaml)"
            )


def _iter_sources(t: Therapy) -> Iterator[tuple[str, str | None]]:
    yield "evidence_level_source", t.evidence_level_source
    for i, r in enumerate(t.regimens):
        yield f"regimens[{i}].source", r.source
        for name in ("dose", "interval_h", "duration"):
            v = getattr(r, name)
            if v is not None:
                yield f"regimens[{i}].{name}.source", v.source
    if t.timing_window is not None:
        yield "timing_window.source", t.timing_window.source
        for name in ("start_after_onset", "start_before"):
            v = getattr(t.timing_window, name)
            if v is not None:
                yield f"timing_window.{name}.source", v.source
    for i, c in enumerate(t.contraindications):
        yield f"contraindications[{i}].source", c.source
    for i, ae in enumerate(t.adverse_events):
        yield f"adverse_events[{i}].source", ae.source
        for j, gv in enumerate(ae.rates):
            yield f"adverse_events[{i}].rates[{j}].source", gv.source
    for i, fact in enumerate(t.pharmacology):
        yield f"pharmacology[{i}].source", fact.source
        for j, gv in enumerate(fact.values):
            yield f"pharmacology[{i}].values[{j}].source", gv.source
    for i, trial in enumerate(t.trials):
        yield f"trials[{i}].citation", trial.citation
        if trial.n is not None:
            yield f"trials[{i}].n.source", trial.n.source
        for j, arm in enumerate(trial.arms):
            if arm.n is not None:
                yield f"trials[{i}].arms[{j}].n.source", arm.n.source
        for j, eff in enumerate(trial.effects):
            yield f"trials[{i}].effects[{j}].source", eff.source


def _citation_keys(obj: Any) -> set[str]:
    """Citation keys used in a dumped therapy (values of ``source``/``citation``/...)."""
    keys: set[str] = set()
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in ("source", "citation", "evidence_level_source") and isinstance(v, str):
                keys.add(v)
            else:
                keys |= _citation_keys(v)
    elif isinstance(obj, list):
        for v in obj:
            keys |= _citation_keys(v)
    return keys
