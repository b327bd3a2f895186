"""Organ dysfunction mapped to the six SOFA components, clinical observables, and death.

Damage ``D`` of the Reynolds core (0 healthy; ~17.5 on the death attractor in
simulation) is turned into a dysfunction index ``OD`` in [0, 1]; each organ adds its own driver:
vasoplegia from TNF (cardiovascular), hepatobiliary dysfunction and DIC from activated
macrophages (liver, coagulation: the MALS signature, Shakoory 2016 / Kyriazopoulou 2017,
VERIFIED). Each driver maps to the catalogue variable the clinical SOFA code reads (PaO2/FiO2 with
ventilation, platelets, bilirubin, MAP/norepinephrine, GCS, creatinine), so
``sepsistwin.clinical.assess`` scores a virtual patient like a real one. Bilirubin follows the
BioGears SOFA-banded idea; every mapping constant is PROPOSAL.

Death (PROPOSAL: a smooth hazard of organ failure that vanishes in
health, the IIRABM "fraction of tissue lost" rule made probabilistic): the hazard per hour
``h = exp(death_log_h3)*(OFP/3)^death_gamma`` (a Weibull-type power of the persistent organ
failure ``OFP``: the organ failure index ``OFI``, the sum of the six drivers, 0-6, averaged over
the last ~``tau_ofp`` = 48 h) is 0 without organ failure (a healthy subject has OFI ~0.01, so
h < 1e-10 per hour) and rises steeply in persistent multi-organ failure: a transient peak of
organ failure kills less than the same failure sustained for days. ``HZ`` integrates
it, and a patient with uniform draw ``U`` dies at the first time ``HZ >= -log(U)``
(``sepsistwin.population``). ``death_log_h3``, ``death_gamma`` and ``tau_ofp`` are CALIBRATED
to the septic-shock mortality and early-death share (Daviaud 2015) and PROVIDE's mortality
ratios by phenotype.
"""

from __future__ import annotations

from sepsistwin.model.immune._hooks import CALIBRATED, PROPOSAL, hook, provide
from sepsistwin.model.model import ModelBuilder

PARAMETERS: tuple[tuple[str, float, str, str, str], ...] = (
    ("K_od", 6.0, "D-unit", PROPOSAL, "damage for half-maximal organ dysfunction"),
    ("map0", 85.0, "mmHg", "normal MAP (general knowledge)", "baseline MAP"),
    ("map_drop", 50.0, "mmHg", PROPOSAL, "MAP fall at full vasoplegia"),
    ("K_tnf_cv", 300.0, "pg/mL", PROPOSAL, "TNF for half-maximal vasoplegia contribution"),
    (
        "ne_per_mmhg",
        0.012,
        "ug/kg/min/mmHg",
        PROPOSAL,
        "norepinephrine dose per mmHg of MAP deficit below 65",
    ),
    ("plt0", 250.0, "1e9/L", "normal platelets 150-400 (general knowledge)", "baseline platelets"),
    ("w_mac_coag", 1.2, "1", PROPOSAL, "DIC driven by activated macrophages"),
    ("w_mac_liver", 1.5, "1", PROPOSAL, "hepatobiliary dysfunction by activated macrophages"),
    ("crea0", 0.9, "mg/dL", "normal creatinine (general knowledge)", "baseline creatinine"),
    ("death_log_h3", -8.5, "log(1/h)", CALIBRATED, "log death hazard at persistent OFI = 3"),
    (
        "tau_ofp",
        48.0,
        "h",
        f"{CALIBRATED}: with the hazard constants, to the share of septic-shock deaths within "
        "3 days (32%, Daviaud 2015 doi 10.1186/s13613-015-0058-8, VERIFIED); default 48 h, the "
        "duration that makes organ failure persistent (Banks 2013 Gut 62:102 doi "
        "10.1136/gutjnl-2012-302779, RECALLED)",
        "averaging time of the organ failure that drives the death hazard",
    ),
    (
        "death_gamma",
        8.0,
        "1",
        CALIBRATED,
        "power of OFI in the hazard (>= 2, so the hazard vanishes without organ failure)",
    ),
)


