"""MEDS (Medical Event Data Standard) datasets: read them into a Timeline, write a Timeline as one.

A MEDS dataset is a folder with ``data/**/*.parquet`` shards (columns ``subject_id``
int64, ``time`` timestamp, ``code`` string, ``numeric_value`` float32; optionally
``text_value`` and, in some extractions, ``unit``) and ``metadata/codes.parquet`` (``code,
description, parent_codes``). See the standard at github.com/Medical-Event-Data-Standard.

Reading: each distinct code is mapped once to a catalogue variable and a unit by the rules
below, in order; the rows of mapped codes go through the same validation layer as every
other reader (pint units, plausible ranges, rejected rows listed); rows of unmapped codes
are counted per code in :attr:`MedsImport.skipped`.

1. ``SEPSISTWIN//<variable>//<unit>``: what :func:`write_meds` writes;
2. the MIMIC-IV MEDS extraction's codes (``LAB//RESULT//<itemid>//<unit>``,
   ``LAB//<itemid>//<unit>`` for chartevents, ``SUBJECT_FLUID_OUTPUT//<itemid>//<unit>``,
   ``INFUSION_START//<itemid>`` with a ``unit`` column), for the item ids of
   ``mimic_iv_map.yaml``: one map for both importers. PaO2 (it needs the blood-gas
   specimen) and the GCS components (summed per chart time) are left to the MIMIC-IV
   importer; a rate per minute (``mcg/min``) without a per-kg unit is skipped;
3. codes whose ``parent_codes`` in ``codes.parquet`` hold ``LOINC/<code>`` of a catalogue
   variable, with the unit after the code's last ``//`` (or ``codes.parquet``'s ``unit``);
4. an extra user map (YAML: ``- {pattern: <regex>, variable: <name>, unit: <unit>}``),
   tried first.

Time zero of a subject: its earliest ``SEPSISTWIN//TIME_ZERO`` event, else its earliest
``ICU_ADMISSION//...`` event, else its first observation.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from sepsistwin.data.catalogue import CATALOGUE, LOINC_SYSTEM, CatalogueError
from sepsistwin.data.errors import file_error
from sepsistwin.data.mimic import load_mimic_map
from sepsistwin.data.timeline import Timeline
from sepsistwin.data.validate import RawRows, build_timeline
from sepsistwin.data.yaml_schema import read_yaml

#: The MEDS data schema written (MEDS v0.3 core columns).
DATA_SCHEMA = pa.schema(
    [
        ("subject_id", pa.int64()),
        ("time", pa.timestamp("us")),
        ("code", pa.string()),
        ("numeric_value", pa.float32()),
    ]
)
CODES_SCHEMA = pa.schema(
    [
        ("code", pa.string()),
        ("description", pa.string()),
        ("parent_codes", pa.list_(pa.string())),
    ]
)
MEDS_VERSION = "0.3.3"
PREFIX = "SEPSISTWIN"
TIME_ZERO_CODE = f"{PREFIX}//TIME_ZERO"
BASELINE_SOFA_CODE = f"{PREFIX}//BASELINE_SOFA"
ICU_ADMISSION_PREFIX = "ICU_ADMISSION//"
#: Where hours-based timelines (no calendar time) are placed: hour 0 = this instant.
HOURS_EPOCH = pd.Timestamp("1970-01-01T00:00:00")
_OWN = re.compile(rf"^{PREFIX}//(?P<variable>[a-z][a-z0-9_]*)//(?P<unit>.*)$")
_LOINC_PARENT = re.compile(r"^LOINC/(?P<code>\d{1,7}-\d)$")


class MedsRule(BaseModel):
    """One user rule: codes matching ``pattern`` are ``variable`` in ``unit``.

    ``unit`` may be omitted when the pattern has a named group ``unit``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    pattern: str
    variable: str
    unit: str | None = None
    scale: float = 1.0

    @model_validator(mode="after")
    def _check(self) -> MedsRule:
        if self.variable not in CATALOGUE:
            raise ValueError(f"variable '{self.variable}' is not in the catalogue")
        try:
            compiled = re.compile(self.pattern)
        except re.error as exc:
            raise ValueError(
                f"pattern '{self.pattern}' is not a regular expression: {exc}"
            ) from None
        if self.unit is None and "unit" not in compiled.groupindex:
            raise ValueError("a rule needs a unit or a (?P<unit>...) group in its pattern")
        return self


