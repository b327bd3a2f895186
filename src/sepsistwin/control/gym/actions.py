"""The action catalogue: therapy x dose level per decision interval, in clinical units.

Every dose level is a regimen of the evidence base (``src/sepsistwin/evidence/data``), given
for one decision interval: the regimen's amount, route and dosing interval, repeated within the
interval (anakinra 200 mg IV every 8 h is three doses a day). A drug whose regimen repeats less
often than daily (interferon-gamma every other day, IL-7 twice weekly, nivolumab once) is one
dose on the day the action chooses it: the agent decides the spacing. ``tests/control/gym``
checks every level against the evidence base (same amount and unit as the cited regimen, inside
the studied range of :func:`sepsistwin.trial.dose_ranges.check_dose`).

Two action spaces over the same levels:

- ``"discrete"``: ``Discrete(1 + n_levels)``, 0 = nothing, ``k`` = level ``k - 1`` (one
  therapy per interval);
- ``"multi"``: ``MultiDiscrete`` with one entry per therapy (0 = none, ``j`` = that therapy's
  level ``j - 1``): combinations.

Examples
--------
>>> cat = ActionCatalogue()
>>> cat.describe(0), cat.describe(1)
('nothing', 'anakinra 200 mg iv every 8 h (provide_iv)')
>>> cat.therapies[:2]
('anakinra', 'interferon_gamma')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from gymnasium import spaces
from numpy.typing import NDArray

from sepsistwin.dosing import Schedule
from sepsistwin.model.pharmacology import therapy_schedule


@dataclass(frozen=True)
class DoseLevel:
    """One therapy at one dose for one decision interval.

    Attributes
    ----------
    therapy : str
        Therapy id of the evidence base.
    regimen : str
        Id of the evidence-base regimen the dose comes from.
    dose : str
        Amount per administration in the dose grammar (``"200 mg"``, ``"4 ug/kg/d"``,
        ``"1 mg/kg/h"``).
    route : str
        ``iv``, ``iv_infusion``, ``sc`` or ``im``.
    every_hours : float or None
        Hours between administrations within the interval (``None``: once).
    infusion_hours : float or None
        Length of a continuous infusion (rates only).
    """

    therapy: str
    regimen: str
    dose: str
    route: str
    every_hours: float | None = None
    infusion_hours: float | None = None

    def label(self) -> str:
        """Readable form, e.g. ``anakinra 200 mg iv every 8 h (provide_iv)``."""
        how = f" every {self.every_hours:g} h" if self.every_hours else ""
        if self.infusion_hours:
            how = f" over {self.infusion_hours:g} h"
        return f"{self.therapy} {self.dose} {self.route}{how} ({self.regimen})"

    def schedule(
        self, at_hours: NDArray[np.float64], weight_kg: NDArray[np.float64], interval_hours: float
    ) -> Schedule:
        """The doses of one interval from ``at_hours`` (per patient) at weights ``weight_kg``."""
        n = 1
        if self.every_hours:
            n = max(1, int(np.floor(interval_hours / self.every_hours + 1e-9)))
        return therapy_schedule(
            self.therapy,
            self.dose,
            at_hours,
            route=self.route,
            every=self.every_hours if n > 1 else None,
            n=n,
            weight_kg=weight_kg,
            over_hours=self.infusion_hours,
        )


#: The default dose levels (each a regimen of the evidence base; see the module docstring).
DEFAULT_LEVELS: tuple[DoseLevel, ...] = (
    DoseLevel("anakinra", "provide_iv", "200 mg", "iv", every_hours=8.0),
    DoseLevel("anakinra", "fisher1994_infusion", "1 mg/kg/h", "iv_infusion", infusion_hours=24.0),
    DoseLevel("interferon_gamma", "provide_sc", "100 ug", "sc"),
    DoseLevel("gm_csf", "meisel2009_sc", "4 ug/kg/d", "sc"),
    DoseLevel("il7", "iris7_im", "10 ug/kg", "im"),
    DoseLevel("nivolumab", "low_dose_20", "20 mg", "iv"),
    DoseLevel("nivolumab", "hotchkiss_480", "480 mg", "iv"),
    DoseLevel("nivolumab", "hotchkiss_960", "960 mg", "iv"),
    DoseLevel("anti_tnf", "afelimomab_monarcs", "1 mg/kg", "iv", every_hours=8.0),
    DoseLevel("thymosin_alpha1", "tests_sc", "1.6 mg", "sc", every_hours=12.0),
)

ACTION_MODES = ("discrete", "multi")


class ActionCatalogue:
    """Maps actions of the Gymnasium action space to dose levels.

    Parameters
    ----------
    levels : sequence of DoseLevel
        The dose levels (default :data:`DEFAULT_LEVELS`).
    mode : {"discrete", "multi"}
        One therapy per interval (``Discrete``) or one entry per therapy (``MultiDiscrete``).

    Examples
    --------
    >>> cat = ActionCatalogue(mode="multi")
    >>> cat.space.nvec.tolist()
    [3, 2, 2, 2, 4, 2, 2]
    >>> [lv.regimen for lv in cat.levels_of(np.array([1, 0, 0, 0, 2, 0, 0]))]
    ['provide_iv', 'hotchkiss_480']
    """

    def __init__(self, levels: Sequence[DoseLevel] = DEFAULT_LEVELS, mode: str = "discrete"):
        if mode not in ACTION_MODES:
            raise ValueError(f"action_mode must be one of {ACTION_MODES}, got {mode!r}")
        if not levels:
            raise ValueError("the action catalogue needs at least one dose level")
        self.levels: tuple[DoseLevel, ...] = tuple(levels)
        self.mode = mode
        therapies: list[str] = []
        for lv in self.levels:
            if lv.therapy not in therapies:
                therapies.append(lv.therapy)
        self.therapies: tuple[str, ...] = tuple(therapies)
        self._per_therapy = [
            [i for i, lv in enumerate(self.levels) if lv.therapy == t] for t in self.therapies
        ]
        #: Choices per therapy (the ``MultiDiscrete`` sizes: none plus the therapy's levels).
        self.nvec = np.array([1 + len(ix) for ix in self._per_therapy], dtype=np.int64)
        self.space: spaces.Space[np.int64] | spaces.Space[NDArray[np.int64]]
        if mode == "discrete":
            self.space = spaces.Discrete(1 + len(self.levels))
        else:
            self.space = spaces.MultiDiscrete(self.nvec)

    def level_indices(self, action: object) -> list[int]:
        """Indices into :attr:`levels` of the doses an action gives (empty: nothing)."""
        if self.mode == "discrete":
            a = int(np.asarray(action).reshape(-1)[0])
            if not 0 <= a <= len(self.levels):
                raise ValueError(f"action {a} outside Discrete({1 + len(self.levels)})")
            return [] if a == 0 else [a - 1]
        arr = np.asarray(action, dtype=np.int64).reshape(-1)
        if arr.size != len(self.therapies):
            raise ValueError(
                f"action must have one entry per therapy {list(self.therapies)}, got {arr.tolist()}"
            )
        out = []
        for j, a in enumerate(arr.tolist()):
            ix = self._per_therapy[j]
            if not 0 <= a <= len(ix):
                raise ValueError(
                    f"action entry {j} ({self.therapies[j]}) = {int(a)} outside 0..{len(ix)}"
                )
            if a:
                out.append(ix[int(a) - 1])
        return out

    def levels_of(self, action: object) -> list[DoseLevel]:
        """The dose levels an action gives."""
        return [self.levels[i] for i in self.level_indices(action)]

    def action_for(self, level_indices: Sequence[int]) -> int | NDArray[np.int64]:
        """The action giving the levels ``level_indices`` (at most one per therapy)."""
        if self.mode == "discrete":
            if len(level_indices) > 1:
                raise ValueError("a discrete action gives one dose level")
            return 0 if not level_indices else int(level_indices[0]) + 1
        out = np.zeros(len(self.therapies), dtype=np.int64)
        for i in level_indices:
            j = self.therapies.index(self.levels[i].therapy)
            if out[j]:
                raise ValueError(f"two dose levels of {self.levels[i].therapy} in one action")
            out[j] = self._per_therapy[j].index(i) + 1
        return out

    def level_index(self, therapy: str, regimen: str | None = None) -> int:
        """Index of the first level of ``therapy`` (of ``regimen`` if given)."""
        for i, lv in enumerate(self.levels):
            if lv.therapy == therapy and (regimen is None or lv.regimen == regimen):
                return i
        raise ValueError(f"no dose level of {therapy!r} {regimen or ''} in the catalogue")

    def describe(self, action: object) -> str:
        """A readable description of an action."""
        lv = self.levels_of(action)
        return " + ".join(x.label() for x in lv) if lv else "nothing"

    def therapy_flags(self, level_indices: Sequence[int]) -> NDArray[np.float32]:
        """One flag per therapy: 1 where the levels dose it."""
        out = np.zeros(len(self.therapies), dtype=np.float32)
        for i in level_indices:
            out[self.therapies.index(self.levels[i].therapy)] = 1.0
        return out

    def table(self) -> list[dict[str, object]]:
        """The discrete actions as rows (for docs)."""
        rows: list[dict[str, object]] = [{"action": 0, "therapy": "nothing", "dose": ""}]
        for i, lv in enumerate(self.levels):
            rows.append(
                {
                    "action": i + 1,
                    "therapy": lv.therapy,
                    "dose": lv.dose,
                    "route": lv.route,
                    "every_hours": lv.every_hours,
                    "regimen": lv.regimen,
                }
            )
        return rows