def organs(b: ModelBuilder) -> None:
    """SOFA-component observables, vital signs, the organ failure index and the death hazard."""
    for name, value, unit, source, meaning in PARAMETERS:
        b.add_parameter(name, value, unit, source, meaning)
    hook(b, "TNF_free", "TNF", "pg/mL", "unneutralised TNF")
    hook(b, "Mac_act", "0", "1", "hyperactivated macrophage fraction")
    b.add_expression("OD", "D**2/(D**2 + K_od**2)", "1", "generic organ dysfunction from damage")
    provide(
        b,
        "org_cv",
        "min(0.9*OD + 0.3*TNF_free/(TNF_free + K_tnf_cv), 1)",
        "1",
        "vasoplegia (cardiovascular driver)",
    )
    provide(b, "org_resp", "OD", "1", "lung injury driver")
    b.add_expression("org_coag", "min(0.8*OD + w_mac_coag*Mac_act, 1)", "1", "coagulopathy driver")
    b.add_expression(
        "org_liver", "min(0.6*OD + w_mac_liver*Mac_act, 1)", "1", "hepatobiliary driver"
    )
    b.add_expression("org_renal", "OD", "1", "kidney injury driver")
    b.add_expression("org_cns", "0.9*OD", "1", "encephalopathy driver")
    provide(
        b,
        "OFI",
        "org_cv + org_resp + org_coag + org_liver + org_renal + org_cns",
        "1",
        "organ failure index (0-6)",
    )
    b.add_expression("map_native", "map0 - map_drop*org_cv", "mmHg", "MAP without vasopressors")
    b.add_expression("pf_native", "480 - 400*org_resp", "mmHg", "PaO2/FiO2")
    b.add_state("HZ", "1", 0.0, "cumulative death hazard", PROPOSAL)
    b.add_state(
        "OFP",
        "1",
        0.0,
        "persistent organ failure (OFI averaged over the last ~tau_ofp hours)",
        "none in health",
    )
    b.add_expression("OFI_pos", "max(OFI, 0)", "1", "organ failure index, guarded at 0")
    b.add_term("OFP", "(OFI_pos - OFP)/tau_ofp", "OFP_tracking", "tracks OFI with a lag")
    b.add_expression(
        "death_hazard",
        "exp(death_log_h3)*(max(OFP, 0)/3)**death_gamma",
        "1/h",
        "death hazard: 0 without organ failure, steep in multi-organ failure",
    )
    b.add_term("HZ", "death_hazard", "HZ_hazard", "death hazard")

    obs = b.add_observable
    obs("map", "max(map_native, 66)", "mmHg", "MAP (vasopressors titrated to >= 65 mmHg)")
    obs(
        "norepinephrine",
        "ne_per_mmhg*max(65 - map_native, 0)",
        "ug/kg/min",
        "norepinephrine needed to hold MAP at 65 mmHg",
    )
    obs("lactate", "1.0 + 7*org_cv**2", "mmol/L", "lactate from hypoperfusion")
    obs("fio2", "0.21 + 0.4*org_resp", "1", "inspired oxygen fraction")
    obs("pao2", "pf_native*(0.21 + 0.4*org_resp)", "mmHg", "arterial PaO2")
    obs(
        "mechanical_ventilation",
        "min(max((300 - pf_native)/20, 0), 1)",
        "1",
        "invasive ventilation (when PaO2/FiO2 < ~300)",
    )
    obs("platelets", "plt0*(1 - 0.85*org_coag)", "10^9/L", "platelet count")
    obs("bilirubin", "0.6 + 12*org_liver**2", "mg/dL", "total bilirubin")
    obs("creatinine", "crea0 + 4.5*org_renal**1.5", "mg/dL", "serum creatinine")
    obs("gcs", "15 - 11*org_cns", "1", "Glasgow coma scale")
    obs("organ_failure_index", "OFI", "1", "sum of the six organ drivers (0-6)")
    obs(
        "persistent_organ_failure",
        "max(OFP, 0)",
        "1",
        "organ failure index averaged over the last ~tau_ofp hours (drives the death hazard)",
    )
    obs("death_probability", "1 - exp(-HZ)", "1", "probability of death by this time")