def load_meds_rules(path: str | Path) -> list[MedsRule]:
    """Read a user code map (a YAML list of rules).

    Raises
    ------
    CatalogueError
        Naming the file, the rule's position and the problem.
    """
    path = Path(path)
    raw = read_yaml(path, CatalogueError)
    if not isinstance(raw, list):
        raise CatalogueError(f"{path.name}: expected a list of rules (pattern, variable, unit)")
    rules = []
    for i, entry in enumerate(raw):
        try:
            rules.append(MedsRule.model_validate(entry))
        except ValidationError as exc:
            err = exc.errors()[0]
            raise CatalogueError(f"{path.name}: rule {i + 1}: {err['msg']}") from None
    return rules


@dataclass(frozen=True)
class CodeTarget:
    """What one MEDS code becomes."""

    variable: str
    unit: str
    scale: float = 1.0
    fio2_scale: bool = False
    text_values: tuple[tuple[str, float], ...] = ()
    needs_unit_column: bool = False


def _mimic_rules() -> list[tuple[re.Pattern[str], CodeTarget | str]]:
    """Rules for the MIMIC-IV MEDS extraction's codes, from ``mimic_iv_map.yaml``."""
    mapping = load_mimic_map()
    rules: list[tuple[re.Pattern[str], CodeTarget | str]] = []
    for table, item in mapping.items():
        if item.specimen or item.gcs_component:
            continue
        text = tuple(sorted((item.text_values or {}).items()))
        target = CodeTarget(
            item.variable,
            item.unit or "",
            float(item.sign),
            item.fio2_scale,
            text,
            needs_unit_column=table == "inputevents",
        )
        if table == "labevents":
            pattern = rf"^LAB//(?:RESULT//)?{item.itemid}//(?P<unit>.*)$"
        elif table == "chartevents":
            pattern = rf"^LAB//{item.itemid}//(?P<unit>.*)$"
        elif table == "outputevents":
            pattern = rf"^SUBJECT_FLUID_OUTPUT//{item.itemid}//(?P<unit>.*)$"
        else:
            pattern = rf"^INFUSION_START//{item.itemid}$"
        rules.append((re.compile(pattern), target))
    return rules


def map_code(
    code: str,
    parents: Iterable[str] = (),
    code_unit: str | None = None,
    rules: list[MedsRule] | None = None,
) -> CodeTarget | None:
    """The catalogue variable and unit of one MEDS code, or None when it is not mapped.

    Examples
    --------
    >>> map_code("LAB//RESULT//50912//mg/dL").variable
    'creatinine'
    >>> map_code("SEPSISTWIN//lactate//mmol/L").unit
    'mmol/L'
    >>> map_code("LAB//RESULT//51221//%") is None
    True
    """
    for rule in rules or ():
        m = re.search(rule.pattern, code)
        if m:
            unit = rule.unit if rule.unit is not None else m.group("unit")
            return CodeTarget(rule.variable, _unit_text(unit), rule.scale)
    m = _OWN.match(code)
    if m and m.group("variable") in CATALOGUE:
        return CodeTarget(m.group("variable"), _unit_text(m.group("unit")))
    for pattern, target in _MIMIC_RULES:
        m = pattern.match(code)
        if m and isinstance(target, CodeTarget):
            unit = target.unit or (m.group("unit") if "unit" in pattern.groupindex else "")
            return CodeTarget(
                target.variable,
                _unit_text(unit),
                target.scale,
                target.fio2_scale,
                target.text_values,
                target.needs_unit_column,
            )
    for parent in parents:
        pm = _LOINC_PARENT.match(str(parent))
        if pm and (LOINC_SYSTEM, pm.group("code")) in _LOINC:
            unit = code_unit if code_unit is not None else code.rsplit("//", 1)[-1]
            if "//" not in code and code_unit is None:
                unit = ""
            return CodeTarget(_LOINC[(LOINC_SYSTEM, pm.group("code"))], _unit_text(unit))
    return None


def _unit_text(unit: str | None) -> str:
    text = (unit or "").strip()
    return "" if text in ("UNK", "1") else text


_MIMIC_RULES = _mimic_rules()
_LOINC = {(LOINC_SYSTEM, c): v.name for v in CATALOGUE.values() for c in v.loinc}


@dataclass
class MedsImport:
    """The result of :func:`read_meds`.

    Attributes
    ----------
    timeline : Timeline
        ``patient_id`` is the MEDS ``subject_id`` as text.
    skipped : pandas.DataFrame
        Rows not read, counted by ``code`` and ``reason`` (column ``rows``).
    time_zero_source : dict
        Subject -> ``time_zero_event``, ``icu_admission`` or ``first_observation``.
    """

    timeline: Timeline
    skipped: pd.DataFrame
    time_zero_source: dict[str, str]


