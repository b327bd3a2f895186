"""MIMIC-IV import: the official module layout (hosp/, icu/) -> a validated :class:`Timeline`.

DuckDB reads the tables where they lie (``.csv``, ``.csv.gz`` or ``.parquet``, or a folder
of Parquet files), filters them to the selected ICU stays and the item ids of the map
(``mimic_iv_map.yaml``: each item id with its MIMIC label and the mimic-code concept that
maps it), and hands long rows to the same validation layer as every other reader: units
are converted with pint, values outside the catalogue's plausible ranges are rejected
and listed, and nothing is dropped without being counted.

One patient is one ICU stay (``patient_id`` = ``stay_id``). What is read, following
mimic-code (github.com/MIT-LCP/mimic-code, ``mimic-iv/concepts``):

- labs (``hosp/labevents``) of the stay's subject from ``pre_icu_hours`` (6 h, as
  mimic-code's first-day labs) before ICU admission to ICU discharge; PaO2 only from
  arterial specimens (item 52033 of the same ``specimen_id`` = ``ART.``);
- vitals, FiO2, GCS components and ventilation (``icu/chartevents``); the GCS total is
  built as mimic-code ``gcs.sql`` does (below);
- urine volumes (``icu/outputevents``), net of GU irrigant, as ``urine_volume`` events
  (summed per day by the clinical layer);
- vasopressor rates (``icu/inputevents``) over ``[starttime, endtime)``, normalised to
  ug/kg/min (a rate per minute is divided by ``patientweight``);
- antibiotic courses (``hosp/prescriptions``) and suspicion of infection (an antibiotic
  with a culture in ``hosp/microbiologyevents`` up to 72 h before or 24 h after it).

GCS total (mimic-code ``gcs.sql``): components charted at the same time are summed; a
missing component takes the stay's previous value of it from up to 6 h earlier, else its
normal value (eye 4, verbal 5, motor 6); a verbal response of ``No Response-ETT`` (an
intubated patient, verbal 0) gives a total of 15, as does a missing verbal right after
one; the first total after an intubated verbal does not carry older components over.
"""

from __future__ import annotations

import time as _time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

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

MAP_PATH = Path(__file__).with_name("mimic_iv_map.yaml")
SOURCE_NAME = "mimic-iv"

#: Tables read, by module; ``icustays`` is required, the others are optional.
TABLES: dict[str, str] = {
    "icustays": "icu",
    "chartevents": "icu",
    "inputevents": "icu",
    "procedureevents": "icu",
    "outputevents": "icu",
    "labevents": "hosp",
    "prescriptions": "hosp",
    "microbiologyevents": "hosp",
}
_SUFFIXES = (".parquet", ".csv.gz", ".csv")
#: Columns each table must have (MIMIC-IV v2/v3 names).
COLUMNS: dict[str, tuple[str, ...]] = {
    "icustays": ("subject_id", "hadm_id", "stay_id", "intime", "outtime"),
    "chartevents": ("stay_id", "charttime", "itemid", "value", "valuenum", "valueuom"),
    "inputevents": (
        "stay_id",
        "starttime",
        "endtime",
        "itemid",
        "rate",
        "rateuom",
        "patientweight",
    ),
    "outputevents": ("stay_id", "charttime", "itemid", "value"),
    "procedureevents": ("stay_id", "starttime", "endtime", "itemid", "value"),
    "labevents": (
        "subject_id",
        "specimen_id",
        "itemid",
        "charttime",
        "value",
        "valuenum",
        "valueuom",
    ),
    "prescriptions": ("subject_id", "hadm_id", "starttime", "stoptime", "drug", "route"),
    "microbiologyevents": ("subject_id", "chartdate", "charttime"),
}
#: Item id of the blood-gas specimen type in labevents (mimic-code bg.sql).
SPECIMEN_ITEMID = 52033
#: Normal GCS components used when one is missing (mimic-code gcs.sql).
GCS_NORMAL = {"eye": 4, "verbal": 5, "motor": 6}
#: How far back a missing GCS component is carried (mimic-code gcs.sql: 6 h).
GCS_CARRY_HOURS = 6.0


class MimicItem(BaseModel):
    """One MIMIC-IV item id and the catalogue variable it becomes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    itemid: int
    label: str
    variable: str
    source: str = Field(min_length=1)
    unit: str | None = None
    specimen: str | None = None
    fio2_scale: bool = False
    text_values: dict[str, float] | None = None
    gcs_component: Literal["eye", "verbal", "motor"] | None = None
    sign: Literal[1, -1] = 1
    as_flag: bool = False
    present: bool = False

    @model_validator(mode="after")
    def _known_variable(self) -> MimicItem:
        if self.variable not in CATALOGUE:
            raise ValueError(f"variable '{self.variable}' is not in the catalogue")
        return self


class AntibioticRule(BaseModel):
    """Which prescriptions are antibiotics, and the culture window of suspicion."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    culture_before_hours: float = Field(ge=0)
    culture_after_hours: float = Field(ge=0)
    excluded_routes: list[str]
    names: list[str] = Field(min_length=1)


