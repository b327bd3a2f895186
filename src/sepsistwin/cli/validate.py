"""``sepsistwin validate``: the model against published behaviours (docs/validation.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sepsistwin.cli._common import check_out_path, console, err_console, fail, print_json
from sepsistwin.cli._output import OutputFormat

#: Population sizes of the quick (CI) and the full scorecard.
QUICK_SIZE = 600
FULL_SIZE = 4000


def register(app: typer.Typer) -> None:
    """Add the ``validate`` command to ``app``."""

    @app.command("validate")
    def validate(
        quick: Annotated[
            bool, typer.Option("--quick", help=f"Small population ({QUICK_SIZE} patients).")
        ] = False,
        size: Annotated[
            int | None, typer.Option("--size", min=50, help="Virtual patients (overrides).")
        ] = None,
        seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 11,
        only: Annotated[
            list[str] | None, typer.Option("--only", help="Behaviour id(s) to run.")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the scorecard as JSON.")] = (
            False
        ),
        out: Annotated[
            Path | None,
            typer.Option("--out", help="Markdown scorecard (default: docs/validation.md)."),
        ] = None,
        fmt: Annotated[
            OutputFormat | None,
            typer.Option(
                "--format",
                "-f",
                help="table, json (the scorecard) or csv/tsv (a row per behaviour).",
                case_sensitive=False,
            ),
        ] = None,
    ) -> None:
        """Run the validation scorecard: published behaviours vs paired simulations.

        Example: sepsistwin validate --quick --json
        """
        from sepsistwin.cli._compile import ensure_compiled
        from sepsistwin.cli._output import print_records, resolve_format
        from sepsistwin.validation import markdown, run_scorecard

        check_out_path(out)
        form = resolve_format(fmt, as_json)
        ensure_compiled("sepsistwin", err_console)
        n = size or (QUICK_SIZE if quick else FULL_SIZE)
        try:
            card = run_scorecard(
                n, seed, ids=only, progress=lambda s: err_console.print(s, highlight=False)
            )
        except ValueError as exc:
            fail(str(exc))
        parts = ["sepsistwin validate"]
        if quick:
            parts.append("--quick")
        if size:
            parts.append(f"--size {size}")
        if seed != 11:
            parts.append(f"--seed {seed}")
        path = out if out is not None else (Path("docs/validation.md") if not only else None)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(markdown(card, " ".join(parts)))
        if form is OutputFormat.json:
            print_json({**card.as_dict(), "report": str(path) if path else None})
            return
        if form is not OutputFormat.table:
            print_records(
                [
                    {
                        "behaviour": v.behaviour.id,
                        "value": v.value,
                        "unit": v.behaviour.unit,
                        "expected": v.behaviour.expected.text(),
                        "passed": v.passed,
                    }
                    for v in card.verdicts
                ],
                form,
            )
            return
        for v in card.verdicts:
            mark = "[green]pass[/]" if v.passed else "[red]miss[/]"
            console.print(
                f"{mark} {v.behaviour.id}: {v.value:.3g} {v.behaviour.unit} "
                f"(expected {v.behaviour.expected.text()})",
                highlight=False,
            )
        console.print(f"{card.passed}/{len(card.verdicts)} behaviours met", highlight=False)
        if path is not None:
            console.print(f"wrote {path}", highlight=False)