def _data_glob(root: Path) -> str:
    data = root / "data"
    if not data.is_dir() or not any(data.rglob("*.parquet")):
        raise file_error(
            root.name or str(root),
            f"no MEDS data shards under {data} (expected data/**/*.parquet)",
        )
    return str(data).replace("'", "''") + "/**/*.parquet"


def read_meds(
    folder: str | Path,
    *,
    code_map: str | Path | None = None,
    lenient: bool = True,
) -> MedsImport:
    """Read a MEDS dataset into a validated :class:`Timeline`.

    Parameters
    ----------
    folder : str or Path
        The dataset root (``data/`` and ``metadata/``).
    code_map : path, optional
        Extra rules (YAML list of ``pattern, variable, unit``), tried before the defaults.
    lenient : bool
        List rows with an unusable unit or an implausible value in ``timeline.rejected``
        (default) instead of stopping at the first.

    Returns
    -------
    MedsImport

    Examples
    --------
    >>> import tempfile
    >>> from sepsistwin.data import observations_from_frame
    >>> frame = pd.DataFrame({"patient_id": ["7"], "time": [2.0], "variable": ["lactate"],
    ...                       "value": [3.0], "unit": ["mmol/L"]})
    >>> root = write_meds(observations_from_frame(frame), tempfile.mkdtemp())
    >>> read_meds(root).timeline.observations[["patient_id", "hours", "value"]].values.tolist()
    [['7', 2.0, 3.0]]
    """
    root = Path(folder)
    if not root.is_dir():
        raise file_error(root.name or str(root), f"MEDS folder not found: {root}")
    rules = load_meds_rules(code_map) if code_map is not None else []
    con = duckdb.connect()
    try:
        try:
            con.execute(
                "CREATE VIEW meds AS SELECT * FROM "
                f"read_parquet('{_data_glob(root)}', union_by_name = true)"
            )
            columns = {str(c[0]) for c in con.execute("DESCRIBE meds").fetchall()}
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0]
            raise file_error(root.name, f"cannot read the MEDS data shards: {first}") from None
        missing = [c for c in ("subject_id", "time", "code", "numeric_value") if c not in columns]
        if missing:
            raise file_error(
                "data",
                f"MEDS data lack column(s) {', '.join(missing)}; expected subject_id, time, "
                "code, numeric_value",
                field=missing[0],
            )
        codes = _code_targets(con, root, rules, has_unit="unit" in columns)
        con.register("code_map", codes)
        text_col = "CAST(m.text_value AS VARCHAR)" if "text_value" in columns else "NULL"
        unit_col = "CAST(m.unit AS VARCHAR)" if "unit" in columns else "NULL"
        rows = con.execute(
            f"""
            SELECT CAST(m.subject_id AS BIGINT) AS subject_id,
                   CAST(m.time AS TIMESTAMP) AS time, m.code,
                   m.numeric_value,
                   {text_col} AS text_value, {unit_col} AS unit_column,
                   c.variable, c.unit, c.scale, c.fio2_scale, c.text_index, c.needs_unit_column
            FROM meds m JOIN code_map c ON m.code = c.code
            WHERE c.variable IS NOT NULL
            """
        ).df()
        anchors = con.execute(
            f"""
            SELECT CAST(subject_id AS BIGINT) AS subject_id,
                   MIN(CASE WHEN code = '{TIME_ZERO_CODE}' THEN CAST(time AS TIMESTAMP) END)
                       AS time_zero,
                   MIN(CASE WHEN starts_with(code, '{ICU_ADMISSION_PREFIX}')
                       THEN CAST(time AS TIMESTAMP) END) AS icu_admission,
                   MAX(CASE WHEN code = '{BASELINE_SOFA_CODE}'
                       THEN CAST(numeric_value AS DOUBLE) END) AS baseline_sofa
            FROM meds GROUP BY subject_id
            """
        ).df()
        unmapped = con.execute(
            """
            SELECT m.code, 'code not mapped to a catalogue variable' AS reason,
                   COUNT(*) AS rows
            FROM meds m JOIN code_map c ON m.code = c.code
            WHERE c.variable IS NULL
              AND m.code NOT IN ('SEPSISTWIN//TIME_ZERO', 'SEPSISTWIN//BASELINE_SOFA')
              AND NOT starts_with(m.code, 'ICU_ADMISSION//')
            GROUP BY m.code ORDER BY rows DESC, m.code
            """
        ).df()
    finally:
        con.close()
    return _assemble(
        rows, anchors, unmapped, codes, lenient, root.name or "meds", _patient_ids(root)
    )


