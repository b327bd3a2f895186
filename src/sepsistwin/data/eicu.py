"""eICU-CRD import: the eICU Collaborative Research Database tables -> a validated Timeline.

DuckDB reads the tables where they lie (``<table>.csv.gz``, ``.csv`` or ``.parquet`` in one
folder, as PhysioNet distributes eICU-CRD v2.0), keeps the rows of the selected ICU unit
stays that the map (``eicu_crd_map.yaml``) names, and hands long rows to the same
validation layer as every other reader: units are converted with pint, values outside the
catalogue's plausible ranges are rejected and listed, and every row left out is counted
with its reason.

One patient is one ICU unit stay (``patient_id`` = ``patientunitstayid``). Time zero is
unit admission: eICU gives every time as a minute offset from it, so ``hours`` is the
offset / 60. What is read, following eicu-code (github.com/MIT-LCP/eicu-code,
``concepts/pivoted``):

- ``patient``: the stays, their discharge offset and admission weight (a ``weight``
  observation at time zero);
- ``lab``: labs by ``labname`` (``pivoted-lab.sql``, ``pivoted-bg.sql``) from 6 h before
  unit admission to discharge; when a result was revised, the latest revision;
- ``vitalperiodic`` (monitor medians by column) and ``nursecharting`` (charted vitals and
  the GCS total by label and name: ``pivoted-vital.sql``, ``pivoted-gcs.sql``);
- ``intakeoutput``: urine volumes (``pivoted-uo.sql``), summed per day by the clinical
  layer like every volume;
- ``infusiondrug``: vasopressor rates by drug name (``pivoted-infusion.sql``); the rate
  unit is the name's last ``(...)``, a rate per minute is divided by the infusion's (else
  the admission) weight, and a rate in mL/h (no concentration) is a counted skip;
  vasopressin, phenylephrine and milrinone are flags while charted as running;
- ``medication``: antibiotic courses (``drugstartoffset`` to ``drugstopoffset``), orders
  cancelled or by topical routes left out.

Items charted at the same minute for one variable (a monitor and a charted MAP) are one
measurement: averaged, as eicu-code ``pivoted-vital.sql`` averages per offset.
"""

from __future__ import annotations

import time as _time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sepsistwin.data.catalogue import CATALOGUE, CatalogueError
from sepsistwin.data.duckdb_tables import read_stay_ids, register_table
from sepsistwin.data.errors import InputError, file_error
from sepsistwin.data.timeline import Timeline
from sepsistwin.data.validate import RawRows, build_timeline
from sepsistwin.data.yaml_schema import read_yaml

MAP_PATH = Path(__file__).with_name("eicu_crd_map.yaml")
SOURCE_NAME = "eicu-crd"
#: Labs are read from this many hours before unit admission (as the MIMIC-IV importer).
PRE_ICU_HOURS = 6.0
_SUFFIXES = (".parquet", ".csv.gz", ".csv")

#: Tables read and the columns each must have (eICU-CRD v2.0 names); ``patient`` is required.
COLUMNS: dict[str, tuple[str, ...]] = {
    "patient": ("patientunitstayid", "unitdischargeoffset", "admissionweight"),
    "lab": ("patientunitstayid", "labresultoffset", "labname", "labresult"),
    "vitalperiodic": ("patientunitstayid", "observationoffset"),
    "nursecharting": (
        "patientunitstayid",
        "nursingchartoffset",
        "nursingchartcelltypevallabel",
        "nursingchartcelltypevalname",
        "nursingchartvalue",
    ),
    "intakeoutput": ("patientunitstayid", "intakeoutputoffset", "cellpath", "cellvaluenumeric"),
    "infusiondrug": ("patientunitstayid", "infusionoffset", "drugname", "drugrate"),
    "medication": (
        "patientunitstayid",
        "drugstartoffset",
        "drugstopoffset",
        "drugname",
        "drugordercancelled",
        "routeadmin",
    ),
}
_SKIP_COLUMNS = ["table", "item", "reason", "rows"]
_ROW_COLUMNS = ["stay_id", "hours", "end_hours", "variable", "value", "unit", "label"]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    variable: str
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _known_variable(self) -> _Entry:
        if self.variable not in CATALOGUE:
            raise ValueError(f"variable '{self.variable}' is not in the catalogue")
        return self


