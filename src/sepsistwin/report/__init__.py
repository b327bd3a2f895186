"""HTML reports and Plotly figures (no domain logic: they draw what the analysis computed)."""

from sepsistwin.report.figures import km_figure, trajectory_figure
from sepsistwin.report.trial_report import render_report, write_report

__all__ = ["km_figure", "render_report", "trajectory_figure", "write_report"]
