"""A tiny eICU-CRD-shaped database: real table and column names, invented values.

``write_eicu_demo(folder)`` writes ``patient``, ``lab``, ``vitalperiodic``,
``nursecharting``, ``intakeoutput``, ``infusiondrug`` and ``medication`` as ``.csv.gz`` (the
PhysioNet layout of eICU-CRD v2.0) for two ICU unit stays, so ``sepsistwin data from-eicu``
can be tried and tested without credentialed access. No value comes from a real patient.

Stay 141001: septic shock, admission weight 70 kg. Its day-0 SOFA, counted by hand (and
asserted in tests/data/test_data_eicu.py):

=============  ==========================================================  ======
component      day-0 worst value                                           points
=============  ==========================================================  ======
respiration    paO2 70 mmHg / FiO2 50 % = 140 (no ventilation in the map)  2
coagulation    platelets x 1000: 90                                        2
liver          total bilirubin 1.5 mg/dL                                   1
cardiovascular Norepinephrine (mcg/min) 14 / 70 kg = 0.2 ug/kg/min         4
CNS            GCS Total 13                                                1
renal          creatinine 2.2 mg/dL (latest revision of the 100-min result)  2
=============  ==========================================================  ======

SOFA 12. The monitor's arterial MAP (62) and the charted cuff MAP (66) at offset 60 are one
measurement of 64 mmHg. Rows a real extract has and the importer must report, never
silently use: a lactate without a number, a norepinephrine rate in mL/h (no concentration),
a cancelled ceftriaxone order and a heart rate of 400/min (stay 141002).

Stay 141002: a fever charted in Fahrenheit (101.3 F = 38.5 C) and vasopressin running (a
flag: its units/min are not a catalogue rate).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

COLUMNS: dict[str, list[str]] = {
    "patient": [
        "patientunitstayid", "patienthealthsystemstayid", "gender", "age", "ethnicity",
        "hospitalid", "wardid", "apacheadmissiondx", "admissionheight", "hospitaladmittime24",
        "hospitaladmitoffset", "hospitaladmitsource", "hospitaldischargeyear",
        "hospitaldischargetime24", "hospitaldischargeoffset", "hospitaldischargelocation",
        "hospitaldischargestatus", "unittype", "unitadmittime24", "unitadmitsource",
        "unitvisitnumber", "unitstaytype", "admissionweight", "dischargeweight",
        "unitdischargetime24", "unitdischargeoffset", "unitdischargelocation",
        "unitdischargestatus", "uniquepid",
    ],
    "lab": [
        "labid", "patientunitstayid", "labresultoffset", "labtypeid", "labname", "labresult",
        "labresulttext", "labmeasurenamesystem", "labmeasurenameinterface",
        "labresultrevisedoffset",
    ],
    "vitalperiodic": [
        "vitalperiodicid", "patientunitstayid", "observationoffset", "temperature", "sao2",
        "heartrate", "respiration", "cvp", "etco2", "systemicsystolic", "systemicdiastolic",
        "systemicmean", "pasystolic", "padiastolic", "pamean", "st1", "st2", "st3", "icp",
    ],
    "nursecharting": [
        "nursingchartid", "patientunitstayid", "nursingchartoffset", "nursingchartentryoffset",
        "nursingchartcelltypecat", "nursingchartcelltypevallabel",
        "nursingchartcelltypevalname", "nursingchartvalue",
    ],
    "intakeoutput": [
        "intakeoutputid", "patientunitstayid", "intakeoutputoffset", "intaketotal",
        "outputtotal", "dialysistotal", "nettotal", "intakeoutputentryoffset", "cellpath",
        "celllabel", "cellvaluenumeric", "cellvaluetext",
    ],
    "infusiondrug": [
        "infusiondrugid", "patientunitstayid", "infusionoffset", "drugname", "drugrate",
        "infusionrate", "drugamount", "volumeoffluid", "patientweight",
    ],
    "medication": [
        "medicationid", "patientunitstayid", "drugorderoffset", "drugstartoffset",
        "drugivadmixture", "drugordercancelled", "drugname", "drughiclseqno", "dosage",
        "routeadmin", "frequency", "loadingdose", "prn", "drugstopoffset", "gtc",
    ],
}  # fmt: skip

S1, S2 = 141001, 141002
_UO = "flowsheet|Flowsheet Cell Labels|I&O|Output (ml)|"


def _tables() -> dict[str, list[dict[str, object]]]:
    return {
        "patient": [
            {"patientunitstayid": S1, "unittype": "Med-Surg ICU", "admissionweight": 70,
             "unitdischargeoffset": 4320, "unitdischargestatus": "Alive", "age": "67"},
            {"patientunitstayid": S2, "unittype": "MICU", "admissionweight": 82,
             "unitdischargeoffset": 1440, "unitdischargestatus": "Alive", "age": "> 89"},
        ],
        "lab": [
            {"patientunitstayid": S1, "labresultoffset": 120, "labname": "paO2",
             "labresult": 70, "labmeasurenamesystem": "mm Hg", "labresultrevisedoffset": 125},
            {"patientunitstayid": S1, "labresultoffset": 120, "labname": "FiO2",
             "labresult": 50, "labmeasurenamesystem": "%", "labresultrevisedoffset": 125},
            {"patientunitstayid": S1, "labresultoffset": 100, "labname": "platelets x 1000",
             "labresult": 90, "labmeasurenamesystem": "K/mcL", "labresultrevisedoffset": 110},
            {"patientunitstayid": S1, "labresultoffset": 100, "labname": "total bilirubin",
             "labresult": 1.5, "labmeasurenamesystem": "mg/dL", "labresultrevisedoffset": 110},
            {"patientunitstayid": S1, "labresultoffset": 100, "labname": "creatinine",
             "labresult": 2.0, "labmeasurenamesystem": "mg/dL", "labresultrevisedoffset": 110},
            {"patientunitstayid": S1, "labresultoffset": 100, "labname": "creatinine",
             "labresult": 2.2, "labmeasurenamesystem": "mg/dL", "labresultrevisedoffset": 130},
            {"patientunitstayid": S1, "labresultoffset": 100, "labname": "lactate",
             "labresult": "", "labresulttext": "see note", "labresultrevisedoffset": 110},
            {"patientunitstayid": S1, "labresultoffset": 150, "labname": "lactate",
             "labresult": 4.1, "labmeasurenamesystem": "mmol/L", "labresultrevisedoffset": 155},
        ],
        "vitalperiodic": [
            {"patientunitstayid": S1, "observationoffset": 60, "heartrate": 122,
             "respiration": 28, "sao2": 91, "systemicmean": 62, "temperature": 38.9},
            {"patientunitstayid": S2, "observationoffset": 30, "heartrate": 400},
            {"patientunitstayid": S2, "observationoffset": 35, "heartrate": 104},
        ],
        "nursecharting": [
            {"patientunitstayid": S1, "nursingchartoffset": 60,
             "nursingchartcelltypecat": "Vital Signs",
             "nursingchartcelltypevallabel": "Non-Invasive BP",
             "nursingchartcelltypevalname": "Non-Invasive BP Mean", "nursingchartvalue": "66"},
            {"patientunitstayid": S1, "nursingchartoffset": 240,
             "nursingchartcelltypecat": "Scores",
             "nursingchartcelltypevallabel": "Glasgow coma score",
             "nursingchartcelltypevalname": "GCS Total", "nursingchartvalue": "13"},
            {"patientunitstayid": S2, "nursingchartoffset": 60,
             "nursingchartcelltypecat": "Vital Signs",
             "nursingchartcelltypevallabel": "Temperature",
             "nursingchartcelltypevalname": "Temperature (F)", "nursingchartvalue": "101.3"},
        ],
        "intakeoutput": [
            {"patientunitstayid": S1, "intakeoutputoffset": off, "cellpath": _UO + "Urine",
             "celllabel": "Urine", "cellvaluenumeric": 20}
            for off in range(60, 1440, 60)
        ] + [
            {"patientunitstayid": S1, "intakeoutputoffset": 300,
             "cellpath": "flowsheet|Flowsheet Cell Labels|I&O|Intake (ml)|Crystalloids",
             "celllabel": "Crystalloids", "cellvaluenumeric": 500},
        ],
        "infusiondrug": [
            {"patientunitstayid": S1, "infusionoffset": 60,
             "drugname": "Norepinephrine (mcg/min)", "drugrate": "14", "patientweight": 70},
            {"patientunitstayid": S1, "infusionoffset": 60,
             "drugname": "Norepinephrine (ml/hr)", "drugrate": "10.5", "patientweight": 70},
            {"patientunitstayid": S2, "infusionoffset": 120,
             "drugname": "Vasopressin (units/min)", "drugrate": "0.04", "patientweight": ""},
        ],
        "medication": [
            {"patientunitstayid": S1, "drugorderoffset": 20, "drugstartoffset": 30,
             "drugstopoffset": 2880, "drugname": "VANCOMYCIN 1 G IV SOLR",
             "drugordercancelled": "No", "routeadmin": "Intravenous", "dosage": "1 g"},
            {"patientunitstayid": S1, "drugorderoffset": 20, "drugstartoffset": 30,
             "drugstopoffset": 1440, "drugname": "CEFTRIAXONE 2 G IV",
             "drugordercancelled": "Yes", "routeadmin": "Intravenous", "dosage": "2 g"},
        ],
    }  # fmt: skip


def write_eicu_demo(folder: str | Path) -> Path:
    """Write the demo eICU-CRD tables into ``folder`` (created) and return it.

    Examples
    --------
    >>> import tempfile
    >>> root = write_eicu_demo(tempfile.mkdtemp())
    >>> sorted(p.name for p in root.iterdir())[:2]
    ['infusiondrug.csv.gz', 'intakeoutput.csv.gz']
    """
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    for table, rows in _tables().items():
        frame = pd.DataFrame(rows)
        for col in COLUMNS[table]:
            if col not in frame.columns:
                frame[col] = ""
        id_col = COLUMNS[table][0]
        if id_col != "patientunitstayid":
            frame[id_col] = range(1, len(frame) + 1)
        frame[COLUMNS[table]].to_csv(root / f"{table}.csv.gz", index=False, compression="gzip")
    return root


__all__ = ["write_eicu_demo"]