class MimicMap(BaseModel):
    """The whole item map (``mimic_iv_map.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    labevents: list[MimicItem]
    chartevents: list[MimicItem]
    outputevents: list[MimicItem]
    inputevents: list[MimicItem]
    procedureevents: list[MimicItem] = Field(default_factory=list)
    antibiotics: AntibioticRule

    def items(self) -> Iterable[tuple[str, MimicItem]]:
        """Every (table, item) pair."""
        for table in (
            "labevents",
            "chartevents",
            "outputevents",
            "inputevents",
            "procedureevents",
        ):
            for item in getattr(self, table):
                yield table, item


def load_mimic_map(path: str | Path = MAP_PATH) -> MimicMap:
    """Load and validate a MIMIC-IV item map.

    Raises
    ------
    CatalogueError
        Naming the file and the key of a bad entry.

    Examples
    --------
    >>> m = load_mimic_map()
    >>> next(i.variable for i in m.labevents if i.itemid == 50912)
    'creatinine'
    """
    path = Path(path)
    raw = read_yaml(path, CatalogueError)
    try:
        mapping = MimicMap.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise CatalogueError(f"{path.name}: {loc}: {err['msg']}") from None
    seen: set[tuple[str, int, str]] = set()
    for table, item in mapping.items():
        key = (table, item.itemid, item.variable)
        if key in seen:
            raise CatalogueError(
                f"{path.name}: {table}: itemid {item.itemid} is listed twice for {item.variable}"
            )
        seen.add(key)
    return mapping


@dataclass
class MimicImport:
    """The result of :func:`read_mimic_iv`.

    Attributes
    ----------
    timeline : Timeline
        Validated observations; ``patient_id`` is the ICU ``stay_id``; rejected rows (bad
        unit, implausible value) are in ``timeline.rejected``.
    stays : pandas.DataFrame
        One row per stay read: ``patient_id, subject_id, hadm_id, intime, outtime, onset,
        onset_source`` (``icu_admission`` or ``suspicion_of_infection``).
    skipped : pandas.DataFrame
        Rows not turned into observations, counted by ``table, itemid, label, reason``
        (column ``rows``): no numeric value, text not in the map, FiO2 neither a fraction
        nor a percentage, a rate without body weight, ...
    tables : dict
        Table name -> the file read, or None when absent.
    seconds : float
        Wall time of the import.
    """

    timeline: Timeline
    stays: pd.DataFrame
    skipped: pd.DataFrame
    tables: dict[str, Path | None]
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Counts for people: stays, observations per variable, rejected and skipped rows."""
        obs = self.timeline.observations
        return {
            "stays": len(self.stays),
            "observations": len(obs),
            "per_variable": {
                str(k): int(v)
                for k, v in obs["variable"].value_counts(sort=False).items()
                if int(v) > 0
            },
            "rejected": len(self.timeline.rejected),
            "skipped": int(self.skipped["rows"].sum()) if len(self.skipped) else 0,
            "tables": {k: (str(v) if v else None) for k, v in self.tables.items()},
            "seconds": round(self.seconds, 2),
        }


def find_table(root: Path, name: str) -> Path | None:
    """The file (or Parquet folder) of a MIMIC-IV table under ``root``, or None.

    Looks in ``root/<module>/`` (the official layout) and then in ``root`` itself, for
    ``<name>.parquet``, ``<name>.csv.gz``, ``<name>.csv`` or a folder ``<name>/`` of
    Parquet files.

    Examples
    --------
    >>> find_table(Path("/nonexistent"), "icustays") is None
    True
    """
    module = TABLES.get(name, "")
    for folder in (root / module, root):
        for suffix in _SUFFIXES:
            path = folder / f"{name}{suffix}"
            if path.is_file():
                return path
        path = folder / name
        if path.is_dir() and any(path.glob("*.parquet")):
            return path
    return None


def _register(con: duckdb.DuckDBPyConnection, name: str, path: Path) -> None:
    register_table(con, name, path, COLUMNS[name], "MIMIC-IV")


def _read_stay_ids(path: Path) -> list[int]:
    return read_stay_ids(path, ("stay_id",), "MIMIC-IV")