def _patient_ids(root: Path) -> dict[str, str]:
    """subject_id -> patient id, from the map :func:`write_meds` writes for text ids."""
    path = root / "metadata" / "subject_ids.parquet"
    if not path.is_file():
        return {}
    frame = pq.read_table(path).to_pandas()
    if not {"patient_id", "subject_id"} <= set(frame.columns):
        raise file_error(path.name, "expected columns patient_id, subject_id")
    return {
        str(int(s)): str(p) for s, p in zip(frame["subject_id"], frame["patient_id"], strict=True)
    }


def _code_targets(
    con: duckdb.DuckDBPyConnection, root: Path, rules: list[MedsRule], has_unit: bool
) -> pd.DataFrame:
    codes = con.execute("SELECT DISTINCT code FROM meds WHERE code IS NOT NULL").df()["code"]
    meta = _codes_metadata(root)
    targets = []
    for code in codes.astype(str):
        parents, code_unit = meta.get(code, ((), None))
        targets.append(map_code(code, parents, code_unit, rules))
    return pd.DataFrame(
        {
            "code": codes.astype(str).to_numpy(),
            "variable": [t.variable if t else None for t in targets],
            "unit": [t.unit if t else None for t in targets],
            "scale": [t.scale if t else 1.0 for t in targets],
            "fio2_scale": [bool(t and t.fio2_scale) for t in targets],
            "text_index": [
                json.dumps(dict(t.text_values)) if t and t.text_values else None for t in targets
            ],
            "needs_unit_column": [bool(t and t.needs_unit_column and has_unit) for t in targets],
        }
    )


def _codes_metadata(root: Path) -> dict[str, tuple[tuple[str, ...], str | None]]:
    path = root / "metadata" / "codes.parquet"
    if not path.is_file():
        return {}
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise file_error(path.name, f"cannot read as Parquet: {exc}") from None
    frame = table.to_pandas()
    if "code" not in frame.columns:
        raise file_error(path.name, "missing required column 'code'", field="code")
    parents = frame["parent_codes"] if "parent_codes" in frame.columns else None
    units = frame["unit"] if "unit" in frame.columns else None
    out: dict[str, tuple[tuple[str, ...], str | None]] = {}
    for i, code in enumerate(frame["code"].astype(str)):
        p = parents.iloc[i] if parents is not None else None
        plist = tuple(str(x) for x in p) if p is not None and not isinstance(p, str) else ()
        u = units.iloc[i] if units is not None else None
        out[code] = (plist, None if u is None or pd.isna(u) else str(u))
    return out


