"""``sepsistwin examples``: copy the shipped example data out of the package."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from sepsistwin.cli._common import console, fail

#: What ``examples copy`` writes: (folder inside the package, file, what it is).
EXAMPLE_FILES: tuple[tuple[str, str, str], ...] = (
    ("data", "cohort.csv", "example ICU cohort, long CSV (10 patients)"),
    ("data", "onsets.csv", "per-patient time zero for the cohort"),
    ("data", "cohort_fhir.json", "the same cohort as a FHIR R4 Bundle"),
    ("trials", "provide-like.yaml", "trial spec: PROVIDE-like phenotype-guided trial"),
    ("trials", "iris7-il7.yaml", "trial spec: IL-7 in lymphopenic septic shock"),
    ("trials", "nivolumab-doses.yaml", "trial spec: nivolumab dose finding"),
    ("trials", "tests-thymosin.yaml", "trial spec: thymosin alpha-1"),
    ("trials", "anti-tnf-unselected.yaml", "trial spec: anti-TNF without selection"),
)


def _package_file(folder: str, name: str) -> Path:
    return Path(str(resources.files("sepsistwin.examples").joinpath(folder, name)))


def copy_examples(directory: Path, *, force: bool = False) -> list[Path]:
    """Copy the example cohort (CSV, onsets, FHIR) and the example trial specs to ``directory``.

    Data files go to ``directory`` and trial specs to ``directory/trials``. Existing files are
    kept unless ``force``; ``FileExistsError`` names them.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     [p.name for p in copy_examples(Path(d))][:2]
    ['cohort.csv', 'onsets.csv']
    """
    targets = [
        (_package_file(folder, name), directory / ("trials" if folder == "trials" else "") / name)
        for folder, name, _ in EXAMPLE_FILES
    ]
    clash = [str(dst) for _, dst in targets if dst.exists()]
    if clash and not force:
        raise FileExistsError(
            f"{len(clash)} file(s) already exist: {', '.join(clash)}; use --force to replace them"
        )
    written = []
    for src, dst in targets:
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        written.append(dst)
    return written


def register(app: typer.Typer) -> None:
    """Add the ``examples`` sub-app (``examples list``, ``examples copy DIR``) to ``app``."""
    group = typer.Typer(
        name="examples",
        help="The example data shipped with sepsistwin: an ICU cohort and trial specs.",
        no_args_is_help=True,
    )

    @group.command("list")
    def list_command() -> None:
        """List the example files that 'examples copy' writes."""
        for folder, name, what in EXAMPLE_FILES:
            path = f"trials/{name}" if folder == "trials" else name
            console.print(f"{path:<32} {what}", highlight=False, soft_wrap=True)

    @group.command("copy")
    def copy_command(
        directory: Annotated[
            Path, typer.Argument(metavar="DIR", help="Folder to write the files to (created).")
        ],
        force: Annotated[bool, typer.Option(help="Replace files that already exist.")] = False,
    ) -> None:
        """Copy the example cohort (cohort.csv, onsets.csv, cohort_fhir.json) and the example
        trial specs (trials/*.yaml) to DIR.

        Then try: sepsistwin assess DIR/cohort.csv --onset DIR/onsets.csv
        """
        if directory.exists() and not directory.is_dir():
            fail(f"DIR {directory}: exists and is not a folder")
        try:
            written = copy_examples(directory, force=force)
        except (FileExistsError, PermissionError) as exc:
            fail(f"DIR {directory}: {exc}")
        except OSError as exc:
            fail(f"DIR {directory}: cannot write ({exc.strerror or exc})")
        for path in written:
            console.print(f"wrote {path}", highlight=False, soft_wrap=True)
        console.print(
            f"next: sepsistwin assess {directory / 'cohort.csv'} --onset "
            f"{directory / 'onsets.csv'}",
            highlight=False,
            soft_wrap=True,
        )

    app.add_typer(group, name="examples")
