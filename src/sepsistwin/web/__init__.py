"""Local web dashboard and JSON API (FastAPI, served by ``sepsistwin serve``).

Pages: patients (upload or the example cohort; daily assessment, phenotype and SOFA timeline,
biomarkers against thresholds, rules that fired), recommendations per patient-day, trials
(run as background jobs; flow, Kaplan-Meier, effect sizes, subgroups, downloads) and the
evidence base. The JSON API under ``/api`` returns the CLI's ``--json`` contracts and is
described at ``/docs``. No domain logic lives here: it calls the public API.

Examples
--------
>>> from pathlib import Path
>>> from sepsistwin.web import WebSettings, create_app
>>> app = create_app(WebSettings(data_dir=Path("/tmp/sepsistwin-web-doc")))
>>> sorted({"/docs", "/openapi.json"} - {getattr(r, "path", "") for r in app.routes})
[]
"""

from sepsistwin.web.app import create_app
from sepsistwin.web.settings import WebSettings

__all__ = ["WebSettings", "create_app"]