def read_mimic_iv(
    mimic_dir: str | Path,
    *,
    stays: str | Path | Iterable[int] | None = None,
    limit: int | None = None,
    onset: Literal["icu", "suspicion"] = "icu",
    pre_icu_hours: float = 6.0,
    lenient: bool = True,
    item_map: MimicMap | None = None,
) -> MimicImport:
    """Import MIMIC-IV ICU stays into a validated :class:`Timeline`.

    Parameters
    ----------
    mimic_dir : str or Path
        The MIMIC-IV folder (``hosp/`` and ``icu/`` with ``.csv.gz``, ``.csv`` or
        ``.parquet`` tables, as PhysioNet distributes them).
    stays : path or iterable of int, optional
        Only these ICU stays: a CSV with a ``stay_id`` column, or the ids.
    limit : int, optional
        At most this many stays (the lowest stay ids after ``stays``).
    onset : {"icu", "suspicion"}
        Time zero of a stay: ICU admission (``intime``), or the first suspicion of infection
        from 48 h before admission to discharge (ICU admission where there is none).
    pre_icu_hours : float
        Labs and prescriptions from this long before ICU admission are read (6 h).
    lenient : bool
        True (the default for a database): rows with an unusable unit or an implausible
        value are listed in ``timeline.rejected`` and left out. False: the first stops the
        import with an :class:`InputError`.
    item_map : MimicMap, optional
        The item map (default: the package's ``mimic_iv_map.yaml``).

    Returns
    -------
    MimicImport

    Raises
    ------
    InputError
        The folder or ``icustays`` is missing, a table lacks a column or cannot be read, the
        stay list is malformed, or (strict) a row is bad.

    Examples
    --------
    >>> from sepsistwin.examples.mimic_demo import write_mimic_iv_demo
    >>> import tempfile
    >>> demo = write_mimic_iv_demo(tempfile.mkdtemp())
    >>> result = read_mimic_iv(demo)
    >>> result.summary()["stays"]
    3
    """
    started = _time.perf_counter()
    root = Path(mimic_dir)
    if not root.is_dir():
        raise file_error(root.name or str(root), f"MIMIC-IV folder not found: {root}")
    if limit is not None and limit < 1:
        raise InputError(f"--limit must be at least 1 (got {limit})", field="limit", value=limit)
    mapping = item_map or load_mimic_map()
    tables = {name: find_table(root, name) for name in TABLES}
    if tables["icustays"] is None:
        raise file_error(
            root.name or str(root),
            f"no icu/icustays table (.csv.gz, .csv or .parquet) under {root}; expected the "
            "MIMIC-IV module layout hosp/ and icu/",
        )
    con = duckdb.connect()
    try:
        for name, path in tables.items():
            if path is not None:
                _register(con, name, path)
        stay_frame = _select_stays(con, stays, limit, pre_icu_hours)
        parts: list[pd.DataFrame] = []
        skipped: list[pd.DataFrame] = []
        notes: list[str] = []
        if tables["labevents"] is not None:
            rows, skip = _labs(con, mapping)
            parts.append(rows)
            skipped.append(skip)
        if tables["chartevents"] is not None:
            rows, skip = _charts(con, mapping)
            parts.append(rows)
            skipped.append(skip)
            parts.append(_gcs(con, mapping))
        if tables["outputevents"] is not None:
            rows, skip = _urine(con, mapping)
            parts.append(rows)
            skipped.append(skip)
        if tables["inputevents"] is not None:
            rows, skip = _vasopressors(con, mapping)
            parts.append(rows)
            skipped.append(skip)
        if tables["procedureevents"] is not None and mapping.procedureevents:
            rows, skip = _procedures(con, mapping)
            parts.append(rows)
            skipped.append(skip)
        suspicion = pd.DataFrame({"stay_id": [], "time": []})
        if tables["prescriptions"] is not None:
            parts.append(_antibiotics(con, mapping))
            if tables["microbiologyevents"] is not None:
                suspicion = _suspicion(con, mapping)
                parts.append(suspicion.assign(variable="infection_suspected", value=1.0))
            else:
                notes.append("hosp/microbiologyevents not found: no suspicion of infection")
        else:
            notes.append("hosp/prescriptions not found: no antibiotics, no suspicion of infection")
        for name, path in tables.items():
            if path is None and name not in (
                "prescriptions",
                "microbiologyevents",
                "procedureevents",
            ):
                notes.append(f"{TABLES[name]}/{name} not found: its variables are absent")
    finally:
        con.close()
    stay_frame = _onsets(stay_frame, suspicion, onset)
    rows = _concat_rows(parts)
    timeline = _validate(rows, stay_frame, lenient)
    skipped_frame = (
        pd.concat([s for s in skipped if len(s)], ignore_index=True)
        if any(len(s) for s in skipped)
        else pd.DataFrame({c: [] for c in ("table", "itemid", "label", "reason", "rows")})
    )
    return MimicImport(
        timeline=timeline,
        stays=stay_frame.drop(columns=["window_start"]),
        skipped=skipped_frame,
        tables=tables,
        seconds=_time.perf_counter() - started,
        notes=notes,
    )


def _select_stays(
    con: duckdb.DuckDBPyConnection,
    stays: str | Path | Iterable[int] | None,
    limit: int | None,
    pre_icu_hours: float,
) -> pd.DataFrame:
    where = ""
    if stays is not None:
        ids = _read_stay_ids(Path(stays)) if isinstance(stays, str | Path) else list(stays)
        con.register("wanted_stays", pd.DataFrame({"stay_id": np.asarray(ids, dtype=np.int64)}))
        where = "WHERE stay_id IN (SELECT stay_id FROM wanted_stays)"
    limit_sql = f"LIMIT {int(limit)}" if limit else ""
    con.execute(
        f"""
        CREATE TABLE st AS
        SELECT * FROM (
            SELECT TRY_CAST(stay_id AS BIGINT) AS stay_id,
                   TRY_CAST(subject_id AS BIGINT) AS subject_id,
                   TRY_CAST(hadm_id AS BIGINT) AS hadm_id,
                   TRY_CAST(intime AS TIMESTAMP) AS intime,
                   TRY_CAST(outtime AS TIMESTAMP) AS outtime
            FROM icustays
        ) {where}
        ORDER BY stay_id {limit_sql}
        """
    )
    frame = con.execute("SELECT * FROM st").df()
    bad = frame[frame["stay_id"].isna() | frame["intime"].isna() | frame["outtime"].isna()]
    if len(bad):
        raise file_error(
            "icustays",
            f"{len(bad)} ICU stay(s) without a readable stay_id, intime or outtime (first: "
            f"{bad.iloc[0].to_dict()})",
            field="intime",
        )
    if frame.empty:
        raise file_error("icustays", "no ICU stay selected (check --stays and --limit)")
    con.execute(
        f"ALTER TABLE st ADD COLUMN window_start TIMESTAMP; "
        f"UPDATE st SET window_start = intime - INTERVAL ({float(pre_icu_hours)} * 3600) SECOND"
    )
    return con.execute("SELECT * FROM st ORDER BY stay_id").df()


