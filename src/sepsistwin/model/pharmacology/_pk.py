"""Building blocks of the drug modules: compartments, routes and Emax/occupancy effects.

A drug ``d`` gets states ``d_depot`` (absorption depot for sc/im/enteral routes, first-order
``d_ka``), ``d_c`` (central amount) and optionally ``d_p`` (peripheral amount); parameters
``d_CL``, ``d_V`` (or per-kg ``d_V_kg``/``d_CL_kg`` times ``body_weight``), ``d_Q``, ``d_Vp``;
and the expression ``d_conc`` (central concentration). Effects are written as occupancy
``C/(C + EC50)`` of the *effect-site* concentration ``d_conc*nano_exposure`` (1 without a
nanocarrier).
"""

from __future__ import annotations

from dataclasses import dataclass

from sepsistwin.model.immune._hooks import hook
from sepsistwin.model.model import ModelBuilder


@dataclass(frozen=True)
class Value:
    """A sourced parameter value: ``Value(0.226, "L/d", "Bajaj 2017 ... (VERIFIED)")``."""

    value: float
    unit: str
    source: str


def ensure_body_weight(b: ModelBuilder) -> None:
    """Declare the ``body_weight`` parameter (kg) once."""
    try:
        b.add_parameter(
            "body_weight",
            75.0,
            "kg",
            "adult reference weight (70-80 kg)",
            "body weight (scales per-kg volumes and clearances)",
        )
    except ValueError:
        pass


def add_pk(
    b: ModelBuilder,
    drug: str,
    *,
    amount_unit: str,
    conc_unit: str,
    V: Value,
    CL: Value,
    per_kg: bool = False,
    ka: Value | None = None,
    Q: Value | None = None,
    Vp: Value | None = None,
    vmax: Value | None = None,
    km: Value | None = None,
    label: str = "",
) -> None:
    """Add the PK compartments of ``drug`` (see the module docstring).

    ``per_kg`` means ``V`` and ``CL`` (and ``Vp``, ``Q``) are given per kg of body weight.
    Times are in hours: convert per-day clearances before calling.

    Examples
    --------
    >>> b = ModelBuilder("demo")
    >>> add_pk(b, "x", amount_unit="mg", conc_unit="mg/L", V=Value(5.0, "L", "s"),
    ...        CL=Value(1.0, "L/h", "s"))
    >>> b.build().state_names
    ('x_c',)
    """
    ensure_body_weight(b)
    hook(b, "nano_exposure", "1", "1", "effect-site exposure multiplier of a nanocarrier")
    what = label or drug
    if ka is not None:
        b.add_state(f"{drug}_depot", amount_unit, 0.0, f"{what}: absorption depot (sc/im/enteral)")
        b.add_parameter(f"{drug}_ka", ka.value, ka.unit, ka.source, f"{what}: absorption rate")
    b.add_state(f"{drug}_c", amount_unit, 0.0, f"{what}: amount in the central compartment")
    scale = "*body_weight" if per_kg else ""
    kg = "_kg" if per_kg else ""
    b.add_parameter(f"{drug}_V{kg}", V.value, V.unit, V.source, f"{what}: central volume")
    b.add_parameter(f"{drug}_CL{kg}", CL.value, CL.unit, CL.source, f"{what}: linear clearance")
    b.add_expression(f"{drug}_Vc", f"{drug}_V{kg}{scale}", "L", f"{what}: central volume")
    b.add_expression(
        f"{drug}_conc", f"{drug}_c/{drug}_Vc", conc_unit, f"{what}: central concentration"
    )
    if ka is not None:
        b.add_term(f"{drug}_depot", f"-{drug}_ka*{drug}_depot", f"{drug}_absorption_out")
        b.add_term(f"{drug}_c", f"{drug}_ka*{drug}_depot", f"{drug}_absorption")
    b.add_term(f"{drug}_c", f"-{drug}_CL{kg}{scale}*{drug}_conc", f"{drug}_elimination")
    if vmax is not None and km is not None:
        b.add_parameter(
            f"{drug}_Vmax",
            vmax.value,
            vmax.unit,
            vmax.source,
            f"{what}: maximal target-mediated elimination",
        )
        b.add_parameter(
            f"{drug}_Km",
            km.value,
            km.unit,
            km.source,
            f"{what}: concentration at half-maximal target-mediated elimination",
        )
        b.add_term(
            f"{drug}_c",
            f"-{drug}_Vmax*{drug}_conc/({drug}_Km + {drug}_conc)",
            f"{drug}_mm_elimination",
        )
    if Q is not None and Vp is not None:
        b.add_state(f"{drug}_p", amount_unit, 0.0, f"{what}: amount in the peripheral compartment")
        b.add_parameter(f"{drug}_Q{kg}", Q.value, Q.unit, Q.source, f"{what}: distribution")
        b.add_parameter(
            f"{drug}_Vp{kg}", Vp.value, Vp.unit, Vp.source, f"{what}: peripheral volume"
        )
        flux = f"{drug}_Q{kg}{scale}*({drug}_conc - {drug}_p/({drug}_Vp{kg}{scale}))"
        b.add_term(f"{drug}_c", f"-({flux})", f"{drug}_distribution")
        b.add_term(f"{drug}_p", flux, f"{drug}_redistribution")


def add_occupancy(
    b: ModelBuilder,
    drug: str,
    ec50: Value,
    *,
    name: str | None = None,
    nano: bool = True,
    label: str = "",
) -> str:
    """Declare ``{drug}_EC50`` and the occupancy expression; return the expression's name."""
    occ = name or f"{drug}_occ"
    b.add_parameter(
        f"{drug}_EC50",
        ec50.value,
        ec50.unit,
        ec50.source,
        f"{label or drug}: effect-site concentration for half-maximal effect",
    )
    c = f"{drug}_conc*nano_exposure" if nano else f"{drug}_conc"
    b.add_expression(
        occ,
        f"{c}/({c} + {drug}_EC50)",
        "1",
        f"{label or drug}: target occupancy / fractional effect",
    )
    return occ
