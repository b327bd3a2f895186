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
                mode="lines",
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
    at_risk = result.at_risk
    n_arms = len(result.km)
    if len(at_risk):
        # Numbers at risk under the x axis, one line per arm in its colour (the usual layout
        # of a trial's KM figure); the same numbers are in the report's table below it.
        fig.add_annotation(
            x=0,
            y=-0.2,
            xref="paper",
            yref="paper",
            text="<b>at risk</b>",
            showarrow=False,
            xanchor="right",
            yanchor="middle",
            font={"size": 11},
        )
        for i, arm in enumerate(result.km):
            rows = at_risk[at_risk["arm"] == arm]
            y = -0.27 - 0.07 * i
            fig.add_annotation(
                x=0,
                y=y,
                xref="paper",
                yref="paper",
                text=arm,
                showarrow=False,
                xanchor="right",
                yanchor="middle",
                font={"size": 11, "color": arm_colour(i)},
            )
            for _, r in rows.iterrows():
                fig.add_annotation(
                    x=float(r["day"]),
                    y=y,
                    xref="x",
                    yref="paper",
                    text=f"{int(r['n'])}",
                    showarrow=False,
                    yanchor="middle",
                    font={"size": 11, "color": arm_colour(i)},
                )
    fig.update_layout(
        title=f"Kaplan-Meier survival: {result.name}",
        xaxis_title="days since enrollment",
        yaxis_title="survival",
        yaxis={"range": [0, 1.02], "tickformat": ".0%"},
        template="plotly_white",
        legend={"title": "arm"},
        margin={"l": 110, "b": 90 + 26 * n_arms},
        height=460 + 26 * n_arms,
    )
    if len(at_risk):
        # Ticks on the days the numbers at risk are given for, so they line up.
        fig.update_xaxes(tickvals=sorted(at_risk["day"].unique().tolist()))
    return fig


def trajectory_figure(result: TrialResult) -> go.Figure:
    """Median and interquartile band per arm and day of SOFA, lymphocytes and mHLA-DR among
    the patients alive that day (survivors only, labelled so), beside the share of each arm
    alive that day, so a falling median is read together with the deaths."""
    variables = list(TRAJECTORY_LABELS)
    fig = make_subplots(
        rows=1,
        cols=len(variables) + 1,
        subplot_titles=[
            *(f"{TRAJECTORY_LABELS[v]}<br><sup>patients alive that day</sup>" for v in variables),
            "Alive (% of arm)<br><sup>deaths lower this line</sup>",
        ],
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
                    mode="lines",
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
    sizes = {a["name"]: a["n"] for a in result.arms}
    alive_col = len(variables) + 1
    for i, arm in enumerate(arms):
        d = traj[(traj["variable"] == variables[0]) & (traj["arm"] == arm)].sort_values("day")
        if d.empty or not sizes.get(arm):
            continue
        share = (d["n"] / sizes[arm]).tolist()
        fig.add_trace(
            go.Scatter(
                x=d["day"].tolist(),
                y=share,
                mode="lines+markers",
                marker={"size": 4},
                line={"color": arm_colour(i), "shape": "hv"},
                name=arm,
                legendgroup=arm,
                showlegend=False,
                customdata=d["n"].tolist(),
                hovertemplate=f"{arm} day %{{x}}: %{{y:.0%}} alive "
                "(n=%{customdata})<extra></extra>",
            ),
            row=1,
            col=alive_col,
        )
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%", row=1, col=alive_col)
    fig.update_xaxes(title_text="day since enrollment", row=1, col=alive_col)
    fig.update_layout(
        title="Trajectories per arm: median and IQR among patients alive that day "
        "(survivors only), and the share alive",
        template="plotly_white",
        legend={"title": "arm"},
    )
    return fig


def forest_figure(result: TrialResult) -> go.Figure:
    """Hazard ratio (95% CI) of each arm against the first, overall and per screening
    phenotype, on a log axis with the line of no effect."""
    rows: list[tuple[str, str, float, float, float]] = []
    for c in result.comparisons:
        if c.get("hazard_ratio") is not None and c.get("hazard_ratio_ci"):
            lo, hi = c["hazard_ratio_ci"]
            rows.append(("all enrolled", c["arm"], c["hazard_ratio"], lo, hi))
    for s in result.subgroups:
        for c in s["comparisons"]:
            if c.get("hazard_ratio") is not None and c.get("hazard_ratio_ci"):
                lo, hi = c["hazard_ratio_ci"]
                rows.append((s["phenotype"], c["arm"], c["hazard_ratio"], lo, hi))
    arms = [a["name"] for a in result.arms]
    fig = go.Figure()
    labels = [f"{g} / {a}" for g, a, *_ in rows]
    for i, arm in enumerate(arms[1:], start=1):
        mine = [(lab, r) for lab, r in zip(labels, rows, strict=True) if r[1] == arm]
        if not mine:
            continue
        fig.add_trace(
            go.Scatter(
                x=[r[2] for _, r in mine],
                y=[lab for lab, _ in mine],
                mode="markers",
                marker={"size": 9, "color": arm_colour(i), "symbol": "square"},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [r[4] - r[2] for _, r in mine],
                    "arrayminus": [r[2] - r[3] for _, r in mine],
                },
                name=arm,
                hovertemplate="%{y}: HR %{x:.2f}<extra></extra>",
            )
        )
    fig.add_vline(x=1.0, line={"dash": "dash", "color": "#888"})
    fig.update_layout(
        title=f"Hazard ratio vs {arms[0] if arms else '-'} (95% CI), overall and by phenotype",
        xaxis={
            "type": "log",
            "title": "hazard ratio (log scale; < 1 favours the arm)",
            "tickvals": [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20],
            "ticktext": ["0.05", "0.1", "0.2", "0.5", "1", "2", "5", "10", "20"],
        },
        yaxis={"autorange": "reversed"},
        template="plotly_white",
        height=160 + 34 * max(len(rows), 1),
        legend={"title": "arm"},
    )
    return fig


