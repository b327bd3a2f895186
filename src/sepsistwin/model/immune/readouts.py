"""Clinical read-outs in the catalogue's names and units: cytokines, CRP, cell counts, vitals.

CRP is an IL-6 driven acute-phase protein (hepatic synthesis, plasma half-life ~19 h, RECALLED);
the other read-outs are algebraic maps of model states (PROPOSAL constants). Names and units match
``sepsistwin/data/variables.yaml`` so virtual patients go through ``sepsistwin.clinical`` unchanged.
"""

from __future__ import annotations

from sepsistwin.model.immune._hooks import PROPOSAL, hook
from sepsistwin.model.model import ModelBuilder

PARAMETERS: tuple[tuple[str, float, str, str, str], ...] = (
    ("k_crp", 0.0365, "1/h", "CRP half-life ~19 h (RECALLED)", "CRP clearance"),
    ("p_crp", 12.0, "mg/L/h", PROPOSAL, "maximal IL-6 driven CRP synthesis (plateau ~330 mg/L)"),
    ("K_crp6", 150.0, "pg/mL", PROPOSAL, "IL-6 signal for half-maximal CRP synthesis"),
    ("crp0", 1.0, "mg/L", "healthy CRP < 5 mg/L (general knowledge)", "baseline CRP"),
)


def readouts(b: ModelBuilder) -> None:
    """CRP state and the catalogue observables of immune and clinical variables."""
    b.add_state("CRP", "mg/L", 1.0, "C-reactive protein", "crp0")
    for name, value, unit, source, meaning in PARAMETERS:
        b.add_parameter(name, value, unit, source, meaning)
    for name, default, unit, what in (
        ("IL6R_block", "0", "1", "IL-6 receptor blockade"),
        ("TNF_free", "TNF", "pg/mL", "unneutralised TNF"),
        ("IL10_tot", "IL10", "pg/mL", "total IL-10"),
        ("IFNG_tot", "IFNG", "pg/mL", "total IFN-gamma"),
        ("P_total", "P", "1e6 CFU/mL", "total pathogen load"),
        ("ALC", "0", "1e9/L", "absolute lymphocyte count"),
        ("ALC_blood", "ALC", "1e9/L", "absolute lymphocyte count in blood"),
        ("PD1_block", "0", "1", "PD-1 receptor occupancy"),
        ("org_cv", "0", "1", "vasoplegia driver"),
        ("org_resp", "0", "1", "lung injury driver"),
    ):
        hook(b, name, default, unit, what)
    b.add_term(
        "CRP",
        "p_crp*IL6*(1 - IL6R_block)/(IL6*(1 - IL6R_block) + K_crp6)",
        "CRP_synthesis",
        "IL-6 driven hepatic synthesis",
    )
    b.add_term("CRP", "-k_crp*(CRP - crp0)", "CRP_clearance", "clearance")

    obs = b.add_observable
    obs("tnf", "TNF_free", "pg/mL", "TNF-alpha (free; anti-TNF-bound TNF not measured)")
    obs("il6", "IL6", "pg/mL", "interleukin-6")
    obs("il10", "IL10_tot", "pg/mL", "interleukin-10 (endogenous + drug)")
    obs("il1b", "IL1B", "pg/mL", "interleukin-1beta")
    obs("ifng", "IFNG_tot", "pg/mL", "interferon-gamma (endogenous + drug)")
    obs("crp", "CRP", "mg/L", "C-reactive protein")
    obs("lymphocytes", "ALC_blood", "10^9/L", "absolute lymphocyte count")
    obs("infection_suspected", "1", "1", "infection suspected (septic cohort)")
    obs("neutrophils", "4 + 14*N/(N + 0.3)", "10^9/L", "neutrophil count (PROPOSAL map)")
    obs("wbc", "4.5 + 14*N/(N + 0.3) + ALC_blood", "10^9/L", "white cell count (PROPOSAL map)")
    obs("temperature", "36.8 + 2.2*IL6/(IL6 + 400)", "degC", "core temperature (PROPOSAL map)")
    obs(
        "heart_rate",
        "72 + 45*org_cv + 25*TNF_free/(TNF_free + 300)",
        "/min",
        "heart rate (PROPOSAL map)",
    )
    obs("resp_rate", "14 + 16*org_resp", "/min", "respiratory rate (PROPOSAL map)")
    obs("pd1_receptor_occupancy", "PD1_block", "1", "PD-1 receptor occupancy by anti-PD-1")
