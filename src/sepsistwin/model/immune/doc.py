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
verified inputs), PROPOSAL (a modelling choice), CALIBRATED (set by `sepsistwin calibrate`,
values in `src/sepsistwin/population/data/calibrated.yaml`).

Death: the hazard `exp(death_log_h3)*(OFI/3)^death_gamma` per hour (OFI = sum of the six
organ drivers, ~0.01 in health) is 0 without organ failure and rises steeply in multi-organ
failure; it is integrated in state `HZ`, and a virtual patient with uniform draw U dies when
`HZ >= -log(U)` (`sepsistwin.population.death_times`).

Validation of therapy responses (not calibration inputs), e.g. IFN-gamma in immunoparalysed
virtual patients against Payen 2019 (mHLA-DR 2,666 -> 12,451 AB/C, IL-10 29 -> 9 pg/mL), is
reported in `docs/calibration.md` (`sepsistwin.population.validation`).
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
