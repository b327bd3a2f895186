"""Daily assessment: SOFA, qSOFA, SIRS, Sepsis-3, septic shock and immune phenotype.

The same code assesses a real patient's timeline and a virtual patient's model
outputs, so a virtual trial enrolls by exactly the rules a real one uses.
Every rule that fires is written to ``reasons`` with its values; every variable
the day lacked for a rule is listed in ``missing``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sepsistwin.clinical import sofa, sofa2
from sepsistwin.clinical.config import ClinicalConfig, default_config
from sepsistwin.clinical.daily import PF_RATIO, SF_RATIO, daily_extremes

PHENOTYPES = ("MALS", "immunoparalysis", "intermediate", "indeterminate")
IMMUNE_STATES = ("hyperinflammatory", "immunosuppressed", "mixed", "balanced", "indeterminate")
SOFA_COMPONENTS = (
    "sofa_respiration",
    "sofa_coagulation",
    "sofa_liver",
    "sofa_cardiovascular",
    "sofa_cns",
    "sofa_renal",
)
SOFA2_COMPONENTS = sofa2.COMPONENTS
RESULT_COLUMNS = (
    "patient_id",
    "day",
    "sofa",
    *SOFA_COMPONENTS,
    "qsofa",
    "sirs",
    "sepsis3",
    "septic_shock",
    "phenotype",
    "immune_state",
    "reasons",
    "missing",
)

_STR = np.dtypes.StringDType()
TextArray = np.ndarray[Any, Any]  # numpy StringDType arrays (no precise stub type yet)


class _Trace:
    """Per-row lists of texts, built rule by rule without a Python loop over rows.

    Each :meth:`add` formats text only for the rows where its rule fired; numbers are
    formatted with vectorised string ufuncs. :meth:`to_lists` groups all texts by row,
    keeping the order in which the rules were added.
    """

    def __init__(self, n: int, enabled: bool = True) -> None:
        self.n = n
        self.enabled = enabled
        self._rows: list[NDArray[np.intp]] = []
        self._texts: list[NDArray[np.object_]] = []

    def add(self, mask: NDArray[np.bool_], *parts: str | NDArray[Any]) -> None:
        """Add the concatenation of ``parts`` to every row where ``mask`` is true.

        A part is a literal string, a float array (formatted, NaN as 'not measured')
        or an array of strings; arrays are indexed by row.
        """
        if not self.enabled:
            return
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            return
        if all(isinstance(p, str) for p in parts):
            text = np.full(idx.size, "".join(str(p) for p in parts), dtype=object)
        else:
            piece: TextArray = np.full(idx.size, "", dtype=_STR)
            for part in parts:
                if isinstance(part, str):
                    piece = np.strings.add(piece, part)
                elif part.dtype.kind == "f":
                    piece = np.strings.add(piece, _fmt(part[idx]))
                else:
                    piece = np.strings.add(piece, part[idx].astype(_STR))
            text = piece.astype(object)
        self._rows.append(idx)
        self._texts.append(text)

    def to_lists(self) -> list[list[str]]:
        """One list of texts per row (empty where nothing was added)."""
        if not self._rows:
            return [[] for _ in range(self.n)]
        rows = np.concatenate(self._rows)
        order = np.argsort(rows, kind="stable")  # stable: rule order kept within a row
        flat = np.concatenate(self._texts)[order].tolist()
        ends = np.cumsum(np.bincount(rows, minlength=self.n)).tolist()
        starts = [0, *ends[:-1]]
        return [flat[a:b] for a, b in zip(starts, ends, strict=True)]


def _fmt(x: NDArray[np.float64]) -> TextArray:
    """Numbers as short text: 4 significant digits, no trailing '.0'; NaN as 'not measured'."""
    finite = np.isfinite(x)
    safe = np.where(finite & (x != 0), np.abs(x), 1.0)
    decimals = np.clip(3 - np.floor(np.log10(safe)), 0, 6)
    rounded = np.round(np.where(finite, x, 0.0) * 10.0**decimals) / 10.0**decimals
    text = rounded.astype(_STR)
    text = np.where(np.strings.endswith(text, ".0"), np.strings.slice(text, 0, -2), text)
    return np.where(finite, text, "not measured").astype(_STR)


def _col(daily: pd.DataFrame, name: str) -> NDArray[np.float64]:
    if name in daily.columns:
        return daily[name].to_numpy(dtype=float)
    return np.full(len(daily), np.nan)


def _same_patient_shift(
    values: NDArray[np.bool_], patient: NDArray[Any], k: int, fill: bool
) -> NDArray[np.bool_]:
    """values shifted by k rows within each patient (k>0 looks k days later)."""
    out = np.full_like(values, fill)
    n = len(values)
    if abs(k) >= n:
        return out
    if k > 0:
        same = patient[k:] == patient[:-k]
        out[:-k] = np.where(same, values[k:], fill)
    elif k < 0:
        same = patient[:k] == patient[-k:]
        out[-k:] = np.where(same, values[:k], fill)
    else:
        out[:] = values
    return out


def assess(
    observations: pd.DataFrame,
    *,
    baseline_sofa: Mapping[str, int] | None = None,
    config: ClinicalConfig | None = None,
    trace: bool = True,
    sofa2: bool = False,
    sepsis3_score: Literal["sofa", "sofa2"] = "sofa",
) -> pd.DataFrame:
    """Assess every patient-day: SOFA and components, qSOFA, SIRS, Sepsis-3, shock, phenotype.

    Parameters
    ----------
    observations
        Long table ``patient_id, hours, variable, value`` in canonical units (the
        ``observations`` of a :class:`sepsistwin.data.Timeline`).
    baseline_sofa
        Pre-infection SOFA per patient for the Sepsis-3 rise; 0 when not given.
    config
        Thresholds; :func:`sepsistwin.clinical.default_config` when omitted.
    trace
        Build the ``reasons`` and ``missing`` columns (the explanation of every row).
        ``False`` leaves both columns out and computes the same values faster (a virtual
        trial screens thousands of patients and reads none of the explanations).
    sofa2
        Also compute SOFA-2 (JAMA 2025): columns ``sofa2`` and :data:`SOFA2_COMPONENTS`
        after the SOFA components (docs/clinical-rules.md states its edge cases).
    sepsis3_score
        The score whose rise over baseline defines Sepsis-3: ``"sofa"`` (default, the
        Sepsis-3 definition) or ``"sofa2"`` (computes SOFA-2).

    Returns
    -------
    pandas.DataFrame
        One row per patient and day (day 0 = first 24 h from time zero) with the
        columns of :data:`RESULT_COLUMNS`, then the day's worst value of every
        variable (named as the variable, e.g. ``ferritin`` = day maximum,
        ``mhla_dr`` = day minimum) and ``pf_ratio``.

    Examples
    --------
    >>> obs = pd.DataFrame({"patient_id": ["p1", "p1"], "hours": [2.0, 3.0],
    ...                     "variable": ["ferritin", "mhla_dr"], "value": [900.0, 3200.0]})
    >>> assess(obs).loc[0, "phenotype"]
    'immunoparalysis'
    """
    cfg = config or default_config()
    daily = daily_extremes(observations, cfg)
    n = len(daily)
    reasons, missing = _Trace(n, trace), _Trace(n, trace)
    patient = daily["patient_id"].to_numpy()

    def lo(v: str) -> NDArray[np.float64]:
        return _col(daily, f"{v}_min")

    def hi(v: str) -> NDArray[np.float64]:
        return _col(daily, f"{v}_max")

    def worst(v: str) -> NDArray[np.float64]:
        return lo(v) if cfg.worst.get(v, "max") == "min" else hi(v)

    def note_missing(v: str, values: NDArray[np.float64]) -> NDArray[np.bool_]:
        absent = np.isnan(values)
        missing.add(absent, v)
        return absent

    t = cfg.sofa
    # --- SOFA components -------------------------------------------------------------
    pf = lo(PF_RATIO)
    pao2, fio2 = lo("pao2"), hi("fio2")
    vent_flag = hi("mechanical_ventilation")
    ventilated = vent_flag > 0
    note_missing("pao2", pao2)
    fio2_absent = note_missing("fio2", fio2)
    unpaired = np.isnan(pf) & ~np.isnan(pao2) & ~fio2_absent
    reasons.add(
        unpaired,
        "respiration not scored: no FiO2 at or before the day's PaO2 within ",
        f"{t.fio2_lookback_hours:g} h",
    )
    resp = sofa.respiration(pf, ventilated, t)
    capped = (pf < t.respiration_pf_mmhg[2]) & ~ventilated
    reasons.add(
        capped & np.isnan(vent_flag),
        "respiration capped at 2: no mechanical_ventilation record (taken as not ventilated)",
    )
    missing.add(capped & np.isnan(vent_flag), "mechanical_ventilation")
    reasons.add(
        resp > 0,
        "SOFA respiration ",
        resp,
        ": PaO2/FiO2 ",
        pf,
        " mmHg",
        np.where(ventilated, " on mechanical ventilation", ""),
    )

    plt = worst("platelets")
    note_missing("platelets", plt)
    coag = sofa.coagulation(plt, t)
    reasons.add(coag > 0, "SOFA coagulation ", coag, ": platelets ", plt, " x10^9/L")

    bili = worst("bilirubin")
    note_missing("bilirubin", bili)
    liv = sofa.liver(bili, t)
    reasons.add(liv > 0, "SOFA liver ", liv, ": bilirubin ", bili, " mg/dL")

    mapv = worst("map")
    drugs = {d: worst(d) for d in ("norepinephrine", "epinephrine", "dopamine", "dobutamine")}
    any_drug = np.zeros(n, dtype=bool)
    for v in drugs.values():
        any_drug |= v > 0
    missing.add(np.isnan(mapv) & ~any_drug, "map")
    cv = sofa.cardiovascular(
        mapv,
        drugs["norepinephrine"],
        drugs["epinephrine"],
        drugs["dopamine"],
        drugs["dobutamine"],
        t,
    )
    cv_text: TextArray = np.full(n, "", dtype=_STR)
    for name, v in drugs.items() if trace else ():
        on = v > 0
        cv_text[on] = np.strings.add(
            np.strings.add(cv_text[on], f", {name} "), np.strings.add(_fmt(v[on]), " ug/kg/min")
        )
    reasons.add(cv > 0, "SOFA cardiovascular ", cv, ": MAP ", mapv, " mmHg", cv_text)

    gcs = worst("gcs")
    note_missing("gcs", gcs)
    cn = sofa.cns(gcs, t)
    reasons.add(cn > 0, "SOFA CNS ", cn, ": GCS ", gcs)

    creat, urine = worst("creatinine"), worst("urine_output")
    note_missing("creatinine", creat)
    note_missing("urine_output", urine)
    ren = sofa.renal(creat, urine, t)
    reasons.add(
        ren > 0,
        "SOFA renal ",
        ren,
        ": creatinine ",
        creat,
        " mg/dL, urine output ",
        urine,
        " mL/day",
    )

    components = {
        "sofa_respiration": resp,
        "sofa_coagulation": coag,
        "sofa_liver": liv,
        "sofa_cardiovascular": cv,
        "sofa_cns": cn,
        "sofa_renal": ren,
    }
    total = np.sum(np.stack(list(components.values())), axis=0)
    if sepsis3_score not in ("sofa", "sofa2"):
        raise ValueError(f"sepsis3_score '{sepsis3_score}' is not known; expected sofa or sofa2")
    components2: dict[str, NDArray[np.int64]] = {}
    if sofa2 or sepsis3_score == "sofa2":
        components2 = _sofa2_components(daily, cfg, worst, pf, reasons, missing)
    total2 = np.sum(np.stack(list(components2.values())), axis=0) if components2 else None

    # --- qSOFA and SIRS ------------------------------------------------------------
    q, s = cfg.qsofa, cfg.sirs
    rr_max, sbp = hi("resp_rate"), worst("sbp")
    note_missing("resp_rate", rr_max)
    note_missing("sbp", sbp)
    qsofa = (rr_max >= q.resp_rate_per_min).astype(np.int64) + (gcs < q.gcs) + (sbp <= q.sbp_mmhg)
    temp_hi, temp_lo = hi("temperature"), lo("temperature")
    hr, wbc_hi, wbc_lo = hi("heart_rate"), hi("wbc"), lo("wbc")
    note_missing("temperature", temp_hi)
    note_missing("heart_rate", hr)
    note_missing("wbc", wbc_hi)
    sirs = (
        ((temp_hi > s.temperature_high_c) | (temp_lo < s.temperature_low_c)).astype(np.int64)
        + (hr > s.heart_rate_per_min)
        + (rr_max > s.resp_rate_per_min)
        + ((wbc_hi > s.wbc_high_1e9_per_l) | (wbc_lo < s.wbc_low_1e9_per_l))
    )

    # --- Sepsis-3 ------------------------------------------------------------------
    sep = cfg.sepsis3
    suspected_today = hi("infection_suspected") > 0
    note_missing("infection_suspected", hi("infection_suspected"))
    suspected = np.zeros(n, dtype=bool)
    for k in range(-sep.suspicion_days_after, sep.suspicion_days_before + 1):
        suspected |= _same_patient_shift(suspected_today, patient, k, False)
    base = daily["patient_id"].map(dict(baseline_sofa or {})).fillna(0).to_numpy(dtype=np.int64)
    sepsis_total = total2 if sepsis3_score == "sofa2" and total2 is not None else total
    sepsis3 = suspected & (sepsis_total - base >= sep.sofa_rise)
    reasons.add(
        sepsis3,
        "Sepsis-3: suspected infection and SOFA-2 "
        if sepsis3_score == "sofa2"
        else "Sepsis-3: suspected infection and SOFA ",
        sepsis_total,
        " >= baseline ",
        base,
        " + ",
        str(sep.sofa_rise),
    )

    # --- Septic shock ---------------------------------------------------------------
    sh = cfg.septic_shock
    lactate = worst("lactate")
    pressor = np.zeros(n, dtype=bool)
    for d in sh.vasopressors:
        pressor |= worst(d) > 0
    note_missing("lactate", lactate)
    shock = pressor & (lactate > sh.lactate_mmol_l)
    reasons.add(
        shock,
        "septic shock: vasopressor running and lactate ",
        lactate,
        " > ",
        f"{sh.lactate_mmol_l:g} mmol/L",
    )
    reasons.add(
        pressor & np.isnan(lactate),
        "septic shock not assessable: vasopressor running, lactate missing",
    )

    # --- Immune phenotype (PROVIDE / ImmunoSep) -------------------------------------
    ph = cfg.phenotype
    ferritin, hla = worst("ferritin"), worst("mhla_dr")
    ferritin_absent = note_missing("ferritin", ferritin)
    hla_absent = note_missing("mhla_dr", hla)
    mals = ferritin > ph.mals_ferritin_ng_ml
    low_ferritin = ferritin <= ph.mals_ferritin_ng_ml
    paralysis = low_ferritin & (hla < ph.immunoparalysis_mhla_dr_ab_c)
    intermediate = low_ferritin & (hla >= ph.immunoparalysis_mhla_dr_ab_c)
    phenotype = np.select(
        [mals, paralysis, intermediate],
        ["MALS", "immunoparalysis", "intermediate"],
        "indeterminate",
    )
    fmax, hmin = f"{ph.mals_ferritin_ng_ml:g}", f"{ph.immunoparalysis_mhla_dr_ab_c:g}"
    reasons.add(mals, "MALS: ferritin ", ferritin, f" > {fmax} ng/mL")
    reasons.add(
        paralysis,
        "immunoparalysis: ferritin ",
        ferritin,
        f" <= {fmax} ng/mL and mHLA-DR ",
        hla,
        f" < {hmin} AB/C",
    )
    reasons.add(
        intermediate,
        "intermediate: ferritin ",
        ferritin,
        f" <= {fmax} ng/mL and mHLA-DR ",
        hla,
        f" >= {hmin} AB/C",
    )
    reasons.add(
        ferritin_absent, "phenotype indeterminate: ferritin missing (MALS cannot be excluded)"
    )
    reasons.add(
        low_ferritin & hla_absent,
        "phenotype indeterminate: ferritin ",
        ferritin,
        f" <= {fmax} ng/mL but mHLA-DR missing",
    )

    # --- Immune state (hyper- / hypo-inflammation, mixed) ---------------------------
    im = cfg.immune_state
    il6, il10, tnf, lymph = worst("il6"), worst("il10"), worst("tnf"), worst("lymphocytes")
    note_missing("il6", il6)
    note_missing("il10", il10)
    note_missing("tnf", tnf)
    note_missing("lymphocytes", lymph)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(tnf > im.tnf_raised_pg_ml.value, il10 / tnf, np.nan)
    hyper_checks = [
        (il6 > im.il6_high_pg_ml.value, "IL-6 ", il6, f" > {im.il6_high_pg_ml.value:g} pg/mL"),
        (
            ferritin > im.ferritin_high_ng_ml.value,
            "ferritin ",
            ferritin,
            f" > {im.ferritin_high_ng_ml.value:g} ng/mL",
        ),
        (
            ratio < im.il10_tnf_ratio_low.value,
            "IL-10/TNF ",
            ratio,
            f" < {im.il10_tnf_ratio_low.value:g}",
        ),
    ]
    hypo_checks = [
        (
            hla < im.mhla_dr_low_ab_c.value,
            "mHLA-DR ",
            hla,
            f" < {im.mhla_dr_low_ab_c.value:g} AB/C",
        ),
        (
            lymph <= im.lymphocytes_low_1e9_l.value,
            "lymphocytes ",
            lymph,
            f" <= {im.lymphocytes_low_1e9_l.value:g} x10^9/L",
        ),
        (il10 > im.il10_high_pg_ml.value, "IL-10 ", il10, f" > {im.il10_high_pg_ml.value:g} pg/mL"),
        (
            ratio > im.il10_tnf_ratio_high.value,
            "IL-10/TNF ",
            ratio,
            f" > {im.il10_tnf_ratio_high.value:g}",
        ),
    ]
    hyper = np.zeros(n, dtype=bool)
    hypo = np.zeros(n, dtype=bool)
    for fired, label, value, rule in hyper_checks:
        hyper |= fired
        reasons.add(fired, "hyperinflammatory signal: ", label, value, rule)
    for fired, label, value, rule in hypo_checks:
        hypo |= fired
        reasons.add(fired, "immunosuppression signal: ", label, value, rule)
    hyper_known = ~np.isnan(il6) | ~np.isnan(ferritin) | ~np.isnan(ratio)
    hypo_known = ~np.isnan(hla) | ~np.isnan(lymph) | ~np.isnan(il10)
    state = np.select(
        [hyper & hypo, hyper & hypo_known, hypo & hyper_known, hyper_known & hypo_known],
        ["mixed", "hyperinflammatory", "immunosuppressed", "balanced"],
        "indeterminate",
    )
    reasons.add(
        (state == "indeterminate") & ~hyper_known,
        "immune state indeterminate: no IL-6, ferritin or IL-10/TNF",
    )
    reasons.add(
        (state == "indeterminate") & ~hypo_known,
        "immune state indeterminate: no mHLA-DR, lymphocytes or IL-10",
    )

    out = pd.DataFrame(
        {
            "patient_id": daily["patient_id"].to_numpy(),
            "day": daily["day"].to_numpy(dtype=np.int64),
            "sofa": total,
            **components,
            **({"sofa2": total2, **components2} if total2 is not None else {}),
            "qsofa": qsofa,
            "sirs": sirs,
            "sepsis3": sepsis3,
            "septic_shock": shock,
            "phenotype": phenotype.astype(object),
            "immune_state": state.astype(object),
            **({"reasons": reasons.to_lists(), "missing": missing.to_lists()} if trace else {}),
        }
    )
    for name in cfg.worst:
        out[name] = worst(name)
    out[PF_RATIO] = pf
    if components2:
        out[SF_RATIO] = _col(daily, f"{SF_RATIO}_min")
    return out


def _sofa2_components(
    daily: pd.DataFrame,
    cfg: ClinicalConfig,
    worst: Any,
    pf: NDArray[np.float64],
    reasons: _Trace,
    missing: _Trace,
) -> dict[str, NDArray[np.int64]]:
    """SOFA-2 components of every patient-day, with their reasons and missing inputs."""
    t = cfg.sofa2

    def flag(name: str) -> NDArray[np.bool_]:
        return np.asarray(worst(name) > 0)

    sf = _col(daily, f"{SF_RATIO}_min")
    advanced = flag("mechanical_ventilation") | flag("advanced_respiratory_support")
    ecmo = flag("ecmo")
    resp = sofa2.respiration(pf, sf, advanced, ecmo, t)
    reasons.add(
        (resp > 0) & ~np.isnan(pf),
        "SOFA-2 respiration ",
        resp,
        ": PaO2/FiO2 ",
        pf,
        " mmHg",
        np.where(advanced, " on advanced respiratory support", ""),
        np.where(ecmo, ", ECMO", ""),
    )
    reasons.add(
        (resp > 0) & np.isnan(pf),
        "SOFA-2 respiration ",
        resp,
        ": SpO2/FiO2 ",
        sf,
        np.where(advanced, " on advanced respiratory support", ""),
        np.where(ecmo, ", ECMO", ""),
    )
    plt = worst("platelets")
    hem = sofa2.hemostasis(plt, t)
    reasons.add(hem > 0, "SOFA-2 hemostasis ", hem, ": platelets ", plt, " x10^9/L")
    bili = worst("bilirubin")
    liv = sofa2.liver(bili, t)
    reasons.add(liv > 0, "SOFA-2 liver ", liv, ": bilirubin ", bili, " mg/dL")
    mapv = worst("map")
    ne, epi = worst("norepinephrine"), worst("epinephrine")
    dop, dob = worst("dopamine"), worst("dobutamine")
    other, mcs = flag("other_vasoactive"), flag("mechanical_circulatory_support")
    cv = sofa2.cardiovascular(mapv, ne, epi, dop, dob, other, mcs, t)
    reasons.add(
        cv > 0,
        "SOFA-2 cardiovascular ",
        cv,
        ": MAP ",
        mapv,
        " mmHg, norepinephrine + epinephrine ",
        np.nan_to_num(ne) + np.nan_to_num(epi),
        " ug/kg/min",
        np.where(other | (np.nan_to_num(dob) > 0), ", another vasopressor/inotrope", ""),
        np.where(mcs, ", mechanical circulatory support", ""),
    )
    gcs = worst("gcs")
    br = sofa2.brain(gcs, t)
    reasons.add(br > 0, "SOFA-2 brain ", br, ": GCS ", gcs)
    creat, urine = worst("creatinine"), worst("urine_output")
    # Weight is charted rarely: the patient's latest weight up to the day, else the first.
    weight = (
        pd.Series(worst("weight"))
        .groupby(daily["patient_id"].to_numpy(), sort=False)
        .transform(lambda w: w.ffill().bfill())
        .to_numpy(dtype=float)
    )
    missing.add(~np.isnan(urine) & np.isnan(weight), "weight")
    rrt = flag("rrt")
    kid = sofa2.kidney(creat, urine, weight, rrt, t)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_kg_h = urine / weight / 24.0
    reasons.add(
        kid > 0,
        "SOFA-2 kidney ",
        kid,
        ": creatinine ",
        creat,
        " mg/dL, urine ",
        per_kg_h,
        " mL/kg/h",
        np.where(rrt, ", renal replacement therapy", ""),
    )
    return dict(zip(sofa2.COMPONENTS, (resp, hem, liv, cv, br, kid), strict=True))
