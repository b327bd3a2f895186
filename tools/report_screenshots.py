"""Rewrite the trial-report screenshots in docs/screenshots (report-*.png).

Runs the shipped PROVIDE-like example (1,500 sampled patients, paired counterfactual) on the
full model, writes its HTML report, and photographs its figures in Debian's Chromium
(headless, through Playwright). Usage: python tools/report_screenshots.py [--size N]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from sepsistwin.report import write_report
from sepsistwin.trial import run_trial

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
#: Element id in the report -> screenshot file name.
SHOTS = {
    "consort": "report-consort.png",
    "km-curves": "report-km.png",
    "trajectories": "report-trajectories.png",
    "forest": "report-subgroups.png",
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=1500)
    args = ap.parse_args()
    result = run_trial(
        "provide-like", size=args.size, store=":memory:", counterfactual=True, progress=True
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = write_report(result, Path(tmp) / "report.html")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(path.as_uri())
            page.wait_for_selector("#km-curves .main-svg")
            OUT.mkdir(parents=True, exist_ok=True)
            for element, name in SHOTS.items():
                page.locator(f"#{element}").screenshot(path=str(OUT / name))
                print(OUT / name)
            browser.close()


if __name__ == "__main__":
    main()
