"""Fixtures for the dashboard tests: an app on a temporary data folder, small input files
made here, and a small trial specification for the test-only Reynolds simulator."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

with warnings.catch_warnings():
    # starlette asks for httpx2 here; httpx is what the project pins and what this client uses
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TRIAL_DIR = Path(__file__).resolve().parents[1] / "trial"
if str(TRIAL_DIR) not in sys.path:
    # reynolds_sim (the test-only trial simulator) is imported by the job worker processes,
    # which inherit this interpreter's sys.path
    sys.path.insert(0, str(TRIAL_DIR))

from sepsistwin.web import WebSettings, create_app  # noqa: E402

SIMULATOR = "reynolds_sim:ReynoldsTrialSimulator"

#: One patient, two days, hours since time zero; enough for SOFA and a phenotype.
GOOD_CSV = """patient_id,time,variable,value,unit
P1,2,ferritin,6200,ng/mL
P1,2,mhla_dr,9000,AB/C
P1,2,lactate,3.1,mmol/L
P1,2,map,62,mmHg
P1,2,norepinephrine,0.2,ug/kg/min
P1,2,platelets,90,10^9/L
P1,2,lymphocytes,0.8,10^9/L
P1,2,il6,1500,pg/mL
P1,2,infection_suspected,1,1
P1,30,ferritin,5100,ng/mL
P1,30,lactate,2.4,mmol/L
P1,30,platelets,80,10^9/L
P2,4,ferritin,900,ng/mL
P2,4,mhla_dr,3500,AB/C
P2,4,lymphocytes,0.6,10^9/L
"""

#: The same with a lactate charted in an impossible unit on data row 2 (file row 3).
BAD_UNIT_CSV = GOOD_CSV.replace("P1,2,mhla_dr,9000,AB/C", "P1,2,lactate,3,mg")

SMALL_TRIAL = """name: web-small
seed: 7
population:
  size: 120
screening:
  at_hours: 24
arms:
  - name: placebo
  - name: anakinra
    therapies:
      - therapy: anakinra
        dose: 200 mg
        every_hours: 8
        doses: 6
follow_up_days: 28
"""


def make_settings(root: Path, **overrides: object) -> WebSettings:
    """Settings for a test app: temporary folder, test simulator, small chunks."""
    kw: dict[str, object] = {
        "data_dir": root,
        "simulator": SIMULATOR,
        "trial_chunk_size": 40,
        "max_trial_size": 1000,
        "interim_every_s": 0.0,
        "allowed_hosts": ("testserver", "127.0.0.1", "localhost"),
    }
    kw.update(overrides)
    return WebSettings(**kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A client (with its session cookie) of an app on a fresh data folder."""
    app = create_app(make_settings(tmp_path_factory.mktemp("web")))
    with TestClient(app) as c:
        yield c