def _items_frame(items: list[MimicItem]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "itemid": [i.itemid for i in items],
            "label": [i.label for i in items],
            "variable": [i.variable for i in items],
            "unit": [i.unit for i in items],
            "specimen": [i.specimen for i in items],
            "fio2_scale": [i.fio2_scale for i in items],
            "sign": [float(i.sign) for i in items],
            "as_flag": [i.as_flag for i in items],
            "present": [i.present for i in items],
        }
    )


_ROW_COLUMNS = ["stay_id", "time", "end_time", "variable", "value", "unit", "label"]


def _skip_counts(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    return con.execute(sql).df()


_FIO2_UNIT = """CASE WHEN NOT m.fio2_scale THEN COALESCE(m.unit, {uom}, '')
            WHEN {v} > 0.2 AND {v} <= 1 THEN ''
            WHEN {v} >= 20 AND {v} <= 100 THEN '%'
            ELSE NULL END"""


def _labs(con: duckdb.DuckDBPyConnection, mapping: MimicMap) -> tuple[pd.DataFrame, pd.DataFrame]:
    con.register("lab_items", _items_frame(mapping.labevents))
    con.execute(
        f"""
        CREATE TEMP TABLE lab AS
        SELECT TRY_CAST(le.subject_id AS BIGINT) AS subject_id,
               TRY_CAST(le.specimen_id AS BIGINT) AS specimen_id,
               TRY_CAST(le.itemid AS INTEGER) AS itemid,
               TRY_CAST(le.charttime AS TIMESTAMP) AS charttime,
               CAST(le.value AS VARCHAR) AS value_text,
               TRY_CAST(le.valuenum AS DOUBLE) AS valuenum,
               CAST(le.valueuom AS VARCHAR) AS valueuom
        FROM labevents le
        WHERE TRY_CAST(le.itemid AS INTEGER) IN
              (SELECT itemid FROM lab_items UNION ALL SELECT {SPECIMEN_ITEMID})
          AND TRY_CAST(le.subject_id AS BIGINT) IN (SELECT subject_id FROM st)
        """
    )
    base = f"""
        WITH spec AS (
            SELECT specimen_id, MAX(value_text) AS specimen FROM lab
            WHERE itemid = {SPECIMEN_ITEMID} GROUP BY specimen_id
        )
        SELECT st.stay_id, lab.charttime AS time, lab.valuenum AS value, m.label, lab.itemid,
               m.variable, m.specimen AS need_specimen, spec.specimen,
               {_FIO2_UNIT.format(uom="NULLIF(lab.valueuom, '')", v="lab.valuenum")} AS unit
        FROM lab
        JOIN lab_items m ON lab.itemid = m.itemid
        JOIN st ON lab.subject_id = st.subject_id
             AND lab.charttime >= st.window_start AND lab.charttime <= st.outtime
        LEFT JOIN spec ON lab.specimen_id = spec.specimen_id
    """
    rows = con.execute(
        f"""SELECT stay_id, time, NULL::TIMESTAMP AS end_time, variable, value, unit,
                   'labevents ' || itemid AS label
            FROM ({base}) WHERE value IS NOT NULL AND unit IS NOT NULL
              AND (need_specimen IS NULL OR specimen = need_specimen)"""
    ).df()
    skip = _skip_counts(
        con,
        f"""SELECT 'labevents' AS "table", itemid, label,
                   CASE WHEN value IS NULL THEN 'no numeric value (valuenum empty)'
                        WHEN unit IS NULL THEN 'FiO2 neither a fraction 0.2-1 nor 20-100 %'
                        ELSE 'specimen ' || COALESCE(specimen, 'unknown') || ', not '
                             || need_specimen END AS reason,
                   COUNT(*) AS rows
            FROM ({base})
            WHERE value IS NULL OR unit IS NULL
               OR (need_specimen IS NOT NULL AND specimen IS DISTINCT FROM need_specimen)
            GROUP BY ALL ORDER BY itemid""",
    )
    return rows, skip


def _charts(con: duckdb.DuckDBPyConnection, mapping: MimicMap) -> tuple[pd.DataFrame, pd.DataFrame]:
    items = [i for i in mapping.chartevents if i.gcs_component is None]
    con.register("chart_items", _items_frame(items))
    texts = [
        (i.itemid, i.variable, text, float(v))
        for i in items
        for text, v in (i.text_values or {}).items()
    ]
    con.register(
        "chart_text",
        pd.DataFrame(texts or [(0, "", "", 0.0)], columns=["itemid", "variable", "text", "number"]),
    )
    text_items = sorted({i.itemid for i in items if i.text_values})
    con.register("chart_text_items", pd.DataFrame({"itemid": text_items or [0]}))
    base = f"""
        WITH ce AS (
            SELECT TRY_CAST(stay_id AS BIGINT) AS stay_id,
                   TRY_CAST(charttime AS TIMESTAMP) AS charttime,
                   TRY_CAST(itemid AS INTEGER) AS itemid,
                   CAST(value AS VARCHAR) AS value_text,
                   TRY_CAST(valuenum AS DOUBLE) AS valuenum,
                   CAST(valueuom AS VARCHAR) AS valueuom
            FROM chartevents
            WHERE TRY_CAST(itemid AS INTEGER) IN (SELECT itemid FROM chart_items)
              AND TRY_CAST(stay_id AS BIGINT) IN (SELECT stay_id FROM st)
              AND NULLIF(CAST(value AS VARCHAR), '') IS NOT NULL
        )
        SELECT ce.stay_id, ce.charttime AS time, m.variable, m.label, ce.itemid,
               ce.value_text,
               CASE WHEN m.present THEN 1.0
                    WHEN ce.itemid IN (SELECT itemid FROM chart_text_items) THEN t.number
                    ELSE ce.valuenum END AS value,
               CASE WHEN m.present OR ce.itemid IN (SELECT itemid FROM chart_text_items)
                    THEN ''
                    ELSE {_FIO2_UNIT.format(uom="NULLIF(ce.valueuom, '')", v="ce.valuenum")}
               END AS unit
        FROM ce
        JOIN chart_items m ON ce.itemid = m.itemid
        LEFT JOIN chart_text t ON ce.itemid = t.itemid AND m.variable = t.variable
             AND ce.value_text = t.text
    """
    rows = con.execute(
        f"""SELECT stay_id, time, NULL::TIMESTAMP AS end_time, variable, value, unit,
                   'chartevents ' || itemid AS label
            FROM ({base}) WHERE value IS NOT NULL AND unit IS NOT NULL"""
    ).df()
    skip = _skip_counts(
        con,
        f"""SELECT 'chartevents' AS "table", itemid, label || ' -> ' || variable AS label,
                   CASE WHEN itemid IN (SELECT itemid FROM chart_text_items)
                        THEN 'text ''' || COALESCE(value_text, '') || ''' not in the map'
                        WHEN value IS NULL THEN 'no numeric value (valuenum empty)'
                        ELSE 'FiO2 neither a fraction 0.2-1 nor 20-100 %' END AS reason,
                   COUNT(*) AS rows
            FROM ({base}) WHERE value IS NULL OR unit IS NULL
            GROUP BY ALL ORDER BY itemid""",
    )
    return rows, skip


def _gcs(con: duckdb.DuckDBPyConnection, mapping: MimicMap) -> pd.DataFrame:
    comp = {i.gcs_component: i.itemid for i in mapping.chartevents if i.gcs_component}
    if len(comp) < 3:
        return pd.DataFrame(columns=_ROW_COLUMNS)
    eye, verbal, motor = comp["eye"], comp["verbal"], comp["motor"]
    carry = GCS_CARRY_HOURS
    n = GCS_NORMAL
    return con.execute(
        f"""
        WITH ce AS (
            SELECT TRY_CAST(stay_id AS BIGINT) AS stay_id,
                   TRY_CAST(charttime AS TIMESTAMP) AS charttime,
                   TRY_CAST(itemid AS INTEGER) AS itemid,
                   CAST(value AS VARCHAR) AS value_text,
                   TRY_CAST(valuenum AS DOUBLE) AS valuenum
            FROM chartevents
            WHERE TRY_CAST(itemid AS INTEGER) IN ({eye}, {verbal}, {motor})
              AND TRY_CAST(stay_id AS BIGINT) IN (SELECT stay_id FROM st)
        ), b AS (
            SELECT stay_id, charttime,
                   MAX(CASE WHEN itemid = {eye} THEN valuenum END) AS eye,
                   MAX(CASE WHEN itemid = {verbal} THEN
                       CASE WHEN value_text = 'No Response-ETT' THEN 0 ELSE valuenum END
                   END) AS verbal,
                   MAX(CASE WHEN itemid = {motor} THEN valuenum END) AS motor
            FROM ce GROUP BY stay_id, charttime
        ), w AS (
            SELECT b.*,
                   LAG(charttime) OVER p AS prev_time,
                   LAG(eye) OVER p AS prev_eye,
                   LAG(verbal) OVER p AS prev_verbal,
                   LAG(motor) OVER p AS prev_motor
            FROM b WINDOW p AS (PARTITION BY stay_id ORDER BY charttime)
        ), r AS (
            SELECT stay_id, charttime, eye, verbal, motor,
                   CASE WHEN prev_time >= charttime - INTERVAL ({carry} * 3600) SECOND
                        THEN prev_eye END AS pe,
                   CASE WHEN prev_time >= charttime - INTERVAL ({carry} * 3600) SECOND
                        THEN prev_verbal END AS pv,
                   CASE WHEN prev_time >= charttime - INTERVAL ({carry} * 3600) SECOND
                        THEN prev_motor END AS pm
            FROM w
        )
        SELECT stay_id, charttime AS time, NULL::TIMESTAMP AS end_time, 'gcs' AS variable,
               CAST(CASE
                   WHEN verbal = 0 THEN 15
                   WHEN verbal IS NULL AND pv = 0 THEN 15
                   WHEN pv = 0 THEN COALESCE(motor, {n["motor"]}) + COALESCE(verbal, {n["verbal"]})
                                    + COALESCE(eye, {n["eye"]})
                   ELSE COALESCE(motor, pm, {n["motor"]}) + COALESCE(verbal, pv, {n["verbal"]})
                        + COALESCE(eye, pe, {n["eye"]})
               END AS DOUBLE) AS value,
               '' AS unit,
               'chartevents GCS' AS label
        FROM r
        """
    ).df()


def _urine(con: duckdb.DuckDBPyConnection, mapping: MimicMap) -> tuple[pd.DataFrame, pd.DataFrame]:
    con.register("uo_items", _items_frame(mapping.outputevents))
    base = """
        WITH oe AS (
            SELECT TRY_CAST(stay_id AS BIGINT) AS stay_id,
                   TRY_CAST(charttime AS TIMESTAMP) AS charttime,
                   TRY_CAST(itemid AS INTEGER) AS itemid,
                   TRY_CAST(value AS DOUBLE) AS value
            FROM outputevents
            WHERE TRY_CAST(itemid AS INTEGER) IN (SELECT itemid FROM uo_items)
              AND TRY_CAST(stay_id AS BIGINT) IN (SELECT stay_id FROM st)
        )
        SELECT oe.stay_id, oe.charttime, SUM(oe.value * m.sign) AS volume,
               COUNT(*) AS n, COUNT(oe.value) AS n_value
        FROM oe JOIN uo_items m ON oe.itemid = m.itemid
        GROUP BY oe.stay_id, oe.charttime
    """
    rows = con.execute(
        f"""SELECT stay_id, charttime AS time, NULL::TIMESTAMP AS end_time,
                   'urine_volume' AS variable, volume AS value, 'mL' AS unit,
                   'outputevents urine' AS label
            FROM ({base}) WHERE volume >= 0"""
    ).df()
    skip = _skip_counts(
        con,
        f"""SELECT 'outputevents' AS "table", NULL::INTEGER AS itemid,
                   'urine output' AS label,
                   CASE WHEN volume IS NULL THEN 'no volume'
                        ELSE 'GU irrigant in exceeds the volume out at the same time' END
                   AS reason, COUNT(*) AS rows
            FROM ({base}) WHERE volume IS NULL OR volume < 0 GROUP BY ALL""",
    )
    return rows, skip


def _vasopressors(
    con: duckdb.DuckDBPyConnection, mapping: MimicMap
) -> tuple[pd.DataFrame, pd.DataFrame]:
    con.register("vaso_items", _items_frame(mapping.inputevents))
    base = """
        WITH ie AS (
            SELECT TRY_CAST(stay_id AS BIGINT) AS stay_id,
                   TRY_CAST(starttime AS TIMESTAMP) AS starttime,
                   TRY_CAST(endtime AS TIMESTAMP) AS endtime,
                   TRY_CAST(itemid AS INTEGER) AS itemid,
                   TRY_CAST(rate AS DOUBLE) AS rate,
                   CAST(rateuom AS VARCHAR) AS rateuom,
                   TRY_CAST(patientweight AS DOUBLE) AS weight
            FROM inputevents
            WHERE TRY_CAST(itemid AS INTEGER) IN (SELECT itemid FROM vaso_items)
              AND TRY_CAST(stay_id AS BIGINT) IN (SELECT stay_id FROM st)
        )
        SELECT ie.*, m.variable, m.label, m.as_flag,
               -- mimic-code norepinephrine.sql: mg/kg/min with weight 1 is mcg/kg/min
               CASE WHEN ie.rateuom = 'mg/kg/min' AND ie.weight = 1 THEN 'mcg/kg/min'
                    ELSE ie.rateuom END AS unit0
        FROM ie JOIN vaso_items m ON ie.itemid = m.itemid
    """
    frame = con.execute(base).df()
    skips: list[tuple[str, int, str, str, int]] = []
    if frame.empty:
        return pd.DataFrame(columns=_ROW_COLUMNS), pd.DataFrame(
            columns=["table", "itemid", "label", "reason", "rows"]
        )
    as_flag = frame["as_flag"].to_numpy(dtype=bool)
    # A running drug without a catalogue rate (vasopressin in units/min) is a flag.
    running = as_flag & (frame["rate"].to_numpy(dtype=float) > 0)
    frame.loc[running, "rate"] = 1.0
    frame.loc[running, "unit0"] = "1"
    unit = frame["unit0"].fillna("").astype(str).str.strip()
    per_weight = unit.str.contains("/kg", regex=False) | pd.Series(as_flag)
    weight = frame["weight"].to_numpy(dtype=float)
    has_weight = np.isfinite(weight) & (weight > 0)
    value = frame["rate"].to_numpy(dtype=float).copy()
    needs = ~per_weight.to_numpy() & (unit != "").to_numpy()
    value[needs] = value[needs] / np.where(has_weight[needs], weight[needs], np.nan)
    # 'mcg/min' -> 'mcg/kg/min': the rate divided by the charted body weight.
    unit = unit.where(~pd.Series(needs), unit.str.replace("/", "/kg/", n=1, regex=False))
    no_rate = np.isnan(frame["rate"].to_numpy(dtype=float))
    no_weight = needs & ~has_weight
    no_unit = (frame["unit0"].fillna("").astype(str).str.strip() == "").to_numpy()
    bad_time = frame["starttime"].isna().to_numpy()
    drop = no_rate | no_weight | no_unit | bad_time
    for mask, reason in (
        (no_rate, "no rate (a bolus or a stopped line)"),
        (no_unit & ~no_rate, "no rate unit"),
        (no_weight & ~no_rate & ~no_unit, "a rate per minute without body weight"),
        (bad_time & ~no_rate & ~no_unit & ~no_weight, "no readable starttime"),
    ):
        if mask.any():
            counts = frame.loc[mask].groupby(["itemid", "label"]).size()
            skips += [
                ("inputevents", int(k[0]), str(k[1]), reason, int(v)) for k, v in counts.items()
            ]
    keep = ~drop
    rows = pd.DataFrame(
        {
            "stay_id": frame["stay_id"].to_numpy()[keep],
            "time": frame["starttime"].to_numpy()[keep],
            "end_time": frame["endtime"].to_numpy()[keep],
            "variable": frame["variable"].to_numpy()[keep],
            "value": value[keep],
            "unit": unit.to_numpy()[keep],
            "label": ("inputevents " + frame["itemid"].astype(str)).to_numpy()[keep],
        }
    )
    return rows, pd.DataFrame(skips, columns=["table", "itemid", "label", "reason", "rows"])


def _procedures(
    con: duckdb.DuckDBPyConnection, mapping: MimicMap
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Support given over a period (dialysis, ventilation): a 0/1 flag over
    ``[starttime, endtime)``, repeated at each day boundary by the validation layer."""
    con.register("proc_items", _items_frame(mapping.procedureevents))
    base = """
        WITH pe AS (
            SELECT TRY_CAST(stay_id AS BIGINT) AS stay_id,
                   TRY_CAST(starttime AS TIMESTAMP) AS starttime,
                   TRY_CAST(endtime AS TIMESTAMP) AS endtime,
                   TRY_CAST(itemid AS INTEGER) AS itemid,
                   CAST(value AS VARCHAR) AS value_text
            FROM procedureevents
            WHERE TRY_CAST(itemid AS INTEGER) IN (SELECT itemid FROM proc_items)
              AND TRY_CAST(stay_id AS BIGINT) IN (SELECT stay_id FROM st)
        )
        SELECT pe.*, m.variable, m.label FROM pe JOIN proc_items m ON pe.itemid = m.itemid
    """
    rows = con.execute(
        f"""SELECT stay_id, starttime AS time,
                   CASE WHEN endtime > starttime THEN endtime END AS end_time,
                   variable, 1.0 AS value, '' AS unit, 'procedureevents ' || itemid AS label
            FROM ({base})
            WHERE starttime IS NOT NULL AND NULLIF(value_text, '') IS NOT NULL"""
    ).df()
    skip = _skip_counts(
        con,
        f"""SELECT 'procedureevents' AS "table", itemid, label,
                   CASE WHEN starttime IS NULL THEN 'no readable starttime'
                        ELSE 'no value (mimic-code rrt.sql keeps value IS NOT NULL)' END
                   AS reason,
                   COUNT(*) AS rows
            FROM ({base}) WHERE starttime IS NULL OR NULLIF(value_text, '') IS NULL
            GROUP BY ALL ORDER BY itemid""",
    )
    return rows, skip


def _antibiotic_sql(mapping: MimicMap) -> str:
    rule = mapping.antibiotics
    words = (n.lower().replace("'", "") for n in rule.names)
    names = " OR ".join(f"lower(drug) LIKE '%{w}%'" for w in words)
    routes = ", ".join("'" + r.replace("'", "") + "'" for r in rule.excluded_routes) or "''"
    return f"""
        SELECT TRY_CAST(subject_id AS BIGINT) AS subject_id,
               TRY_CAST(starttime AS TIMESTAMP) AS starttime,
               TRY_CAST(stoptime AS TIMESTAMP) AS stoptime
        FROM prescriptions
        WHERE ({names}) AND COALESCE(upper(trim(route)), '') NOT IN ({routes})
          AND TRY_CAST(subject_id AS BIGINT) IN (SELECT subject_id FROM st)
          AND TRY_CAST(starttime AS TIMESTAMP) IS NOT NULL
    """


def _antibiotics(con: duckdb.DuckDBPyConnection, mapping: MimicMap) -> pd.DataFrame:
    return con.execute(
        f"""
        SELECT st.stay_id, GREATEST(a.starttime, st.window_start) AS time,
               LEAST(COALESCE(a.stoptime, a.starttime), st.outtime) AS end_time,
               'antibiotic' AS variable, 1.0 AS value, '' AS unit,
               'prescriptions antibiotic' AS label
        FROM ({_antibiotic_sql(mapping)}) a
        JOIN st ON a.subject_id = st.subject_id
             AND a.starttime <= st.outtime
             AND COALESCE(a.stoptime, a.starttime) >= st.window_start
        """
    ).df()


def _suspicion(con: duckdb.DuckDBPyConnection, mapping: MimicMap) -> pd.DataFrame:
    rule = mapping.antibiotics
    before, after = float(rule.culture_before_hours), float(rule.culture_after_hours)
    return con.execute(
        f"""
        WITH abx AS ({_antibiotic_sql(mapping)}),
        cult AS (
            SELECT TRY_CAST(subject_id AS BIGINT) AS subject_id,
                   COALESCE(TRY_CAST(charttime AS TIMESTAMP),
                            TRY_CAST(chartdate AS TIMESTAMP)) AS culture_time
            FROM microbiologyevents
            WHERE TRY_CAST(subject_id AS BIGINT) IN (SELECT subject_id FROM st)
        ),
        sus AS (
            SELECT abx.subject_id,
                   MIN(LEAST(abx.starttime, cult.culture_time)) AS time
            FROM abx JOIN cult ON abx.subject_id = cult.subject_id
             AND cult.culture_time >= abx.starttime - INTERVAL ({before} * 3600) SECOND
             AND cult.culture_time <= abx.starttime + INTERVAL ({after} * 3600) SECOND
            GROUP BY abx.subject_id, abx.starttime
        )
        SELECT DISTINCT st.stay_id, sus.time, NULL::TIMESTAMP AS end_time, '' AS unit,
               'suspicion of infection' AS label
        FROM sus JOIN st ON sus.subject_id = st.subject_id
             AND sus.time >= st.intime - INTERVAL 48 HOUR AND sus.time <= st.outtime
        ORDER BY st.stay_id, sus.time
        """
    ).df()


def _onsets(
    stays: pd.DataFrame, suspicion: pd.DataFrame, onset: Literal["icu", "suspicion"]
) -> pd.DataFrame:
    out = stays.copy()
    out.insert(0, "patient_id", out["stay_id"].astype("int64").astype(str))
    out["onset"] = out["intime"]
    out["onset_source"] = "icu_admission"
    if onset not in ("icu", "suspicion"):
        raise InputError(
            f"onset '{onset}' is not known; expected 'icu' or 'suspicion'",
            field="onset",
            value=onset,
            expected="icu or suspicion",
        )
    if onset == "suspicion" and len(suspicion):
        first = suspicion.groupby("stay_id")["time"].min()
        hit = out["stay_id"].map(first)
        out.loc[hit.notna(), "onset"] = hit[hit.notna()]
        out.loc[hit.notna(), "onset_source"] = "suspicion_of_infection"
    return out.drop(columns=["stay_id"])


def _concat_rows(parts: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [p[_ROW_COLUMNS] for p in parts if len(p)]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in _ROW_COLUMNS})
    rows = pd.concat(frames, ignore_index=True)
    rows["time"] = pd.to_datetime(rows["time"])
    rows["end_time"] = pd.to_datetime(rows["end_time"])
    return rows.sort_values(["stay_id", "time"], kind="stable").reset_index(drop=True)


def _validate(rows: pd.DataFrame, stays: pd.DataFrame, lenient: bool) -> Timeline:
    onset = {
        str(p): pd.Timestamp(t) for p, t in zip(stays["patient_id"], stays["onset"], strict=True)
    }
    if rows.empty:
        raise file_error(SOURCE_NAME, "no observation of a mapped item in the selected stays")
    stay_text = rows["stay_id"].astype("int64").astype(str)
    times = rows["time"].dt.strftime("%Y-%m-%d %H:%M").fillna("?")
    labels = (rows["label"].astype(str) + ", stay " + stay_text + ", " + times).to_numpy()
    raw = RawRows(
        file=SOURCE_NAME,
        style="resource",
        patient_id=pd.Series(pd.Categorical(stay_text, categories=pd.unique(stay_text))),
        time=rows["time"],
        variable=rows["variable"].astype("category"),
        value=rows["value"].astype(float),
        unit=rows["unit"].fillna("").astype(str).astype("category"),
        labels=labels,
        end_time=rows["end_time"] if rows["end_time"].notna().any() else None,
        same_time="merge",
    )
    return build_timeline(raw, onset=onset, onset_source="icustays", lenient=lenient)


__all__ = [
    "MAP_PATH",
    "MimicImport",
    "MimicItem",
    "MimicMap",
    "find_table",
    "load_mimic_map",
    "read_mimic_iv",
]
