"""Gut microbiome diversity and barrier integrity.

Diversity ``GUT`` (0-1, 1 = healthy) is lost under antibiotic exposure and recovers slowly;
probiotics and FMT speed recovery (Manzanares 2016 PMC4991010: fewer infections, VERIFIED;
Kim 2020 Nat Commun s41467-020-15545-w: FMT rescue in mice, VERIFIED qualitative). Barrier
integrity ``BAR`` follows diversity and is harmed by systemic damage; its loss lets pathogen and
endotoxin translocate (seeding the secondary infection). All rates PROPOSAL.
"""

from __future__ import annotations

from sepsistwin.model.immune._hooks import PROPOSAL, hook, provide
from sepsistwin.model.model import ModelBuilder

PARAMETERS: tuple[tuple[str, float, str, str, str], ...] = (
    ("r_gut", 0.004, "1/h", PROPOSAL, "spontaneous diversity recovery (weeks)"),
    ("k_gut_abx", 0.03, "1/h", PROPOSAL, "diversity loss at full antibiotic exposure"),
    ("k_bar", 0.05, "1/h", PROPOSAL, "barrier turnover"),
    ("K_bar_D", 8.0, "D-unit", PROPOSAL, "damage for half barrier loss"),
    ("e_gut", 0.3, "ng/kg", PROPOSAL, "endotoxin equivalents translocated at total barrier loss"),
)


def microbiome(b: ModelBuilder) -> None:
    """Gut diversity ``GUT`` and barrier ``BAR``."""
    b.add_state("GUT", "1", 1.0, "gut microbial diversity (1 = healthy)", PROPOSAL)
    b.add_state("BAR", "1", 1.0, "gut barrier integrity (1 = intact)", PROPOSAL)
    for name, value, unit, source, meaning in PARAMETERS:
        b.add_parameter(name, value, unit, source, meaning)
    hook(b, "abx_gut_exposure", "0", "1", "antibiotic exposure of the gut flora (0-1)")
    hook(b, "probiotic_restore", "0", "1/h", "diversity restoration by probiotics")
    hook(b, "fmt_restore", "0", "1/h", "diversity restoration by faecal microbiota transplant")
    b.add_term(
        "GUT",
        "(r_gut + probiotic_restore + fmt_restore)*(1 - GUT)",
        "GUT_recovery",
        "spontaneous and therapeutic recovery",
    )
    b.add_term("GUT", "-k_gut_abx*abx_gut_exposure*GUT", "GUT_antibiotic", "antibiotic harm")
    b.add_expression(
        "BAR_set",
        "(0.4 + 0.6*GUT)/(1 + (D/K_bar_D)**2)",
        "1",
        "barrier set point from diversity and damage",
    )
    b.add_term("BAR", "k_bar*(BAR_set - BAR)", "BAR_turnover", "barrier relaxation")
    provide(b, "barrier_loss", "1 - BAR", "1", "gut barrier loss")
    provide(b, "E_gut", "e_gut*(1 - BAR)", "ng/kg", "translocated endotoxin equivalents")