def _assemble(
    rows: pd.DataFrame,
    anchors: pd.DataFrame,
    unmapped: pd.DataFrame,
    codes: pd.DataFrame,
    lenient: bool,
    name: str,
    patient_ids: dict[str, str],
) -> MedsImport:
    skipped = [unmapped]
    raw_value = rows["numeric_value"].to_numpy()
    if raw_value.dtype == np.float32:
        # MEDS stores float32: read back the decimal that was written (0.21, not 0.2099999934).
        raw_value = raw_value.astype(str).astype(np.float64)
    value = raw_value.astype(np.float64) * rows["scale"].to_numpy(dtype=float)
    unit = rows["unit"].fillna("").astype(str).to_numpy(dtype=object)
    # Infusions carry their unit in a column (MIMIC-IV MEDS: rateuom).
    use_col = rows["needs_unit_column"].to_numpy(dtype=bool)
    if use_col.any():
        unit[use_col] = rows["unit_column"].fillna("").astype(str).to_numpy(dtype=object)[use_col]
    # Text-valued codes (ventilation devices) through their map.
    has_text = rows["text_index"].notna().to_numpy()
    for i in np.flatnonzero(has_text):
        table = json.loads(rows["text_index"].iloc[i])
        value[i] = table.get(str(rows["text_value"].iloc[i]), np.nan)
        unit[i] = ""
    fio2 = rows["fio2_scale"].to_numpy(dtype=bool)
    unit[fio2 & (value > 0.2) & (value <= 1.0)] = ""
    unit[fio2 & (value >= 20) & (value <= 100)] = "%"
    bad_fio2 = fio2 & ~(((value > 0.2) & (value <= 1.0)) | ((value >= 20) & (value <= 100)))
    per_minute = use_col & ~pd.Series(unit).str.contains("/kg", regex=False).to_numpy()
    per_minute &= pd.Series(unit).str.contains("/", regex=False).to_numpy()
    no_value = np.isnan(value)
    drop = no_value | bad_fio2 | per_minute
    reasons = (
        (no_value & has_text, "text not in the map"),
        (no_value & ~has_text, "no numeric value"),
        (bad_fio2 & ~no_value, "FiO2 neither a fraction 0.2-1 nor 20-100 %"),
        (per_minute & ~no_value, "a rate per minute without body weight"),
    )
    for mask, reason in reasons:
        if mask.any():
            counts = rows.loc[mask].groupby("code").size()
            skipped.append(
                pd.DataFrame({"code": counts.index, "reason": reason, "rows": counts.to_numpy()})
            )
    keep = ~drop
    subject = rows["subject_id"].astype("int64").astype(str).to_numpy()[keep]
    if patient_ids:
        subject = np.array([patient_ids.get(x, x) for x in subject], dtype=object)
    times = pd.to_datetime(rows["time"]).to_numpy()[keep]
    if pd.isna(times).any():
        raise file_error(
            name, "a mapped measurement has no time (MEDS static rows are not observations)"
        )
    onset: dict[str, pd.Timestamp] = {}
    source: dict[str, str] = {}
    baseline: dict[str, int] = {}
    for rec in anchors.itertuples(index=False):
        sid = str(int(rec.subject_id))
        sid = patient_ids.get(sid, sid)
        if pd.notna(rec.time_zero):
            onset[sid], source[sid] = pd.Timestamp(rec.time_zero), "time_zero_event"
        elif pd.notna(rec.icu_admission):
            onset[sid], source[sid] = pd.Timestamp(rec.icu_admission), "icu_admission"
        else:
            source[sid] = "first_observation"
        if pd.notna(rec.baseline_sofa):
            baseline[sid] = int(rec.baseline_sofa)
    if not keep.any():
        raise file_error(name, "no MEDS row of a code mapped to the catalogue")
    codes_kept = rows["code"].astype(str).to_numpy()[keep]
    labels = np.char.add(np.char.add(codes_kept.astype(str), " @ "), times.astype(str))
    raw = RawRows(
        file=name,
        style="resource",
        patient_id=pd.Series(pd.Categorical(subject, categories=pd.unique(subject))),
        time=pd.Series(times),
        variable=pd.Series(rows["variable"].to_numpy()[keep], dtype="category"),
        value=pd.Series(value[keep]),
        unit=pd.Series(unit[keep], dtype="category"),
        labels=labels,
        # MEDS extracts keep every source item: two items of one variable at the same time
        # are one measurement, as in the MIMIC-IV and eICU-CRD importers.
        same_time="merge",
    )
    timeline = build_timeline(raw, onset=onset, baseline_sofa=baseline, lenient=lenient)
    skipped_frame = pd.concat([s for s in skipped if len(s)] or [unmapped], ignore_index=True)
    return MedsImport(timeline, skipped_frame, {p: source.get(p, "") for p in timeline.patients})