def consort_svg(result: TrialResult) -> str:
    """The CONSORT flow as an SVG: sampled, died before screening, screened, not enrolled
    (reasons per phenotype), randomised, allocated per arm, analysed."""
    import html as _html

    sc = result.screening
    by = sc.get("by_phenotype", {})
    reasons: list[str] = []
    for ph, v in by.items():
        for why, k in (v.get("not_enrolled") or {}).items():
            reasons.append(f"{ph}: {why} ({k:,})")
    not_enrolled = sc["n_screened"] - sc["n_enrolled"]
    arms = result.arms
    box_w, x_main = 300, 40
    side_x = x_main + box_w + 60
    # About 7.5 px per character at 13 px: boxes as wide as their longest line.
    longest = max([len(r) for r in reasons] + [34])
    side_w = 7.5 * longest + 24
    width = max(side_x + side_w + 10, 190 * len(arms) + 40)
    lines: list[str] = []

    def box(x: float, y: float, w: float, h: float, texts: list[str], cls: str = "") -> None:
        lines.append(
            f'<rect class="box {cls}" x="{x}" y="{y}" width="{w}" height="{h}" rx="6" '
            'fill="#fff" stroke="#555"/>'
        )
        for k, t in enumerate(texts):
            weight = ' font-weight="bold"' if k == 0 else ""
            lines.append(
                f'<text x="{x + 10}" y="{y + 20 + 17 * k}" font-size="13"{weight}>'
                f"{_html.escape(t)}</text>"
            )

    def arrow(x1: float, y1: float, x2: float, y2: float) -> None:
        lines.append(
            f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#555" '
            'marker-end="url(#arrow)"/>'
        )

    box(x_main, 10, box_w, 42, [f"Virtual patients sampled: {sc['n_sampled']:,}"], "sampled")
    box(
        side_x,
        62,
        side_w,
        42,
        [f"Died before screening: {sc['n_died_before_screening']:,}"],
        "died",
    )
    arrow(x_main + box_w / 2, 52, x_main + box_w / 2, 120)
    arrow(x_main + box_w / 2, 83, side_x, 83)
    box(x_main, 120, box_w, 42, [f"Screened: {sc['n_screened']:,}"], "screened")
    reason_h = 30 + 17 * max(len(reasons), 1)
    box(
        side_x,
        172,
        side_w,
        reason_h,
        [f"Not enrolled: {not_enrolled:,}", *(reasons or ["(reasons not recorded)"])],
        "not-enrolled",
    )
    y_rand = max(240, 172 + reason_h + 20)
    arrow(x_main + box_w / 2, 162, x_main + box_w / 2, y_rand)
    arrow(x_main + box_w / 2, 190, side_x, 190)
    box(x_main, y_rand, box_w, 42, [f"Enrolled and randomised: {sc['n_enrolled']:,}"], "randomised")
    y_arm = y_rand + 90
    arm_w = (width - 40 - 20 * (len(arms) - 1)) / max(len(arms), 1)
    for i, a in enumerate(arms):
        x = 20 + i * (arm_w + 20)
        arrow(x_main + box_w / 2, y_rand + 42, x + arm_w / 2, y_arm)
        deaths = "-" if a.get("deaths_28d") is None else f"{a['deaths_28d']:,}"
        box(
            x,
            y_arm,
            arm_w,
            80,
            [a["name"], f"allocated {a['n']:,}", f"analysed {a['n']:,}", f"deaths 28 d {deaths}"],
            "arm",
        )
    height = y_arm + 95
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" id="consort" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        'aria-label="CONSORT flow diagram"><defs><marker id="arrow" viewBox="0 0 10 10" '
        'refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>'
        '<g font-family="system-ui, sans-serif">'
    )
    return head + "".join(lines) + "</g></svg>"
