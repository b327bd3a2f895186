"""``sepsistwin trial``: run an in-silico randomised trial from a YAML specification."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from sepsistwin import DISCLAIMER
from sepsistwin.cli._common import check_out_path, console, err_console, fail, print_json
from sepsistwin.cli._output import OutputFormat, print_records, resolve_format


def _load_simulator(target: str) -> Any:
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        fail(f"--simulator {target!r}: expected MODULE:NAME (a TrialSimulator class or factory)")
    try:
        obj = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        fail(f"--simulator {target!r}: {exc}")
    return obj() if callable(obj) else obj


def arm_records(result: Any) -> list[dict[str, Any]]:
    """One flat record per arm: the arm's outcomes (CIs as low/high columns) and its
    comparison with the first arm, for CSV/TSV."""
    comps = {c["arm"]: c for c in result.comparisons}
    out = []
    for a in result.arms:
        rec: dict[str, Any] = {}
        for k, v in {
            **a,
            **{f"vs_first_{k}": v for k, v in comps.get(a["name"], {}).items()},
        }.items():
            if isinstance(v, list) and len(v) == 2:
                rec[f"{k}_low"], rec[f"{k}_high"] = v
            elif isinstance(v, dict):
                rec[k] = json.dumps(v)
            else:
                rec[k] = v
        out.append(rec)
    return out


def render_trial(result: Any, out: Any) -> None:
    """The trial summary at the terminal width: the header lines, then each summary table
    stacked into column groups that fit (nothing cut inside a word), then the notes."""
    from sepsistwin.cli._output import Column, print_stacked, terminal_width
    from sepsistwin.trial.analysis import (
        HAZARD_RATIO_METHOD,
        RISK_DIFFERENCE_METHOD,
        summary_tables,
    )

    sc = result.screening
    piped = terminal_width(out) is None
    for line in (
        f"[bold]{result.name}[/] (run {result.run_id})",
        f"population: {sc['n_sampled']:,} sampled, {sc['n_died_before_screening']:,} died "
        f"before screening, {sc['n_screened']:,} screened, {sc['n_enrolled']:,} enrolled",
        f"follow-up: {result.follow_up_days} days after enrollment; reference arm: "
        f"{result.arms[0]['name'] if result.arms else '-'}",
    ):
        out.print(line, highlight=False, soft_wrap=piped)
    for t in summary_tables(result):
        out.print()
        cols = [Column(h, 0, "left" if i == 0 else "right") for i, h in enumerate(t.headers)]
        print_stacked(out, cols, t.rows, title=t.title)
        if t.note:
            style = "bold yellow" if t.title == "Arms" else "dim"
            out.print(f"[{style}]{t.note}[/]", highlight=False, soft_wrap=piped)
    out.print()
    out.print(
        f"[dim]mortality CI: Wilson; RD CI: {RISK_DIFFERENCE_METHOD}; HR: {HAZARD_RATIO_METHOD}[/]",
        highlight=False,
        soft_wrap=piped,
    )
    for n in result.notes:
        out.print(f"note: {n}", highlight=False, soft_wrap=piped, markup=False)
    out.print(f"store: {result.store_path}", highlight=False, markup=False, soft_wrap=True)
    out.print(f"[dim]{DISCLAIMER}[/]", soft_wrap=piped)


def register(app: typer.Typer) -> None:
    """Add the ``trial`` command to ``app``."""

    @app.command("trial")
    def trial_command(
        spec: Annotated[
            str,
            typer.Argument(
                help="Trial specification (YAML file) or the name of a shipped example: "
                "provide-like, iris7-il7, nivolumab-doses, tests-thymosin, "
                "anti-tnf-unselected."
            ),
        ],
        size: Annotated[
            int | None, typer.Option(help="Virtual patients to sample (overrides population.size).")
        ] = None,
        resume: Annotated[
            bool,
            typer.Option(help="Continue a killed run in its store; committed chunks are kept."),
        ] = False,
        rerun: Annotated[
            bool,
            typer.Option(
                "--rerun",
                help="Run again, discarding what the store holds; without it a completed run "
                "of the same trial is loaded, not run.",
            ),
        ] = False,
        overwrite: Annotated[
            bool, typer.Option("--overwrite", hidden=True, help="The same as --rerun.")
        ] = False,
        json_out: Annotated[
            bool, typer.Option("--json", help="Print the result as JSON on stdout.")
        ] = False,
        fmt: Annotated[
            OutputFormat | None,
            typer.Option(
                "--format",
                "-f",
                help="table (readable summary), json (everything), csv or tsv (a row per arm: "
                "outcomes with CIs and the comparison with the first arm).",
                case_sensitive=False,
            ),
        ] = None,
        report: Annotated[
            Path | None,
            typer.Option(
                help="Write the HTML report (CONSORT flow, arms, Kaplan-Meier with numbers at "
                "risk, trajectories, subgroups, methods) to FILE.html; it opens offline."
            ),
        ] = None,
        store: Annotated[
            str | None,
            typer.Option(help="DuckDB file of the run (default runs/<name>-<run id>.duckdb)."),
        ] = None,
        parquet: Annotated[
            Path | None,
            typer.Option(help="Also export the store's tables to DIR, one Parquet file each."),
        ] = None,
        scheduler: Annotated[
            str | None,
            typer.Option(
                help="Address of a Dask distributed scheduler, e.g. tcp://host:8786 "
                "(default: local processes)."
            ),
        ] = None,
        workers: Annotated[
            int | None, typer.Option(help="Local worker processes, >= 1 (default: CPU count).")
        ] = None,
        chunk_size: Annotated[
            int | None,
            typer.Option(
                help="Patients per chunk, >= 1 (unit of commit and resume; default 2000)."
            ),
        ] = None,
        counterfactual: Annotated[
            bool,
            typer.Option(
                "--counterfactual",
                help="Also simulate every enrolled patient in every arm (paired mode, reported "
                "apart); default from the spec, which --no-counterfactual turns off.",
            ),
        ] = False,
        no_counterfactual: Annotated[
            bool,
            typer.Option("--no-counterfactual", hidden=True, help="Turn the paired mode off."),
        ] = False,
        simulator: Annotated[
            str | None, typer.Option(help="Use another TrialSimulator, given as MODULE:NAME.")
        ] = None,
        quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
        strict: Annotated[
            bool,
            typer.Option(
                "--strict",
                help="Refuse doses outside the evidence base's studied ranges (default: warn).",
            ),
        ] = False,
    ) -> None:
        """Run an in-silico randomised trial: screen a virtual population with the clinical
        rules, enroll, randomise, follow each arm, and compare arms (Kaplan-Meier, log-rank,
        Cox HR, risk difference, phenotype subgroups)."""
        from sepsistwin.cli._common import check_output_path
        from sepsistwin.cli.simulate import check_dose_ranges

        form = resolve_format(fmt, json_out)
        for name, value in (("--workers", workers), ("--chunk-size", chunk_size)):
            if value is not None and value < 1:
                fail(f"{name} {value}: expected a whole number >= 1")
        if counterfactual and no_counterfactual:
            fail("--counterfactual and --no-counterfactual: give one of them")
        paired = True if counterfactual else (False if no_counterfactual else None)
        from sepsistwin.store import StoreError, TrialStore
        from sepsistwin.trial import TrialSpecError, load_spec, run_trial
        from sepsistwin.trial.dose_ranges import spec_doses

        if report is not None:
            check_output_path("--report", report, (".html",))
        if store not in (None, ":memory:"):
            check_out_path(Path(str(store)), "--store")
        try:
            loaded = load_spec(spec)
        except TrialSpecError as exc:
            fail("\n  ".join(["invalid trial specification:", *exc.errors]))
        except (FileNotFoundError, ValueError, KeyError) as exc:
            fail(str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc))
        check_dose_ranges(
            [(f"{loaded.name}: {w}", t, d) for w, t, d in spec_doses(loaded)], strict=strict
        )
        sim = _load_simulator(simulator) if simulator else None
        if sim is None:
            from sepsistwin.cli._compile import ensure_compiled

            ensure_compiled("sepsistwin", err_console)
        try:
            result = run_trial(
                spec,
                size,
                simulator=sim,
                store=store,
                resume=resume,
                rerun=rerun or overwrite,
                chunk_size=chunk_size,
                workers=workers,
                scheduler=scheduler,
                counterfactual=paired,
                progress=not quiet,
            )
        except TrialSpecError as exc:
            fail("\n  ".join(["invalid trial specification:", *exc.errors]))
        except (StoreError, FileNotFoundError, ValueError, RuntimeError) as exc:
            fail(str(exc))
        if result.loaded_from_store:
            err_console.print(
                f"loaded completed run {result.run_id} from {result.store_path} "
                "(--rerun runs it again)",
                highlight=False,
                soft_wrap=True,
            )
        if parquet is not None:
            with TrialStore(result.store_path, read_only=True) as st:
                files = st.export_parquet(parquet)
            err_console.print(
                f"Parquet: {len(files)} table(s) written to {parquet}", highlight=False
            )
        if report is not None:
            from sepsistwin.report import write_report

            write_report(result, report)
            err_console.print(f"report written to {report}", highlight=False)
        if form is OutputFormat.json:
            print_json(result.to_dict())
        elif form is not OutputFormat.table:
            print_records(arm_records(result), form)
        else:
            render_trial(result, console)