def write_meds(timeline: Timeline, folder: str | Path, *, dataset_name: str = "sepsistwin") -> Path:
    """Write a Timeline as a MEDS dataset (``data/0.parquet``, ``metadata/``).

    Codes are ``SEPSISTWIN//<variable>//<canonical unit>`` (``1`` for dimensionless),
    with the variable's LOINC codes as ``parent_codes`` (``LOINC/2160-0``) in
    ``codes.parquet``; each subject's time zero is a ``SEPSISTWIN//TIME_ZERO`` event and
    its baseline SOFA a static ``SEPSISTWIN//BASELINE_SOFA`` row. Patient ids that are
    whole numbers are the ``subject_id``; other ids are numbered 1, 2, ... in order and
    listed in ``metadata/subject_ids.parquet`` (``patient_id, subject_id``). Timelines in
    hours (no calendar time) are placed with hour 0 at 1970-01-01T00:00.

    Examples
    --------
    >>> import tempfile
    >>> from sepsistwin.data import observations_from_frame
    >>> frame = pd.DataFrame({"patient_id": ["7"], "time": [2.0], "variable": ["lactate"],
    ...                       "value": [3.0], "unit": ["mmol/L"]})
    >>> root = write_meds(observations_from_frame(frame), tempfile.mkdtemp())
    >>> pq.read_table(root / "data" / "0.parquet").column("code").to_pylist()
    ['SEPSISTWIN//TIME_ZERO', 'SEPSISTWIN//lactate//mmol/L']
    """
    root = Path(folder)
    obs = timeline.observations
    patients = timeline.patients
    numeric = all(p.isdigit() and (p == "0" or not p.startswith("0")) for p in patients)
    subject_of = {p: int(p) if numeric else i + 1 for i, p in enumerate(patients)}
    zero_ns: dict[str, pd.Timestamp] = {}
    for p in patients:
        tz = timeline.time_zero.get(p, 0.0)
        if isinstance(tz, pd.Timestamp):
            zero_ns[p] = tz.tz_convert("UTC").tz_localize(None) if tz.tzinfo else tz
        else:
            zero_ns[p] = HOURS_EPOCH + pd.to_timedelta(float(tz), unit="h")
    pid = obs["patient_id"].astype(str)
    base = pid.map(zero_ns)
    times = pd.DatetimeIndex(base) + pd.to_timedelta(obs["hours"].to_numpy(), unit="h")
    variables = obs["variable"].astype(str)
    units = {n: v.canonical_unit for n, v in CATALOGUE.items()}
    code = PREFIX + "//" + variables + "//" + variables.map(units)
    events = pd.DataFrame(
        {
            "subject_id": pid.map(subject_of).astype("int64").to_numpy(),
            "time": times.as_unit("us"),
            "code": code.to_numpy(),
            "numeric_value": obs["value"].to_numpy(dtype=np.float32),
        }
    )
    anchors = pd.DataFrame(
        {
            "subject_id": [subject_of[p] for p in patients],
            "time": pd.DatetimeIndex([zero_ns[p] for p in patients]).as_unit("us"),
            "code": TIME_ZERO_CODE,
            "numeric_value": np.full(len(patients), np.nan, dtype=np.float32),
        }
    )
    sofa = pd.DataFrame(
        {
            "subject_id": [subject_of[p] for p in timeline.baseline_sofa],
            "time": pd.DatetimeIndex([pd.NaT] * len(timeline.baseline_sofa)).as_unit("us"),
            "code": BASELINE_SOFA_CODE,
            "numeric_value": np.asarray(list(timeline.baseline_sofa.values()), dtype=np.float32),
        }
    )
    frame = pd.concat([f for f in (sofa, anchors, events) if len(f)], ignore_index=True)
    # MEDS: sorted by subject, then time, static (null time) rows first.
    frame["_static"] = frame["time"].notna()
    frame = frame.sort_values(["subject_id", "_static", "time"], kind="stable").drop(
        columns="_static"
    )
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "metadata").mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame, schema=DATA_SCHEMA, preserve_index=False)
    pq.write_table(table, root / "data" / "0.parquet")
    used = sorted(set(code.unique()))
    descriptions, parents = [], []
    for c in used:
        var = CATALOGUE[c.split("//")[1]]
        descriptions.append(f"{var.label} ({var.canonical_unit})")
        parents.append([f"LOINC/{x}" for x in var.loinc])
    used += [TIME_ZERO_CODE, BASELINE_SOFA_CODE]
    descriptions += ["Time zero (sepsis onset) of the subject", "Baseline (pre-existing) SOFA"]
    parents += [[], []]
    pq.write_table(
        pa.Table.from_pydict(
            {"code": used, "description": descriptions, "parent_codes": parents},
            schema=CODES_SCHEMA,
        ),
        root / "metadata" / "codes.parquet",
    )
    if not numeric:
        pq.write_table(
            pa.Table.from_pydict(
                {"patient_id": patients, "subject_id": [subject_of[p] for p in patients]}
            ),
            root / "metadata" / "subject_ids.parquet",
        )
    from sepsistwin import __version__

    meta: dict[str, Any] = {
        "dataset_name": dataset_name,
        "dataset_version": "1",
        "etl_name": "sepsistwin",
        "etl_version": __version__,
        "meds_version": MEDS_VERSION,
        "created_at": _dt.datetime.now(_dt.UTC).isoformat(),
    }
    (root / "metadata" / "dataset.json").write_text(json.dumps(meta, indent=1) + "\n")
    return root


__all__ = [
    "DATA_SCHEMA",
    "MedsImport",
    "MedsRule",
    "load_meds_rules",
    "map_code",
    "read_meds",
    "write_meds",
]