class LabEntry(_Entry):
    """A lab by ``lab.labname``."""

    name: str
    unit: str


class VitalEntry(_Entry):
    """A ``vitalperiodic`` column."""

    column: str = Field(pattern=r"^[a-z0-9_]+$")
    unit: str


class ChartEntry(_Entry):
    """A ``nursecharting`` value by cell label and value name."""

    label: str
    value_name: str
    unit: str


class UrineRule(BaseModel):
    """Which ``intakeoutput`` cells are urine output."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    cellpath_prefix: str
    label_patterns: list[str] = Field(min_length=1)
    excluded_patterns: list[str] = Field(default_factory=list)


class InfusionEntry(_Entry):
    """Vasopressor infusions by drug-name patterns."""

    drugnames: list[str] = Field(min_length=1)
    as_flag: bool = False


class AntibioticNames(BaseModel):
    """Which ``medication`` orders are antibiotic courses."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    excluded_routes: list[str]
    names: list[str] = Field(min_length=1)


class EicuMap(BaseModel):
    """The whole eICU-CRD map (``eicu_crd_map.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lab: list[LabEntry]
    vitalperiodic: list[VitalEntry]
    nursecharting: list[ChartEntry]
    intakeoutput: UrineRule
    infusiondrug: list[InfusionEntry]
    antibiotics: AntibioticNames


def load_eicu_map(path: str | Path = MAP_PATH) -> EicuMap:
    """Read and validate the eICU-CRD map.

    Raises
    ------
    CatalogueError
        Naming the file, the entry and the problem.

    Examples
    --------
    >>> next(e.variable for e in load_eicu_map().lab if e.name == "creatinine")
    'creatinine'
    """
    path = Path(path)
    raw = read_yaml(path, CatalogueError)
    try:
        return EicuMap.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise CatalogueError(f"{path.name}: {where}: {err['msg']}") from None


@dataclass
class EicuImport:
    """What :func:`read_eicu` returns.

    Attributes
    ----------
    timeline : Timeline
        Validated observations, ``patient_id`` = ``patientunitstayid``, hours since unit
        admission.
    stays : pandas.DataFrame
        ``patient_id, unitdischargeoffset, admissionweight`` of the stays imported.
    skipped : pandas.DataFrame
        Rows not used, counted by table, item, reason.
    tables : dict
        The file read for each table (None when absent).
    seconds : float
        Wall time of the import.
    notes : list of str
        Tables that were absent, and what is therefore missing.
    """

    timeline: Timeline
    stays: pd.DataFrame
    skipped: pd.DataFrame
    tables: dict[str, Path | None]
    seconds: float
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Counts for people: stays, observations per variable, rejected and skipped rows."""
        obs = self.timeline.observations
        return {
            "stays": len(self.stays),
            "observations": len(obs),
            "per_variable": {
                str(k): int(v) for k, v in obs.groupby("variable", observed=True).size().items()
            },
            "rejected": len(self.timeline.rejected),
            "skipped": int(self.skipped["rows"].sum()) if len(self.skipped) else 0,
            "seconds": round(self.seconds, 2),
            "tables": {k: (str(v) if v else None) for k, v in self.tables.items()},
            "notes": self.notes,
        }


def find_table(root: Path, name: str) -> Path | None:
    """The file of an eICU-CRD table under ``root`` (``name.parquet/.csv.gz/.csv``), or None.

    Examples
    --------
    >>> find_table(Path("/nonexistent"), "patient") is None
    True
    """
    for suffix in _SUFFIXES:
        path = root / f"{name}{suffix}"
        if path.is_file():
            return path
    return None


def _register(con: duckdb.DuckDBPyConnection, name: str, path: Path) -> None:
    register_table(con, name, path, COLUMNS[name], "eICU-CRD")


