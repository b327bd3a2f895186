"""The error of the dose grammar: one line saying which dose, which field, what was expected."""

from __future__ import annotations


class DoseError(ValueError):
    """A dose (text or schedule) that cannot be given as written.

    The message reads ``WHERE: PROBLEM``: ``WHERE`` names the dose as written (``dose
    'il7:10ug/kg@48,n=0'``) or the entry that holds it, ``PROBLEM`` the field, its value and what
    is expected. Callers that know more (a file and line of a trial spec, a CLI option) prefix
    their location to this message.

    Examples
    --------
    >>> str(DoseError("dose 'P:x@1'", "amount 'x' is not a number"))
    "dose 'P:x@1': amount 'x' is not a number"
    """

    def __init__(self, where: str, problem: str) -> None:
        self.where = where
        self.problem = problem
        super().__init__(f"{where}: {problem}")
