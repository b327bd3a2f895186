"""Plotly figures of a trial: Kaplan-Meier curves and biomarker trajectories per arm."""

from __future__ import annotations

from typing import TYPE_CHECKING

import plotly.graph_objects as go
from plotly.subplots import make_subplots

if TYPE_CHECKING:
    from sepsistwin.trial.analysis import TrialResult

#: Colour per arm position (the reference arm is grey).
ARM_COLOURS = (
    "#7f7f7f",
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#8c564b",
    "#e377c2",
)
TRAJECTORY_LABELS = {
    "sofa": "SOFA score",
    "lymphocytes": "Lymphocytes (x10^9/L)",
    "mhla_dr": "mHLA-DR (antibodies/cell)",
}


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def arm_colour(index: int) -> str:
    """Colour of the arm at ``index`` (spec order)."""
    return ARM_COLOURS[index % len(ARM_COLOURS)]


def km_figure(result: TrialResult) -> go.Figure:
    """Kaplan-Meier survival per arm with its 95% confidence band (lifelines estimates).

    Examples
    --------
    >>> km_figure(result).data[0].name  # doctest: +SKIP
    'placebo'
    """
    fig = go.Figure()
    for i, (arm, km) in enumerate(result.km.items()):
        colour = arm_colour(i)
        n = next((a["n"] for a in result.arms if a["name"] == arm), 0)
        t = km["time_days"].tolist()
        fig.add_trace(
            go.Scatter(
                x=t + t[::-1],
                y=km["upper"].tolist() + km["lower"].tolist()[::-1],
                fill="toself",
                fillcolor=_rgba(colour, 0.15),
                line={"width": 0},
                hoverinfo="skip",
                showlegend=False,
                name=f"{arm} 95% CI",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=t,
                y=km["survival"].tolist(),
                mode="lines",
                line={"shape": "hv", "color": colour, "width": 2},
                name=arm,
                legendgroup=arm,
                hovertemplate=f"{arm} (n={n})<br>day %{{x:.1f}}: %{{y:.1%}} alive<extra></extra>",
            )
        )
    fig.update_layout(
        title=f"Kaplan-Meier survival: {result.name}",
        xaxis_title="days since enrollment",
        yaxis_title="survival",
        yaxis={"range": [0, 1.02], "tickformat": ".0%"},
        template="plotly_white",
        legend={"title": "arm"},
    )
    return fig


def trajectory_figure(result: TrialResult) -> go.Figure:
    """Median and interquartile band per arm and day of SOFA, lymphocytes and mHLA-DR (among
    patients alive that day)."""
    variables = list(TRAJECTORY_LABELS)
    fig = make_subplots(
        rows=1, cols=len(variables), subplot_titles=[TRAJECTORY_LABELS[v] for v in variables]
    )
    traj = result.trajectories
    arms = [a["name"] for a in result.arms]
    for col, var in enumerate(variables, start=1):
        for i, arm in enumerate(arms):
            d = traj[(traj["variable"] == var) & (traj["arm"] == arm)].sort_values("day")
            if d.empty:
                continue
            colour = arm_colour(i)
            x = d["day"].tolist()
            fig.add_trace(
                go.Scatter(
                    x=x + x[::-1],
                    y=d["q75"].tolist() + d["q25"].tolist()[::-1],
                    fill="toself",
                    fillcolor=_rgba(colour, 0.15),
                    line={"width": 0},
                    hoverinfo="skip",
                    showlegend=False,
                    legendgroup=arm,
                ),
                row=1,
                col=col,
            )
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=d["median"].tolist(),
                    mode="lines+markers",
                    marker={"size": 4},
                    line={"color": colour},
                    name=arm,
                    legendgroup=arm,
                    showlegend=col == 1,
                    customdata=d["n"].tolist(),
                    hovertemplate=f"{arm} day %{{x}}: median %{{y:.3g}} "
                    "(n=%{customdata})<extra></extra>",
                ),
                row=1,
                col=col,
            )
        fig.update_xaxes(title_text="day since enrollment", row=1, col=col)
    fig.update_layout(
        title="Biomarker trajectories per arm (median, IQR band)",
        template="plotly_white",
        legend={"title": "arm"},
    )
    return fig