def _read_stay_ids(path: Path) -> list[int]:
    return read_stay_ids(path, ("patientunitstayid", "stay_id"), "eICU-CRD")


def read_eicu(
    eicu_dir: str | Path,
    *,
    stays: str | Path | list[int] | None = None,
    limit: int | None = None,
    lenient: bool = True,
    item_map: EicuMap | None = None,
) -> EicuImport:
    """Import eICU-CRD ICU unit stays into a validated :class:`Timeline`.

    Parameters
    ----------
    eicu_dir : str or Path
        Folder with the eICU-CRD tables (``patient.csv.gz`` ...; ``.csv`` or ``.parquet``).
    stays : path or list of int, optional
        Only these ``patientunitstayid`` (a CSV with that column, or a list).
    limit : int, optional
        At most this many stays (the lowest ids).
    lenient : bool
        List implausible rows in ``timeline.rejected`` (default) instead of raising.
    item_map : EicuMap, optional
        Another map (default: the package's ``eicu_crd_map.yaml``).

    Returns
    -------
    EicuImport

    Examples
    --------
    >>> import tempfile
    >>> from sepsistwin.examples.eicu_demo import write_eicu_demo
    >>> result = read_eicu(write_eicu_demo(tempfile.mkdtemp()))
    >>> result.summary()["stays"]
    2
    """
    started = _time.perf_counter()
    root = Path(eicu_dir)
    if not root.is_dir():
        raise file_error(root.name or str(root), f"eICU-CRD folder not found: {root}")
    if limit is not None and limit < 1:
        raise InputError(f"--limit must be at least 1 (got {limit})", field="limit", value=limit)
    mapping = item_map or load_eicu_map()
    tables = {name: find_table(root, name) for name in COLUMNS}
    if tables["patient"] is None:
        raise file_error(
            root.name or str(root),
            f"no patient table (patient.csv.gz, .csv or .parquet) in {root}; expected the "
            "eICU-CRD files in one folder",
        )
    ids = _read_stay_ids(Path(stays)) if isinstance(stays, str | Path) else stays
    con = duckdb.connect()
    parts: list[pd.DataFrame] = []
    skipped: list[pd.DataFrame] = []
    notes: list[str] = []
    try:
        for name, path in tables.items():
            if path is not None:
                _register(con, name, path)
        stay_frame = _select_stays(con, ids, limit)
        parts.append(_weights(stay_frame))
        readers = {
            "lab": _labs,
            "vitalperiodic": _vitals,
            "nursecharting": _charts,
            "intakeoutput": _urine,
            "infusiondrug": _infusions,
            "medication": _antibiotics,
        }
        for name, reader in readers.items():
            if tables[name] is None:
                notes.append(f"{name} not found: its variables are absent")
                continue
            rows, skip = reader(con, mapping)
            parts.append(rows)
            skipped.append(skip)
    finally:
        con.close()
    rows = pd.concat([p[_ROW_COLUMNS] for p in parts if len(p)], ignore_index=True)
    timeline = _validate(rows, stay_frame, lenient)
    nonempty = [s for s in skipped if len(s)]
    skipped_frame = (
        pd.concat(nonempty, ignore_index=True)
        if nonempty
        else pd.DataFrame({c: [] for c in _SKIP_COLUMNS})
    )
    return EicuImport(
        timeline=timeline,
        stays=stay_frame.rename(columns={"stay_id": "patient_id"}).assign(
            patient_id=lambda f: f["patient_id"].astype(str)
        ),
        skipped=skipped_frame,
        tables=tables,
        seconds=_time.perf_counter() - started,
        notes=notes,
    )


