"""In-silico randomised trials: specification, runner, endpoints, analysis, power.

Examples
--------
>>> from sepsistwin.trial import load_spec
>>> [a.name for a in load_spec("provide-like").arms]
['placebo', 'guided']

Running one (``run_trial``) needs a simulator: by default the ``sepsistwin`` model and its
virtual population; see docs/trials.md.
"""

from sepsistwin.trial.analysis import SummaryTable, TrialResult, analyze, summary_tables
from sepsistwin.trial.chunk import TrialPlan, run_chunk
from sepsistwin.trial.examples import example_spec_path, list_examples
from sepsistwin.trial.power import power_curve
from sepsistwin.trial.runner import DEFAULT_CHUNK_SIZE, default_simulator, run_id, run_trial
from sepsistwin.trial.simulator import DAILY_OUTCOMES, Cohort, Outcomes, TrialSimulator
from sepsistwin.trial.spec import (
    ArmSpec,
    TherapySpec,
    TrialSpec,
    TrialSpecError,
    load_spec,
    parse_spec,
)

__all__ = [
    "DAILY_OUTCOMES",
    "DEFAULT_CHUNK_SIZE",
    "ArmSpec",
    "Cohort",
    "Outcomes",
    "SummaryTable",
    "TherapySpec",
    "TrialPlan",
    "TrialResult",
    "TrialSimulator",
    "TrialSpec",
    "TrialSpecError",
    "analyze",
    "default_simulator",
    "example_spec_path",
    "list_examples",
    "load_spec",
    "parse_spec",
    "power_curve",
    "run_chunk",
    "run_id",
    "run_trial",
    "summary_tables",
]
