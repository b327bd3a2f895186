"""Plotly figures of the dashboard, as JSON-ready dicts (drawn by the packaged plotly.js).

Figures only draw what the assessment and the trial analysis computed. Phenotypes are told
apart by marker symbol and text label as well as colour.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sepsistwin.clinical.config import ClinicalConfig, default_config
from sepsistwin.data import CATALOGUE
from sepsistwin.report.figures import arm_colour
from sepsistwin.trial import TrialResult
from sepsistwin.web.datasets import BIOMARKERS, Dataset

#: Phenotype -> (colour, marker symbol, order on the axis); colour is never the only cue.
PHENOTYPE_STYLE: dict[str, tuple[str, str, int]] = {
    "MALS": ("#b2182b", "triangle-up", 3),
    "immunoparalysis": ("#2166ac", "square", 2),
    "intermediate": ("#1b7837", "circle", 1),
    "indeterminate": ("#7f7f7f", "x", 0),
}


def to_json(fig: go.Figure) -> str:
    """The figure as JSON text (for a ``<script type="application/json">`` data block)."""
    text: str = fig.to_json()
    return text


def _layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(
        title=title,
        template="plotly_white",
        height=height,
        margin={"l": 70, "r": 30, "t": 60, "b": 50},
        font={"size": 13},
    )
    return fig


def phenotype_timeline(records: Sequence[dict[str, Any]], patient_id: str) -> go.Figure:
    """SOFA (total, with septic-shock days marked) and the immune phenotype per day."""
    days = [r["day"] for r in records]
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        row_heights=[0.6, 0.4],
        vertical_spacing=0.08,
        subplot_titles=("SOFA score", "Immune phenotype (PROVIDE)"),
    )
    fig.add_trace(
        go.Bar(
            x=days,
            y=[r["sofa"] for r in records],
            name="SOFA",
            marker={"color": "#6a51a3"},
            text=[f"{r['sofa']}{' shock' if r['septic_shock'] else ''}" for r in records],
            textposition="outside",
            hovertemplate="day %{x}: SOFA %{y}<extra></extra>",
        ),
        row=1,
        col=1,
    )
    for name, (colour, symbol, _) in PHENOTYPE_STYLE.items():
        sel = [r for r in records if r["phenotype"] == name]
        if not sel:
            continue
        fig.add_trace(
            go.Scatter(
                x=[r["day"] for r in sel],
                y=[name for _ in sel],
                mode="markers+text",
                name=name,
                text=[r["immune_state"] for r in sel],
                textposition="middle right",
                marker={"color": colour, "symbol": symbol, "size": 16, "line": {"width": 1}},
                hovertemplate="day %{x}: " + name + " (%{text})<extra></extra>",
            ),
            row=2,
            col=1,
        )
    order = sorted(PHENOTYPE_STYLE, key=lambda k: PHENOTYPE_STYLE[k][2])
    fig.update_yaxes(title_text="SOFA (0-24)", range=[0, 25], row=1, col=1)
    fig.update_yaxes(
        categoryorder="array",
        categoryarray=order,
        type="category",
        range=[-0.5, len(order) - 0.5],
        row=2,
        col=1,
    )
    fig.update_xaxes(title_text="day since time zero", dtick=1, row=2, col=1)
    return _layout(fig, f"Patient {patient_id}: SOFA and immune phenotype by day", 520)


def biomarker_thresholds(cfg: ClinicalConfig | None = None) -> dict[str, list[tuple[float, str]]]:
    """Thresholds drawn on each biomarker panel: ``variable -> [(value, label)]``."""
    c = cfg or default_config()
    im = c.immune_state
    return {
        "ferritin": [(c.phenotype.mals_ferritin_ng_ml, "MALS > 4,420")],
        "mhla_dr": [
            (c.phenotype.immunoparalysis_mhla_dr_ab_c, "immunoparalysis < 5,000"),
            (im.mhla_dr_low_ab_c.value, "low < 8,000"),
        ],
        "lymphocytes": [(im.lymphocytes_low_1e9_l.value, "lymphopenia <= 1.1")],
        "il6": [(im.il6_high_pg_ml.value, "hyperinflammatory > 1,000")],
        "lactate": [(c.septic_shock.lactate_mmol_l, "shock lactate > 2")],
    }


def biomarker_panels(
    records: Sequence[dict[str, Any]], patient_id: str, cfg: ClinicalConfig | None = None
) -> go.Figure:
    """Ferritin, mHLA-DR, lymphocytes, IL-6 and lactate by day (the day's worst value), each
    with its rule thresholds; days without a value are listed in the panel title."""
    thresholds = biomarker_thresholds(cfg)
    titles = []
    for v in BIOMARKERS:
        var = CATALOGUE[v]
        absent = [str(r["day"]) for r in records if r.get(v) is None]
        note = f" (not measured: day {', '.join(absent)})" if absent else ""
        titles.append(f"{var.label} [{var.canonical_unit}]{note}")
    fig = make_subplots(
        rows=len(BIOMARKERS),
        cols=1,
        shared_xaxes=True,
        subplot_titles=titles,
        vertical_spacing=0.06,
    )
    for i, v in enumerate(BIOMARKERS, start=1):
        unit = CATALOGUE[v].canonical_unit
        days = [r["day"] for r in records]
        values = [r.get(v) for r in records]
        fig.add_trace(
            go.Scatter(
                x=days,
                y=values,
                mode="lines+markers",
                name=CATALOGUE[v].label,
                line={"color": "#333333"},
                connectgaps=False,
                hovertemplate=f"day %{{x}}: %{{y:,.4g}} {unit}<extra></extra>",
                showlegend=False,
            ),
            row=i,
            col=1,
        )
        for value, label in thresholds.get(v, []):
            fig.add_hline(
                y=value,
                line={"dash": "dash", "color": "#b2182b", "width": 1},
                annotation_text=label,
                annotation_position="top left",
                row=i,
                col=1,
            )
    fig.update_xaxes(title_text="day since time zero", dtick=1, row=len(BIOMARKERS), col=1)
    return _layout(fig, f"Patient {patient_id}: biomarkers against the rule thresholds", 1100)


def numbers_at_risk(
    patients: pd.DataFrame, arms: Sequence[str], times: Sequence[float]
) -> dict[str, list[int]]:
    """Patients still followed (alive and not censored) at each time, per arm."""
    out = {}
    for arm in arms:
        t = patients.loc[patients["arm"] == arm, "time_days"].to_numpy(float)
        out[arm] = [int(np.sum(t >= x)) for x in times]
    return out


def risk_times(follow_up_days: int) -> list[float]:
    """Weekly times from 0 to the end of follow-up."""
    step = 7 if follow_up_days <= 56 else 14
    times = list(range(0, int(follow_up_days) + 1, step))
    if times[-1] != follow_up_days:
        times.append(int(follow_up_days))
    return [float(t) for t in times]


def km_with_risk_table(result: TrialResult, patients: pd.DataFrame) -> go.Figure:
    """Kaplan-Meier per arm (95% band) above a numbers-at-risk table."""
    arms = [a["name"] for a in result.arms]
    times = risk_times(result.follow_up_days)
    at_risk = numbers_at_risk(patients, arms, times)
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.78, 0.22], vertical_spacing=0.1
    )
    dashes = ("solid", "dash", "dot", "dashdot", "longdash")
    for i, arm in enumerate(arms):
        km = result.km[arm]
        colour = arm_colour(i)
        t = km["time_days"].tolist()
        if t:
            fig.add_trace(
                go.Scatter(
                    x=t + t[::-1],
                    y=km["upper"].tolist() + km["lower"].tolist()[::-1],
                    fill="toself",
                    fillcolor=colour,
                    opacity=0.15,
                    line={"width": 0},
                    hoverinfo="skip",
                    showlegend=False,
                    name=f"{arm} 95% CI",
                ),
                row=1,
                col=1,
            )
        fig.add_trace(
            go.Scatter(
                x=t,
                y=km["survival"].tolist(),
                mode="lines",
                line={"shape": "hv", "color": colour, "width": 2, "dash": dashes[i % 5]},
                name=arm,
                hovertemplate=f"{arm}: day %{{x:.1f}}, %{{y:.1%}} alive<extra></extra>",
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=times,
                y=[arm] * len(times),
                mode="text",
                text=[str(n) for n in at_risk[arm]],
                textfont={"color": colour},
                showlegend=False,
                name=f"{arm} at risk",
                hoverinfo="skip",
            ),
            row=2,
            col=1,
        )
    fig.update_yaxes(title_text="survival", range=[0, 1.02], tickformat=".0%", row=1, col=1)
    fig.update_yaxes(
        title_text="at risk",
        type="category",
        categoryorder="array",
        categoryarray=arms[::-1],
        row=2,
        col=1,
    )
    fig.update_xaxes(tickvals=times, row=1, col=1)
    fig.update_xaxes(title_text="days since enrollment", tickvals=times, row=2, col=1)
    return _layout(fig, f"Kaplan-Meier survival: {result.name}", 560)


def forest(result: TrialResult) -> go.Figure:
    """Hazard ratios (95% CI) of each arm against the first: overall and per phenotype."""
    rows: list[tuple[str, dict[str, Any]]] = [
        (f"all: {c['arm']} vs {c['versus']}", c) for c in result.comparisons
    ]
    for sg in result.subgroups:
        rows += [(f"{sg['phenotype']}: {c['arm']} vs {c['versus']}", c) for c in sg["comparisons"]]
    rows = [(label, c) for label, c in rows if c.get("hazard_ratio") is not None]
    fig = go.Figure()
    if rows:
        labels = [label for label, _ in rows]
        hr = [c["hazard_ratio"] for _, c in rows]
        lo = [
            c["hazard_ratio_ci"][0] if c.get("hazard_ratio_ci") else h
            for (_, c), h in zip(rows, hr, strict=True)
        ]
        hi = [
            c["hazard_ratio_ci"][1] if c.get("hazard_ratio_ci") else h
            for (_, c), h in zip(rows, hr, strict=True)
        ]
        fig.add_trace(
            go.Scatter(
                x=hr,
                y=labels,
                mode="markers",
                marker={"symbol": "square", "size": 10, "color": "#333333"},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [h - h0 for h, h0 in zip(hi, hr, strict=True)],
                    "arrayminus": [h0 - low for h0, low in zip(hr, lo, strict=True)],
                },
                name="hazard ratio",
                hovertemplate="%{y}: HR %{x:.2f}<extra></extra>",
            )
        )
        fig.add_vline(x=1.0, line={"dash": "dash", "color": "#7f7f7f"})
    fig.update_xaxes(
        type="log",
        tickvals=[0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20],
        title_text="hazard ratio (log scale), < 1 favours the arm",
    )
    fig.update_yaxes(autorange="reversed")
    return _layout(
        fig, "Hazard ratios with 95% CI (Cox), overall and by phenotype", 160 + 40 * len(rows)
    )


def figure_dict(fig: go.Figure) -> dict[str, Any]:
    """The figure as plain JSON types (``data``, ``layout``)."""
    out: dict[str, Any] = json.loads(fig.to_json())
    return out


def patient_figures(ds: Dataset, patient_id: str) -> tuple[str, str]:
    """JSON of a patient's phenotype timeline and biomarker panels (built once per dataset).

    Raises
    ------
    KeyError
        Unknown patient (the message lists the known ones).
    """
    rows = ds.patient_records(patient_id)  # KeyError for an unknown patient, before caching

    def make() -> tuple[str, str]:
        return (
            to_json(phenotype_timeline(rows, patient_id)),
            to_json(biomarker_panels(rows, patient_id)),
        )

    timeline, biomarkers = ds.cached(f"figures:{patient_id}", make)
    return timeline, biomarkers


def simulation_figure(result: dict[str, Any], series: Sequence[tuple[str, str]]) -> go.Figure:
    """One panel per read-out, one line per scenario (colour and dash), time in days."""
    from sepsistwin.report.figures import arm_colour

    fig = make_subplots(
        rows=len(series), cols=1, shared_xaxes=True, subplot_titles=[n for _, n in series]
    )
    days = [t / 24.0 for t in result["time"]]
    dashes = ("solid", "dash", "dot", "dashdot")
    for i, sc in enumerate(result["scenarios"]):
        for row, (kind, name) in enumerate(series, start=1):
            fig.add_trace(
                go.Scatter(
                    x=days,
                    y=sc[kind][name],
                    mode="lines",
                    name=sc["name"],
                    legendgroup=sc["name"],
                    showlegend=row == 1,
                    line={"color": arm_colour(i), "dash": dashes[i % len(dashes)], "width": 2},
                    hovertemplate=f"{sc['name']}: day %{{x:.1f}}, {name} %{{y:.4g}}<extra></extra>",
                ),
                row=row,
                col=1,
            )
    fig.update_xaxes(title_text="days", row=len(series), col=1)
    return _layout(fig, f"What-if: {result['model']}", 230 * len(series) + 120)
