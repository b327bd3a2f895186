"""A tiny MIMIC-IV-shaped database: real table layout, column names and item ids, invented values.

``write_mimic_iv_demo(folder)`` writes ``hosp/`` and ``icu/`` tables as ``.csv.gz`` (the
PhysioNet layout) for three ICU stays, so ``sepsistwin data from-mimic-iv`` can be tried
and tested without credentialed access. No value comes from a real patient.

Stay 30000001 (subject 10000001): septic shock on a ventilator, admission weight 80 kg;
its day-0 SOFA is worked out by hand in docs/data-formats.md (MIMIC-IV section) and in
the tests:

=============  ======================================================  ======
component      day-0 worst value                                       points
=============  ======================================================  ======
respiration    PaO2 76 mmHg (arterial) / FiO2 0.50 = 152, ventilated   3
coagulation    platelets 85 K/uL                                       2
liver          bilirubin 2.5 mg/dL                                     2
cardiovascular norepinephrine 0.15 ug/kg/min                           4
CNS            GCS 2 + 2 + 4 = 8                                       3
renal          395 mL over 23 h -> 412 mL/day (< 500); creatinine 2.4  3
=============  ======================================================  ======

SOFA 17. A venous pO2 of 40 mmHg (specimen ``VEN.``) the same day is not a PaO2: with it
the ratio would be 80 and respiration 4. SOFA-2 the same day: respiration 2 (152 is above
150), hemostasis 2, liver 1, cardiovascular 3 (norepinephrine 0.15 + epinephrine 0.0625 =
0.2125 > 0.2), brain 3, kidney 3 (412 mL/day / 80 kg / 24 h = 0.21 mL/kg/h < 0.3): 14.

Day 1 of the same stay: CVVHDF (procedureevents 225809) from 12:00 with a charted CRRT
blood flow (chartevents 224144): renal replacement therapy, so SOFA-2 kidney 4 on days 1
and 2 (the run ends at 12:00 on day 2); SOFA (Sepsis-3 Table 1) has no RRT criterion and
its renal component that day stays 0 (no creatinine or urine charted). Invasive
ventilation (procedureevents 225792) from 09:00 on day 0 to day 2.

Stay 30000002 (subject 10000002): suspected infection (blood culture at 12:00, vancomycin
IV at 14:00, two hours after ICU admission at 10:00); a topical antibiotic (route TP) is
not counted; two voids only (too little of the day covered for a urine rate); high-flow
nasal oxygen with SpO2 93 % at 16:00; a cuff MAP of 72 and an arterial MAP of 68 charted
the same minute (one measurement of 70 mmHg, as mimic-code vitalsign.sql averages);
vasopressin 18:00-23:00 (a flag: its units/h are not a catalogue rate).

Stay 30000003 (subject 10000003): rows a real extract has and the importer must report,
never silently use: a heart rate of 999/min, an FiO2 of 5, lab rows without a numeric
value, an unmapped O2 device text, a norepinephrine row without a rate, a rate per minute
without body weight, a haemodialysis procedure row without a value.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

COLUMNS: dict[str, list[str]] = {
    "icu/icustays": [
        "subject_id", "hadm_id", "stay_id", "first_careunit", "last_careunit", "intime",
        "outtime", "los",
    ],
    "icu/chartevents": [
        "subject_id", "hadm_id", "stay_id", "caregiver_id", "charttime", "storetime", "itemid",
        "value", "valuenum", "valueuom", "warning",
    ],
    "icu/outputevents": [
        "subject_id", "hadm_id", "stay_id", "caregiver_id", "charttime", "storetime", "itemid",
        "value", "valueuom",
    ],
    "icu/inputevents": [
        "subject_id", "hadm_id", "stay_id", "caregiver_id", "starttime", "endtime",
        "storetime", "itemid", "amount", "amountuom", "rate", "rateuom", "orderid",
        "linkorderid", "ordercategoryname", "secondaryordercategoryname",
        "ordercomponenttypedescription", "ordercategorydescription", "patientweight",
        "totalamount", "totalamountuom", "isopenbag", "continueinnextdept",
        "statusdescription", "originalamount", "originalrate",
    ],
    "icu/procedureevents": [
        "subject_id", "hadm_id", "stay_id", "caregiver_id", "starttime", "endtime",
        "storetime", "itemid", "value", "valueuom", "location", "locationcategory",
        "orderid", "linkorderid", "ordercategoryname", "ordercategorydescription",
        "patientweight", "isopenbag", "continueinnextdept", "statusdescription",
        "originalamount", "originalrate",
    ],
    "hosp/labevents": [
        "labevent_id", "subject_id", "hadm_id", "specimen_id", "itemid", "order_provider_id",
        "charttime", "storetime", "value", "valuenum", "valueuom", "ref_range_lower",
        "ref_range_upper", "flag", "priority", "comments",
    ],
    "hosp/prescriptions": [
        "subject_id", "hadm_id", "pharmacy_id", "poe_id", "poe_seq", "order_provider_id",
        "starttime", "stoptime", "drug_type", "drug", "formulary_drug_cd", "gsn", "ndc",
        "prod_strength", "form_rx", "dose_val_rx", "dose_unit_rx", "form_val_disp",
        "form_unit_disp", "doses_per_24_hrs", "route",
    ],
    "hosp/microbiologyevents": [
        "microevent_id", "subject_id", "hadm_id", "micro_specimen_id", "order_provider_id",
        "chartdate", "charttime", "spec_itemid", "spec_type_desc", "test_seq", "storedate",
        "storetime", "test_itemid", "test_name", "org_itemid", "org_name", "isolate_num",
        "quantity", "ab_itemid", "ab_name", "dilution_text", "dilution_comparison",
        "dilution_value", "interpretation", "comments",
    ],
}  # fmt: skip

A, B, C = 30000001, 30000002, 30000003
_SUBJECT = {A: 10000001, B: 10000002, C: 10000003}
_HADM = {A: 20000001, B: 20000002, C: 20000003}


def _stays() -> list[dict[str, object]]:
    return [
        {"stay_id": A, "first_careunit": "Medical Intensive Care Unit (MICU)",
         "intime": "2150-01-01 08:00:00", "outtime": "2150-01-04 08:00:00", "los": 3.0},
        {"stay_id": B, "first_careunit": "Surgical Intensive Care Unit (SICU)",
         "intime": "2150-02-01 10:00:00", "outtime": "2150-02-03 10:00:00", "los": 2.0},
        {"stay_id": C, "first_careunit": "Medical Intensive Care Unit (MICU)",
         "intime": "2150-03-01 06:00:00", "outtime": "2150-03-02 06:00:00", "los": 1.0},
    ]  # fmt: skip


def _chart() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []

    def add(stay: int, t: str, itemid: int, value: object, uom: str = "") -> None:
        num = value if isinstance(value, int | float) else ""
        rows.append(
            {"stay_id": stay, "charttime": t, "itemid": itemid, "value": value,
             "valuenum": num, "valueuom": uom}
        )  # fmt: skip

    # stay A
    add(A, "2150-01-01 08:00:00", 220045, 118, "bpm")
    add(A, "2150-01-01 08:00:00", 220052, 62, "mmHg")
    add(A, "2150-01-01 08:00:00", 220210, 24, "insp/min")
    add(A, "2150-01-01 08:00:00", 226512, 80, "kg")
    add(A, "2150-01-01 09:00:00", 223761, 101.3, "°F")
    add(A, "2150-01-01 09:00:00", 226732, "Endotracheal tube")
    add(A, "2150-01-01 09:00:00", 223849, "CMV/ASSIST/AutoFlow")
    add(A, "2150-01-01 09:30:00", 223835, 50, "%")
    add(A, "2150-01-01 10:00:00", 220739, 3)
    rows.append(
        {"stay_id": A, "charttime": "2150-01-01 10:00:00", "itemid": 223900,
         "value": "No Response-ETT", "valuenum": 1, "valueuom": ""}
    )  # fmt: skip
    add(A, "2150-01-01 10:00:00", 223901, 5)
    add(A, "2150-01-01 20:00:00", 220739, 2)
    add(A, "2150-01-01 20:00:00", 223900, 2)
    add(A, "2150-01-01 20:00:00", 223901, 4)
    add(A, "2150-01-02 12:00:00", 220052, 71, "mmHg")
    add(A, "2150-01-02 12:00:00", 224144, 150, "ml/min")  # CRRT blood flow: dialysis running
    # stay B
    add(B, "2150-02-01 10:00:00", 220045, 96, "bpm")
    add(B, "2150-02-01 10:00:00", 220181, 72, "mmHg")
    add(B, "2150-02-01 10:00:00", 220052, 68, "mmHg")  # arterial line, same minute: averaged
    add(B, "2150-02-01 10:00:00", 223762, 38.4, "°C")
    add(B, "2150-02-01 11:00:00", 220739, 4)
    add(B, "2150-02-01 11:00:00", 223900, 5)
    add(B, "2150-02-01 11:00:00", 223901, 6)
    add(B, "2150-02-01 11:00:00", 226732, "Nasal cannula")
    add(B, "2150-02-01 16:00:00", 226732, "High flow nasal cannula")
    add(B, "2150-02-01 16:00:00", 220277, 93, "%")
    # stay C: rows to report
    add(C, "2150-03-01 06:00:00", 220045, 999, "bpm")
    add(C, "2150-03-01 06:00:00", 220045, 88, "bpm")
    add(C, "2150-03-01 07:00:00", 223835, 5, "%")
    add(C, "2150-03-01 07:00:00", 226732, "Unknown device")
    return rows


def _labs() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []

    def add(stay: int, spec: int, t: str, itemid: int, value: object, uom: str = "") -> None:
        num = value if isinstance(value, int | float) else ""
        rows.append(
            {"subject_id": _SUBJECT[stay], "hadm_id": _HADM[stay], "specimen_id": spec,
             "itemid": itemid, "charttime": t, "value": value, "valuenum": num,
             "valueuom": uom}
        )  # fmt: skip

    # stay A: 8 h before admission (outside the 6 h window), 4 h before (inside), day 0
    add(A, 7000, "2150-01-01 00:00:00", 50912, 0.7, "mg/dL")
    add(A, 7001, "2150-01-01 04:00:00", 50912, 1.0, "mg/dL")
    add(A, 7002, "2150-01-01 09:00:00", 50912, 2.4, "mg/dL")
    add(A, 7002, "2150-01-01 09:00:00", 50885, 2.5, "mg/dL")
    add(A, 7003, "2150-01-01 09:00:00", 51265, 85, "K/uL")
    add(A, 7003, "2150-01-01 09:00:00", 51301, 17.2, "K/uL")
    add(A, 7003, "2150-01-01 09:00:00", 51133, 0.6, "K/uL")
    add(A, 7002, "2150-01-01 09:00:00", 50924, 5200, "ng/mL")
    add(A, 7002, "2150-01-01 09:00:00", 50889, 212.0, "mg/L")
    # arterial blood gas: pO2 76, FiO2 50 % -> 152
    add(A, 8000, "2150-01-01 10:00:00", 52033, "ART.")
    add(A, 8000, "2150-01-01 10:00:00", 50821, 76, "mm Hg")
    add(A, 8000, "2150-01-01 10:00:00", 50816, 50, "%")
    add(A, 8000, "2150-01-01 10:00:00", 50813, 4.1, "mmol/L")
    # venous gas: not a PaO2
    add(A, 8001, "2150-01-01 11:00:00", 52033, "VEN.")
    add(A, 8001, "2150-01-01 11:00:00", 50821, 40, "mm Hg")
    # stay B
    add(B, 7100, "2150-02-01 11:00:00", 50912, 1.3, "mg/dL")
    add(B, 7100, "2150-02-01 11:00:00", 50885, 0.8, "mg/dL")
    add(B, 7101, "2150-02-01 11:00:00", 51265, 160, "K/uL")
    add(B, 7101, "2150-02-01 11:00:00", 52769, 900, "#/uL")
    # stay C: no numeric value
    add(C, 7200, "2150-03-01 07:00:00", 50912, "___", "mg/dL")
    add(C, 7200, "2150-03-01 07:00:00", 50885, "___", "mg/dL")
    return rows


def _output() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    start = pd.Timestamp("2150-01-01 09:00:00")
    for h in range(23):  # Foley hourly 09:00 .. 07:00 next day, 15 mL each
        t = start + pd.Timedelta(hours=h)
        rows.append({"stay_id": A, "charttime": str(t), "itemid": 226559, "value": 15})
    # GU irrigation at 12:00: 150 mL out, 100 mL in -> net 50 mL
    rows.append({"stay_id": A, "charttime": "2150-01-01 12:00:00", "itemid": 227489, "value": 150})
    rows.append({"stay_id": A, "charttime": "2150-01-01 12:00:00", "itemid": 227488, "value": 100})
    rows.append({"stay_id": B, "charttime": "2150-02-01 14:00:00", "itemid": 226560, "value": 300})
    rows.append({"stay_id": B, "charttime": "2150-02-01 20:00:00", "itemid": 226560, "value": 250})
    for r in rows:
        r["valueuom"] = "ml"
    return rows


def _inputs() -> list[dict[str, object]]:
    return [
        {"stay_id": A, "starttime": "2150-01-01 09:00:00", "endtime": "2150-01-01 15:00:00",
         "itemid": 221906, "rate": 0.15, "rateuom": "mcg/kg/min", "patientweight": 80,
         "amount": 4.32, "amountuom": "mg", "statusdescription": "FinishedRunning"},
        {"stay_id": A, "starttime": "2150-01-01 15:00:00", "endtime": "2150-01-02 10:00:00",
         "itemid": 221289, "rate": 5, "rateuom": "mcg/min", "patientweight": 80,
         "amount": 5.7, "amountuom": "mg", "statusdescription": "FinishedRunning"},
        {"stay_id": B, "starttime": "2150-02-01 18:00:00", "endtime": "2150-02-01 23:00:00",
         "itemid": 222315, "rate": 2.4, "rateuom": "units/hour", "patientweight": 75,
         "amount": 12, "amountuom": "units", "statusdescription": "FinishedRunning"},
        {"stay_id": C, "starttime": "2150-03-01 07:00:00", "endtime": "2150-03-01 07:01:00",
         "itemid": 221906, "rate": "", "rateuom": "", "patientweight": 70,
         "amount": 0.1, "amountuom": "mg", "statusdescription": "FinishedRunning"},
        {"stay_id": C, "starttime": "2150-03-01 08:00:00", "endtime": "2150-03-01 12:00:00",
         "itemid": 221289, "rate": 4, "rateuom": "mcg/min", "patientweight": "",
         "amount": 0.96, "amountuom": "mg", "statusdescription": "FinishedRunning"},
    ]  # fmt: skip


def _procedures() -> list[dict[str, object]]:
    return [
        {"stay_id": A, "starttime": "2150-01-01 09:00:00", "endtime": "2150-01-03 08:00:00",
         "itemid": 225792, "value": 2820, "valueuom": "min", "patientweight": 80,
         "ordercategoryname": "Ventilation", "statusdescription": "FinishedRunning"},
        {"stay_id": A, "starttime": "2150-01-02 12:00:00", "endtime": "2150-01-03 12:00:00",
         "itemid": 225809, "value": 1440, "valueuom": "min", "patientweight": 80,
         "ordercategoryname": "Dialysis", "statusdescription": "FinishedRunning"},
        {"stay_id": C, "starttime": "2150-03-01 09:00:00", "endtime": "2150-03-01 10:00:00",
         "itemid": 225441, "value": "", "valueuom": "min", "patientweight": 70,
         "ordercategoryname": "Dialysis", "statusdescription": "Stopped"},
    ]  # fmt: skip


def _prescriptions() -> list[dict[str, object]]:
    return [
        {"subject_id": _SUBJECT[B], "hadm_id": _HADM[B], "starttime": "2150-02-01 14:00:00",
         "stoptime": "2150-02-03 14:00:00", "drug": "Vancomycin", "route": "IV"},
        {"subject_id": _SUBJECT[B], "hadm_id": _HADM[B], "starttime": "2150-02-01 09:00:00",
         "stoptime": "2150-02-02 09:00:00", "drug": "Erythromycin Ointment", "route": "TP"},
    ]  # fmt: skip


def _micro() -> list[dict[str, object]]:
    return [
        {"microevent_id": 1, "subject_id": _SUBJECT[B], "hadm_id": _HADM[B],
         "micro_specimen_id": 900, "chartdate": "2150-02-01 00:00:00",
         "charttime": "2150-02-01 12:00:00", "spec_type_desc": "BLOOD CULTURE"},
    ]  # fmt: skip


def _fill(rows: list[dict[str, object]], table: str) -> pd.DataFrame:
    columns = COLUMNS[table]
    frame = pd.DataFrame(rows)
    if "stay_id" in frame.columns and "stay_id" in columns:
        frame["subject_id"] = frame["stay_id"].map(_SUBJECT)
        frame["hadm_id"] = frame["stay_id"].map(_HADM)
    for col in columns:
        if col not in frame.columns:
            frame[col] = ""
    return frame[columns]


def write_mimic_iv_demo(folder: str | Path) -> Path:
    """Write the demo MIMIC-IV tables under ``folder`` (created) and return it.

    Examples
    --------
    >>> import tempfile
    >>> root = write_mimic_iv_demo(tempfile.mkdtemp())
    >>> sorted(p.name for p in (root / "icu").iterdir())[:2]
    ['chartevents.csv.gz', 'icustays.csv.gz']
    """
    root = Path(folder)
    tables = {
        "icu/icustays": _stays(),
        "icu/chartevents": _chart(),
        "icu/outputevents": _output(),
        "icu/inputevents": _inputs(),
        "icu/procedureevents": _procedures(),
        "hosp/labevents": _labs(),
        "hosp/prescriptions": _prescriptions(),
        "hosp/microbiologyevents": _micro(),
    }
    for table, rows in tables.items():
        frame = _fill(rows, table)
        if table == "hosp/labevents":
            frame["labevent_id"] = range(1, len(frame) + 1)
        if table == "icu/icustays":
            frame["last_careunit"] = frame["first_careunit"]
        path = root / f"{table}.csv.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(path, index=False, compression="gzip")
    return root


__all__ = ["write_mimic_iv_demo"]
