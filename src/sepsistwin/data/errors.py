"""Validation errors for input data.

Every problem with an input names the file, the row (or FHIR resource), the field, the
value and what was expected, in one of two forms::

    lactate: row 17 of labs.csv: unit 'mg' is not a concentration; expected mmol/L or mg/dL
    lactate: bundle.json: Observation/obs-17: unit 'mg' is not a concentration; ...

The variable prefix is left out when the variable is not known (unknown variable, missing
column). Problems with the file as a whole read ``labs.csv: <problem>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

#: How a row is located: spreadsheet-style row numbers, or FHIR resource references.
LocationStyle = Literal["table", "resource"]


def location(file: str, row: int | str | None, style: LocationStyle) -> str:
    """Return where a problem is, as people read it.

    Examples
    --------
    >>> location("labs.csv", 17, "table")
    'row 17 of labs.csv'
    >>> location("bundle.json", "Observation/obs-17", "resource")
    'bundle.json: Observation/obs-17'
    """
    if row is None:
        return file
    if style == "table":
        return f"row {row} of {file}"
    return f"{file}: {row}"


def format_message(
    file: str,
    row: int | str | None,
    problem: str,
    *,
    variable: str | None = None,
    style: LocationStyle = "table",
) -> str:
    """Assemble the one-line message for a problem.

    Examples
    --------
    >>> format_message("cohort.csv", 5, "value '12,5' is not a number", variable="ferritin")
    "ferritin: row 5 of cohort.csv: value '12,5' is not a number"
    """
    where = location(file, row, style)
    return f"{variable}: {where}: {problem}" if variable else f"{where}: {problem}"


@dataclass(frozen=True)
class Problem:
    """One bad row (or file-level problem): the fields of an :class:`InputError`."""

    file: str
    row: int | str | None
    field: str | None
    value: Any
    expected: str | None
    variable: str | None
    message: str
    patient_id: str | None = None


class InputError(ValueError):
    """Bad input data, with where and what.

    Attributes
    ----------
    file : str
        File name (or ``"<frame>"`` for an in-memory table).
    row : int, str or None
        Spreadsheet row number (header = row 1, so the first data row is 2), a FHIR
        resource reference (``"Observation/obs-17"``), or None for whole-file problems.
    field : str or None
        Column (``"unit"``) or FHIR element (``"valueQuantity.code"``).
    value : object
        The offending value as written.
    expected : str or None
        What would have been accepted.
    variable : str or None
        Canonical variable name when known.
    problems : list of Problem
        In strict mode, the first few problems found in the file (this one first), so a
        user can fix more than one thing per run.

    Examples
    --------
    >>> err = InputError("row 9 of x.csv: unknown variable 'feritin'", file="x.csv", row=9)
    >>> err.row
    9
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | str | None = None,
        field: str | None = None,
        value: Any = None,
        expected: str | None = None,
        variable: str | None = None,
        problems: list[Problem] | None = None,
    ) -> None:
        super().__init__(message)
        self.file = file
        self.row = row
        self.field = field
        self.value = value
        self.expected = expected
        self.variable = variable
        self.problems: list[Problem] = problems or []

    @classmethod
    def from_problems(cls, problems: list[Problem], total: int) -> InputError:
        """Build one error from the first problems of a file (``total`` found in all)."""
        first = problems[0]
        message = first.message
        if total > 1:
            shown = "\n".join(f"  {p.message}" for p in problems[1:])
            message += f"\n({total - 1} more problem{'s' if total > 2 else ''} in {first.file}"
            message += ":\n" + shown + ("\n  ...)" if total > len(problems) else ")")
        return cls(
            message,
            file=first.file,
            row=first.row,
            field=first.field,
            value=first.value,
            expected=first.expected,
            variable=first.variable,
            problems=problems,
        )


def file_error(file: str, problem: str, *, field: str | None = None, **kw: Any) -> InputError:
    """An :class:`InputError` about a whole file (missing column, empty file, ...).

    Examples
    --------
    >>> str(file_error("labs.csv", "the file has no data rows"))
    'labs.csv: the file has no data rows'
    """
    return InputError(f"{file}: {problem}", file=file, field=field, **kw)
