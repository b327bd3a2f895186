"""Generate docs/model.md from the model definition (``python -m sepsistwin.model.immune.doc``)."""

from __future__ import annotations

import sys
from pathlib import Path

from sepsistwin.model.model import Model

INTRO = """# The sepsistwin immune model

Generated from the model definition by `python -m sepsistwin.model.immune.doc docs/model.md`;
do not edit by hand. Time in hours. The preset `sepsistwin` is the Reynolds 2006 innate core
(`reynolds2006`, kept as its own preset) extended by the modules of
`src/sepsistwin/model/immune/` and a PK/PD module per therapy in
`src/sepsistwin/model/pharmacology/`. Modules meet at named hook expressions (e.g. `PD1_block`,
0 without a drug, provided by the nivolumab occupancy), so drugs act only through mechanism.

Source status: VERIFIED (read in the source), RECALLED (from memory), DERIVED (computed from
verified inputs), PROPOSAL (a modelling choice), CALIBRATED (set by `sepsistwin calibrate`;
the defaults below are the model's own, the calibrated values are a parameter set in
`src/sepsistwin/population/data/calibrated.yaml` applied when simulating, so the model does not
change when the calibration is rerun).

Host defence and the two ways to die. The primary infection starts in a focus `PF` (tissue
reservoir, `focus.py`) that seeds the accessible load `P`; antibiotics kill `P` within hours but
barely touch the dense focus, which only host defence clears: monocytes and macrophages whose
competence `mono_comp` follows mHLA-DR, T-cell help, and TNF and IL-1 signalling (blocking
either slows clearance). Monocyte reprogramming `TOL` (endotoxin tolerance, `hla_dr.py`) builds
with inflammatory exposure, decays over two weeks and is reversed by IFN-gamma and GM-CSF; it
cuts the TNF and IL-6 response per stimulus, raises IL-10 and lowers mHLA-DR. Early deaths come
from the hyperinflammatory multi-organ failure of the first days; late deaths from organ
failure kept alive by a focus that immunoparalysis does not clear, and from ICU-acquired
infection (`infection.py`). Macrophage activation (MALS, `macrophage.py`) needs IL-1 and a
microbial trigger, so it resolves in survivors once the infection is controlled.

Death: the hazard `exp(death_log_h3)*(OFI/3)^death_gamma` per hour (OFI = sum of the six
organ drivers, ~0.01 in health) is 0 without organ failure and rises steeply in multi-organ
failure; it is integrated in state `HZ`, and a virtual patient with uniform draw U dies when
`HZ >= -log(U)` (`sepsistwin.population.death_times`).

Behaviour the model was not fitted to (trial results by phenotype, dose and timing; biomarker
responses to IFN-gamma and GM-CSF; death timing) is scored in `docs/validation.md`
(`sepsistwin validate`).
"""


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def model_markdown(model: Model) -> str:
    """Markdown: modules, states with their rate equations, expressions, observables, parameters.

    Examples
    --------
    >>> from sepsistwin.model import get_model
    >>> "## Parameters" in model_markdown(get_model("reynolds2006"))
    True
    """
    lines = [
        INTRO,
        f"Modules: {', '.join(f'`{m}`' for m in model.modules)}.",
        "",
        f"## States ({len(model.states)})",
        "",
        "| state | unit | initial | description | d/dt |",
        "|---|---|---|---|---|",
    ]
    for row in model.state_table():
        lines.append(
            f"| `{row['name']}` | {_cell(row['unit'])} | {row['initial']:g} | "
            f"{_cell(row['description'])} | `{_cell(row['rate'])}` |"
        )
    lines += [
        "",
        f"## Expressions ({len(model.expressions)})",
        "",
        "| name | definition | unit |",
        "|---|---|---|",
    ]
    lines += [
        f"| `{e.name}` | `{_cell(e.expression)}` | {_cell(e.unit)} |" for e in model.expressions
    ]
    lines += [
        "",
        f"## Observables ({len(model.observables)})",
        "",
        "| name | definition | unit | description |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| `{o.name}` | `{_cell(o.expression)}` | {_cell(o.unit)} | {_cell(o.description)} |"
        for o in model.observables
    ]
    lines += [
        "",
        f"## Parameters ({len(model.parameters)})",
        "",
        "| name | value | unit | description | source |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| `{p['name']}` | {p['value']:.6g} | {_cell(p['unit'])} | "
        f"{_cell(p['description'])} | {_cell(p['source'])} |"
        for p in model.parameter_table()
    ]
    lines += ["", "## References", ""] + [f"- {r}" for r in model.references]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Write the markdown of the ``sepsistwin`` preset to the given path (default stdout)."""
    from sepsistwin.model import get_model

    args = sys.argv[1:] if argv is None else argv
    text = model_markdown(get_model("sepsistwin"))
    if args:
        Path(args[0]).write_text(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":  # pragma: no cover
    main()