def _select_stays(
    con: duckdb.DuckDBPyConnection, ids: list[int] | None, limit: int | None
) -> pd.DataFrame:
    where = ""
    if ids is not None:
        con.register("wanted", pd.DataFrame({"stay_id": [int(i) for i in ids] or [-1]}))
        where = "WHERE TRY_CAST(patientunitstayid AS BIGINT) IN (SELECT stay_id FROM wanted)"
    frame = con.execute(
        f"""SELECT DISTINCT TRY_CAST(patientunitstayid AS BIGINT) AS stay_id,
                   TRY_CAST(unitdischargeoffset AS DOUBLE) AS unitdischargeoffset,
                   TRY_CAST(admissionweight AS DOUBLE) AS admissionweight
            FROM patient {where} ORDER BY stay_id {f"LIMIT {int(limit)}" if limit else ""}"""
    ).df()
    frame = frame[frame["stay_id"].notna()]
    if frame.empty:
        raise file_error("patient", "no ICU unit stay selected (check --stays / --limit)")
    con.register("st", frame)
    return frame.reset_index(drop=True)


def _weights(stays: pd.DataFrame) -> pd.DataFrame:
    w = stays[stays["admissionweight"].notna() & (stays["admissionweight"] > 0)]
    return pd.DataFrame(
        {
            "stay_id": w["stay_id"],
            "hours": 0.0,
            "end_hours": np.nan,
            "variable": "weight",
            "value": w["admissionweight"],
            "unit": "kg",
            "label": "patient admissionweight",
        }
    )


_IN_STAY = """TRY_CAST({t}.patientunitstayid AS BIGINT) IN (SELECT stay_id FROM st)"""
_WINDOW = """JOIN st ON r.stay_id = st.stay_id
             AND r.t_min >= {pre} AND (st.unitdischargeoffset IS NULL
                                        OR r.t_min <= st.unitdischargeoffset)"""


