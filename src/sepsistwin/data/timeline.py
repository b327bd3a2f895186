"""The result of reading input data: canonical observations plus what was rejected."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

#: Columns of :attr:`Timeline.observations`, in order.
OBSERVATION_COLUMNS = ("patient_id", "hours", "variable", "value", "source")
#: Columns of :attr:`Timeline.rejected`, in order.
REJECTED_COLUMNS = ("file", "row", "patient_id", "field", "value", "message")
#: Columns of :attr:`Timeline.skipped`, in order.
SKIPPED_COLUMNS = ("file", "row", "patient_id", "reason")


def empty_rejected() -> pd.DataFrame:
    """An empty rejected-rows table with the documented columns."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in REJECTED_COLUMNS})


def empty_skipped() -> pd.DataFrame:
    """An empty skipped-input table with the documented columns."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in SKIPPED_COLUMNS})


def skipped_table(entries: list[tuple[str, int | str | None, str | None, str]]) -> pd.DataFrame:
    """A skipped-input table from ``(file, row, patient_id, reason)`` entries.

    Examples
    --------
    >>> skipped_table([("b.json", "entry 3", None, "a Patient resource")]).shape
    (1, 4)
    """
    if not entries:
        return empty_skipped()
    cols = list(zip(*entries, strict=True))
    return pd.DataFrame(
        {c: pd.Series(list(v), dtype=object) for c, v in zip(SKIPPED_COLUMNS, cols, strict=True)}
    )


@dataclass
class Timeline:
    """Canonical observations of one or more patients.

    Attributes
    ----------
    observations : pandas.DataFrame
        Columns ``patient_id`` (categorical of str), ``hours`` (float64, hours since the
        patient's time zero; negative before it), ``variable`` (categorical of canonical
        names), ``value`` (float64, canonical unit of the variable) and ``source`` (str,
        ``"labs.csv:17"`` or ``"bundle.json:Observation/abc"``). Rows are grouped by
        patient (in order of first appearance) and keep input order within a patient (not
        sorted by hours: :meth:`for_patient` sorts). ``patient_id`` and ``variable`` are
        categoricals of str: pass ``observed=True`` to ``groupby``.
    rejected : pandas.DataFrame
        Rows dropped in lenient mode with the reason, columns ``file, row, patient_id,
        field, value, message``; empty in strict mode (which raises instead).
    skipped : pandas.DataFrame
        Input left out on purpose, in both modes, with the reason (columns ``file, row,
        patient_id, reason``): FHIR resources of types that carry no observations
        (Patient, Encounter, ...) or with status ``entered-in-error``, and onset rows of
        patients without any observation. Nothing is left out without a row here or in
        ``rejected``.
    time_zero : dict
        Per patient: a ``pandas.Timestamp`` (ISO-8601 input; tz-aware UTC when the input
        carried offsets) or a float (input in hours: the onset in those hours, else 0.0).
    baseline_sofa : dict
        Per patient, the pre-existing SOFA score from the onset file (or FHIR); patients
        without one are absent (treat as 0).

    Examples
    --------
    >>> import pandas as pd
    >>> from sepsistwin.data import observations_from_frame
    >>> frame = pd.DataFrame({"patient_id": ["p1"], "time": [0.0], "variable": ["lactate"],
    ...                       "value": [18.0], "unit": ["mg/dL"]})
    >>> tl = observations_from_frame(frame)
    >>> round(float(tl.observations["value"].iloc[0]), 2)
    2.0
    """

    observations: pd.DataFrame
    rejected: pd.DataFrame = field(default_factory=empty_rejected)
    time_zero: dict[str, pd.Timestamp | float] = field(default_factory=dict)
    baseline_sofa: dict[str, int] = field(default_factory=dict)
    skipped: pd.DataFrame = field(default_factory=empty_skipped)

    @property
    def patients(self) -> list[str]:
        """Patient ids with at least one observation, in order of first appearance."""
        col = self.observations["patient_id"]
        if isinstance(col.dtype, pd.CategoricalDtype):
            return [str(c) for c in col.cat.categories]
        return [str(p) for p in pd.unique(col)]

    def for_patient(self, patient_id: str) -> pd.DataFrame:
        """The observations of one patient, sorted by hours (a copy).

        Examples
        --------
        >>> tl.for_patient("p1")["variable"].tolist()  # doctest: +SKIP
        ['lactate']
        """
        obs = self.observations
        rows = obs.loc[obs["patient_id"] == patient_id]
        return rows.sort_values("hours", kind="stable").reset_index(drop=True)

    def to_long_table(self) -> pd.DataFrame:
        """The observations as a canonical long table: time in hours since time zero.

        Columns ``patient_id, time, variable, value, unit`` (the canonical unit; empty for
        dimensionless variables), which every reader accepts back unchanged.

        Examples
        --------
        >>> tl.to_long_table().columns.tolist()  # doctest: +SKIP
        ['patient_id', 'time', 'variable', 'value', 'unit']
        """
        from sepsistwin.data.catalogue import CATALOGUE

        table = (
            self.observations.drop(columns="source")
            .rename(columns={"hours": "time"})
            .astype({"patient_id": str, "variable": str})
        )
        units = {name: var.canonical_unit for name, var in CATALOGUE.items()}
        table["unit"] = table["variable"].map(units).replace("1", "")
        return table

    def __repr__(self) -> str:
        n_pat = len(self.patients)
        return (
            f"Timeline({n_pat} patient{'s' if n_pat != 1 else ''}, "
            f"{len(self.observations)} observations, {len(self.rejected)} rejected rows"
            + (f", {len(self.skipped)} skipped)" if len(self.skipped) else ")")
        )
