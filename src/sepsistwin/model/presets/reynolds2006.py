"""Reynolds et al. 2006 reduced model of the acute inflammatory response (4 ODEs).

Source: Reynolds A, Rubin J, Clermont G, Day J, Vodovotz Y, Ermentrout GB. "A reduced
mathematical model of the acute inflammatory response: I. Derivation of model and analysis of
anti-inflammation." J Theor Biol 2006. PMID 16584750 (VERIFIED via BioModels annotation);
DOI 10.1016/j.jtbi.2006.02.016 (RECALLED). Equations and all 20 fixed parameter values VERIFIED
identical in BioModels BIOMD0000000714 (Antimony export), the Kitware Pulse engine
ImmuneModel.cpp and its scipy script. Units are RECALLED from Table 1
of the paper (not seen). Time in hours; P in units of 10^6 CFU/mL.

Scenarios (BioModels COPASI files, VERIFIED): healthy k_pg 0.3, P(0) 1.0; aseptic death k_pg 0.3,
P(0) 1.5; septic death k_pg 0.6, P(0) 1.0.
"""

from __future__ import annotations

from sepsistwin.model.model import Model, ModelBuilder
from sepsistwin.model.registry import register_model

SOURCE = "Reynolds 2006 PMID 16584750; BioModels BIOMD0000000714 (VERIFIED)"
SOURCE_IC = "BioModels BIOMD0000000714 and Pulse ImmuneModel.cpp (VERIFIED)"
UNIT_NOTE = "unit RECALLED from Reynolds 2006 Table 1"

# name, value, unit, meaning. Values VERIFIED (all four machine-readable sources agree).
PARAMETERS: tuple[tuple[str, float, str, str], ...] = (
    ("k_pg", 0.3, "1/h", "pathogen growth rate (scenario parameter: 0.3 or 0.6)"),
    ("P_inf", 20.0, "1e6 CFU/mL", "pathogen carrying capacity"),
    ("k_pm", 0.6, "1/(M-unit*h)", "pathogen killed by the non-specific local response"),
    ("s_m", 0.005, "M-unit/h", "source of the non-specific local response"),
    ("mu_m", 0.002, "1/h", "decay of the local response"),
    ("k_mp", 0.01, "1/(P-unit*h)", "local response exhausted by pathogen"),
    ("k_pn", 1.8, "1/(N-unit*h)", "pathogen killed by activated phagocytes N*"),
    ("k_np", 0.1, "1/(P-unit*h)", "N* activation by pathogen"),
    ("k_nn", 0.01, "1/(N-unit*h)", "N* activation by N*"),
    ("k_nd", 0.02, "1/(D-unit*h)", "N* activation by damage"),
    ("s_nr", 0.08, "N-unit/h", "source of resting phagocytes"),
    ("mu_nr", 0.12, "1/h", "decay of resting phagocytes"),
    ("mu_n", 0.05, "1/h", "decay of N*"),
    ("k_dn", 0.35, "D-unit/h", "maximum rate of damage produced by N*"),
    ("x_dn", 0.06, "N-unit", "N* level at half-maximal damage"),
    ("mu_d", 0.02, "1/h", "damage decay"),
    ("c_inf", 0.28, "CA-unit", "strength of CA inhibition"),
    ("s_c", 0.0125, "CA-unit/h", "CA source"),
    ("k_cn", 0.04, "CA-unit/h", "maximum CA production"),
    ("k_cnd", 48.0, "N-unit/D-unit", "relative effect of D on CA production"),
    ("mu_c", 0.1, "1/h", "CA decay"),
)


def innate_core(b: ModelBuilder) -> None:
    """Add the Reynolds 2006 innate core (states, parameters, terms) to a builder.

    Exposed as a module so the full ``sepsistwin`` model can start from it and add terms to
    P, N, D and CA.
    """
    b.add_state("P", "1e6 CFU/mL", 1.0, "pathogen", "scenario input (healthy: 1.0)")
    b.add_state("N", "N-unit", 0.0, "activated phagocytes N*", SOURCE_IC)
    b.add_state("D", "D-unit", 0.0, "tissue damage / dysfunction", SOURCE_IC)
    b.add_state(
        "CA", "CA-unit", 0.125, "slow anti-inflammatory mediator (baseline s_c/mu_c)", SOURCE_IC
    )
    for name, value, unit, meaning in PARAMETERS:
        b.add_parameter(name, value, unit, f"{SOURCE}; {UNIT_NOTE}", meaning)

    # f(V) = V/(1 + (CA/c_inf)^2): anti-inflammatory inhibition, applied to each argument.
    b.add_expression("inhib", "1 + (CA/c_inf)**2", "1", "CA inhibition divisor")
    b.add_expression("f_N", "N/inhib", "N-unit", "N* after CA inhibition, f(N)")
    b.add_expression(
        "R",
        "(k_nn*N + k_np*P + k_nd*D)/inhib",
        "1/h",
        "recruitment signal f(k_nn N + k_np P + k_nd D)",
    )
    b.add_expression("f_ND", "(N + k_cnd*D)/inhib", "N-unit", "f(N + k_cnd D), drives CA")

    b.add_term("P", "k_pg*P*(1 - P/P_inf)", "P_growth", "logistic pathogen growth")
    b.add_term(
        "P",
        "-k_pm*s_m*P/(mu_m + k_mp*P)",
        "P_local_kill",
        "killing by the non-specific local response (quasi-steady)",
    )
    b.add_term("P", "-k_pn*f_N*P", "P_phagocyte_kill", "killing by activated phagocytes")
    b.add_term("N", "s_nr*R/(mu_nr + R)", "N_recruitment", "recruitment/activation of N*")
    b.add_term("N", "-mu_n*N", "N_decay", "decay of N*")
    b.add_term(
        "D",
        "k_dn*f_N**6/(x_dn**6 + f_N**6)",
        "D_production",
        "damage switched on by N* (Hill exponent 6)",
    )
    b.add_term("D", "-mu_d*D", "D_decay", "damage repair")
    b.add_term("CA", "s_c", "CA_source", "baseline CA production")
    b.add_term("CA", "k_cn*f_ND/(1 + f_ND)", "CA_production", "CA induced by N* and damage")
    b.add_term("CA", "-mu_c*CA", "CA_decay", "CA decay")

    b.add_observable("pathogen_load", "P*1e6", "CFU/mL", "pathogen concentration")
    b.add_reference(
        "Reynolds A et al. J Theor Biol 2006; PMID 16584750; "
        "DOI 10.1016/j.jtbi.2006.02.016 (RECALLED)"
    )
    b.add_reference("BioModels BIOMD0000000714")


@register_model("reynolds2006")
def reynolds2006() -> Model:
    """Build the Reynolds 2006 preset (healthy-scenario defaults: k_pg 0.3, P(0) 1.0).

    Examples
    --------
    >>> reynolds2006().default_parameters["k_pg"]
    0.3
    """
    b = ModelBuilder(
        "reynolds2006",
        "Reynolds et al. 2006 reduced acute inflammatory response model (4 ODEs)",
        time_unit="h",
    )
    b.include(innate_core, "innate_core")
    return b.build()


#: The three BioModels scenarios (VERIFIED from the COPASI InitialState vectors).
SCENARIOS: dict[str, dict[str, dict[str, float]]] = {
    "healthy": {"params": {"k_pg": 0.3}, "init": {"P": 1.0}},
    "aseptic_death": {"params": {"k_pg": 0.3}, "init": {"P": 1.5}},
    "septic_death": {"params": {"k_pg": 0.6}, "init": {"P": 1.0}},
}