def _finish(
    con: duckdb.DuckDBPyConnection, base: str, table: str, pre: float = 0.0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows of ``base`` (stay_id, t_min, variable, value, unit, label, item) in the stay,
    and the counts of those without a number or outside the stay."""
    window = _WINDOW.format(pre=-60.0 * pre)
    rows = con.execute(
        f"""SELECT r.stay_id, r.t_min / 60.0 AS hours, NULL::DOUBLE AS end_hours, r.variable,
                   r.value, r.unit, r.label
            FROM ({base}) r {window} WHERE r.value IS NOT NULL"""
    ).df()
    skip = con.execute(
        f"""SELECT '{table}' AS "table", r.item,
                   CASE WHEN r.t_min IS NULL THEN 'no readable t_min'
                        WHEN r.value IS NULL THEN 'no numeric value'
                        ELSE 'outside the ICU stay' END AS reason,
                   COUNT(*) AS rows
            FROM ({base}) r LEFT JOIN st ON r.stay_id = st.stay_id
            WHERE r.value IS NULL OR r.t_min IS NULL OR r.t_min < {-60.0 * pre}
               OR r.t_min > st.unitdischargeoffset
            GROUP BY ALL ORDER BY item"""
    ).df()
    return rows, skip


def _entries_frame(entries: list[Any], keys: list[str]) -> pd.DataFrame:
    return pd.DataFrame({k: [getattr(e, k) for e in entries] for k in [*keys, "variable"]})


def _labs(con: duckdb.DuckDBPyConnection, m: EicuMap) -> tuple[pd.DataFrame, pd.DataFrame]:
    con.register("lab_map", _entries_frame(m.lab, ["name", "unit"]))
    # eicu-code pivoted-lab.sql: of a result revised several times, the latest revision.
    revised = (
        "labresultrevisedoffset"
        if "labresultrevisedoffset"
        in [str(c[0]).lower() for c in con.execute("DESCRIBE lab").fetchall()]
        else "labresultoffset"
    )
    base = f"""
        SELECT stay_id, t_min, variable, value, unit, 'lab ' || name AS label, name AS item
        FROM (
            SELECT TRY_CAST(l.patientunitstayid AS BIGINT) AS stay_id,
                   TRY_CAST(l.labresultoffset AS DOUBLE) AS t_min, m.variable, m.unit, m.name,
                   TRY_CAST(l.labresult AS DOUBLE) AS value,
                   ROW_NUMBER() OVER (
                       PARTITION BY l.patientunitstayid, l.labname, l.labresultoffset
                       ORDER BY TRY_CAST(l.{revised} AS DOUBLE) DESC) AS rn
            FROM lab l JOIN lab_map m ON l.labname = m.name
            WHERE {_IN_STAY.format(t="l")}
        ) WHERE rn = 1
    """
    return _finish(con, base, "lab", PRE_ICU_HOURS)


def _vitals(con: duckdb.DuckDBPyConnection, m: EicuMap) -> tuple[pd.DataFrame, pd.DataFrame]:
    present = {str(c[0]).lower() for c in con.execute("DESCRIBE vitalperiodic").fetchall()}
    selects = [
        f"""SELECT TRY_CAST(v.patientunitstayid AS BIGINT) AS stay_id,
                   TRY_CAST(v.observationoffset AS DOUBLE) AS t_min,
                   '{e.variable}' AS variable, TRY_CAST(v.{e.column} AS DOUBLE) AS value,
                   '{e.unit}' AS unit, 'vitalperiodic {e.column}' AS label,
                   '{e.column}' AS item
            FROM vitalperiodic v
            WHERE {_IN_STAY.format(t="v")} AND NULLIF(CAST(v.{e.column} AS VARCHAR), '')
                  IS NOT NULL"""
        for e in m.vitalperiodic
        if e.column in present
    ]
    if not selects:
        return pd.DataFrame(columns=_ROW_COLUMNS), pd.DataFrame(columns=_SKIP_COLUMNS)
    return _finish(con, " UNION ALL ".join(selects), "vitalperiodic")


def _charts(con: duckdb.DuckDBPyConnection, m: EicuMap) -> tuple[pd.DataFrame, pd.DataFrame]:
    con.register("chart_map", _entries_frame(m.nursecharting, ["label", "value_name", "unit"]))
    base = f"""
        SELECT TRY_CAST(n.patientunitstayid AS BIGINT) AS stay_id,
               TRY_CAST(n.nursingchartoffset AS DOUBLE) AS t_min, m.variable,
               TRY_CAST(n.nursingchartvalue AS DOUBLE) AS value, m.unit,
               'nursecharting ' || m.label || ' / ' || m.value_name AS label,
               m.label || ' / ' || m.value_name AS item
        FROM nursecharting n
        JOIN chart_map m ON n.nursingchartcelltypevallabel = m.label
                        AND n.nursingchartcelltypevalname = m.value_name
        WHERE {_IN_STAY.format(t="n")} AND NULLIF(n.nursingchartvalue, '') IS NOT NULL
    """
    return _finish(con, base, "nursecharting")


def _like_any(column: str, patterns: list[str]) -> str:
    quoted = (p.lower().replace("'", "''") for p in patterns)
    return "(" + " OR ".join(f"lower({column}) LIKE '{p}'" for p in quoted) + ")"


def _urine(con: duckdb.DuckDBPyConnection, m: EicuMap) -> tuple[pd.DataFrame, pd.DataFrame]:
    rule = m.intakeoutput
    prefix = rule.cellpath_prefix.replace("'", "''")
    cell = f"substr(i.cellpath, {len(rule.cellpath_prefix) + 1})"
    excluded = _like_any(cell, rule.excluded_patterns) if rule.excluded_patterns else "FALSE"
    base = f"""
        SELECT TRY_CAST(i.patientunitstayid AS BIGINT) AS stay_id,
               TRY_CAST(i.intakeoutputoffset AS DOUBLE) AS t_min, 'urine_volume' AS variable,
               TRY_CAST(i.cellvaluenumeric AS DOUBLE) AS value, 'mL' AS unit,
               'intakeoutput ' || {cell} AS label, {cell} AS item
        FROM intakeoutput i
        WHERE {_IN_STAY.format(t="i")} AND starts_with(i.cellpath, '{prefix}')
          AND {_like_any(cell, rule.label_patterns)} AND NOT {excluded}
    """
    return _finish(con, base, "intakeoutput")


def _rate_unit(drugname: str) -> str:
    """The unit in a drug name's last parentheses: ``'Levophed (mcg/min)'`` -> ``'mcg/min'``."""
    name = drugname.strip()
    if not name.endswith(")") or "(" not in name:
        return ""
    return name[name.rfind("(") + 1 : -1].strip()


def _infusions(con: duckdb.DuckDBPyConnection, m: EicuMap) -> tuple[pd.DataFrame, pd.DataFrame]:
    cases = " ".join(
        f"WHEN {_like_any('d.drugname', e.drugnames)} THEN {k}"
        for k, e in enumerate(m.infusiondrug)
    )
    has_weight = "patientweight" in {
        str(c[0]).lower() for c in con.execute("DESCRIBE infusiondrug").fetchall()
    }
    weight = "TRY_CAST(d.patientweight AS DOUBLE)" if has_weight else "NULL::DOUBLE"
    frame = con.execute(
        f"""SELECT * FROM (
                SELECT TRY_CAST(d.patientunitstayid AS BIGINT) AS stay_id,
                       TRY_CAST(d.infusionoffset AS DOUBLE) AS t_min,
                       CAST(d.drugname AS VARCHAR) AS drugname,
                       CAST(d.drugrate AS VARCHAR) AS rate_text,
                       TRY_CAST(d.drugrate AS DOUBLE) AS rate,
                       COALESCE({weight}, st.admissionweight) AS weight,
                       CASE {cases} ELSE NULL END AS entry
                FROM infusiondrug d JOIN st
                  ON TRY_CAST(d.patientunitstayid AS BIGINT) = st.stay_id
            ) WHERE entry IS NOT NULL"""
    ).df()
    if frame.empty:
        return pd.DataFrame(columns=_ROW_COLUMNS), pd.DataFrame(columns=_SKIP_COLUMNS)
    entries = [m.infusiondrug[int(k)] for k in frame["entry"]]
    variable = [e.variable for e in entries]
    as_flag = np.array([e.as_flag for e in entries], dtype=bool)
    unit = frame["drugname"].map(_rate_unit).str.replace("hr", "h", regex=False)
    rate = frame["rate"].to_numpy(dtype=float)
    weight = frame["weight"].to_numpy(dtype=float)
    per_min_no_kg = (~unit.str.contains("/kg", regex=False)) & unit.str.match(r"^(mcg|mg|ug)/")
    value = rate.copy()
    need_w = per_min_no_kg.to_numpy() & ~as_flag
    has_w = np.isfinite(weight) & (weight > 0)
    value[need_w] = rate[need_w] / np.where(has_w[need_w], weight[need_w], np.nan)
    unit = unit.where(~(per_min_no_kg & ~pd.Series(as_flag)), unit.str.replace("/", "/kg/", n=1))
    running = as_flag & (rate > 0)
    value[as_flag] = np.where(running[as_flag], 1.0, np.nan)
    unit[as_flag] = ""
    by_volume = unit.str.startswith("ml").to_numpy() & ~as_flag
    no_rate = np.isnan(rate)
    reasons = [
        (np.isnan(frame["t_min"].to_numpy(dtype=float)), "no readable infusionoffset"),
        (no_rate, "no numeric rate ('OFF', blank or text)"),
        (~no_rate & by_volume, "a rate in mL/h: no concentration to convert it"),
        (~no_rate & ~by_volume & (unit == "").to_numpy() & ~as_flag, "no rate unit in the name"),
        (~no_rate & need_w & ~has_w, "a rate per minute without body weight"),
        (as_flag & ~no_rate & ~running, "not running (rate 0)"),
    ]
    drop = np.zeros(len(frame), dtype=bool)
    skips: list[tuple[str, str, str, int]] = []
    for mask, reason in reasons:
        mask = mask & ~drop
        if mask.any():
            counts = frame.loc[mask].groupby("drugname").size()
            skips += [("infusiondrug", str(k), reason, int(v)) for k, v in counts.items()]
        drop |= mask
    keep = ~drop
    rows = pd.DataFrame(
        {
            "stay_id": frame["stay_id"].to_numpy()[keep],
            "hours": frame["t_min"].to_numpy(dtype=float)[keep] / 60.0,
            "end_hours": np.nan,
            "variable": np.asarray(variable, dtype=object)[keep],
            "value": value[keep],
            "unit": unit.to_numpy()[keep],
            "label": ("infusiondrug " + frame["drugname"].astype(str)).to_numpy()[keep],
        }
    )
    return rows, pd.DataFrame(skips, columns=_SKIP_COLUMNS)


def _antibiotics(con: duckdb.DuckDBPyConnection, m: EicuMap) -> tuple[pd.DataFrame, pd.DataFrame]:
    rule = m.antibiotics
    names = _like_any("md.drugname", [f"%{n}%" for n in rule.names])
    routes = (
        _like_any("COALESCE(md.routeadmin, '')", rule.excluded_routes)
        if rule.excluded_routes
        else "FALSE"
    )
    base = f"""
        SELECT TRY_CAST(md.patientunitstayid AS BIGINT) AS stay_id,
               TRY_CAST(md.drugstartoffset AS DOUBLE) AS start,
               TRY_CAST(md.drugstopoffset AS DOUBLE) AS stop,
               lower(COALESCE(md.drugordercancelled, '')) = 'yes' AS cancelled,
               {routes} AS topical, CAST(md.drugname AS VARCHAR) AS item
        FROM medication md
        WHERE {_IN_STAY.format(t="md")} AND {names}
    """
    rows = con.execute(
        f"""SELECT stay_id, start / 60.0 AS hours,
                   CASE WHEN stop > start THEN stop / 60.0 END AS end_hours,
                   'antibiotic' AS variable, 1.0 AS value, '' AS unit,
                   'medication ' || item AS label
            FROM ({base}) WHERE NOT cancelled AND NOT topical AND start IS NOT NULL"""
    ).df()
    skip = con.execute(
        f"""SELECT 'medication' AS "table", item,
                   CASE WHEN cancelled THEN 'order cancelled'
                        WHEN topical THEN 'topical, ophthalmic or otic route'
                        ELSE 'no readable drugstartoffset' END AS reason,
                   COUNT(*) AS rows
            FROM ({base}) WHERE cancelled OR topical OR start IS NULL
            GROUP BY ALL ORDER BY item"""
    ).df()
    return rows, skip


def _validate(rows: pd.DataFrame, stays: pd.DataFrame, lenient: bool) -> Timeline:
    if rows.empty:
        raise file_error(SOURCE_NAME, "no observation of a mapped item in the selected stays")
    # DuckDB scans tables in parallel: sort on every column so the order is reproducible.
    keys = ["stay_id", "hours", *(c for c in rows.columns if c not in ("stay_id", "hours"))]
    rows = rows.sort_values(keys, kind="stable").reset_index(drop=True)
    stay_text = rows["stay_id"].astype("int64").astype(str)
    offsets = (rows["hours"] * 60).round().astype("Int64").astype(str)
    labels = (rows["label"].astype(str) + ", stay " + stay_text + ", offset " + offsets).to_numpy()
    # Periods (antibiotic courses) are given as end times on the same clock: hours since
    # unit admission, which the validation layer reads as timestamps from a fixed anchor.
    anchor = pd.Timestamp("2000-01-01")
    start = anchor + pd.to_timedelta(rows["hours"], unit="h")
    end = anchor + pd.to_timedelta(rows["end_hours"], unit="h")
    raw = RawRows(
        file=SOURCE_NAME,
        style="resource",
        patient_id=pd.Series(pd.Categorical(stay_text, categories=pd.unique(stay_text))),
        time=start,
        variable=rows["variable"].astype("category"),
        value=rows["value"].astype(float),
        unit=rows["unit"].fillna("").astype(str).astype("category"),
        labels=labels,
        end_time=end if rows["end_hours"].notna().any() else None,
        same_time="merge",
    )
    onset = {str(int(s)): anchor for s in stays["stay_id"]}
    return build_timeline(raw, onset=onset, onset_source="patient", lenient=lenient)


__all__ = ["MAP_PATH", "EicuImport", "EicuMap", "find_table", "load_eicu_map", "read_eicu"]
