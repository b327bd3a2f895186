"""Score transcriptomic endotypes for every sample: SRS/SRSq, Sweeney, MARS."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from sepsistwin.data.errors import InputError
from sepsistwin.omics import scores as _scores
from sepsistwin.omics import srs as srs_method
from sepsistwin.omics.expression import (
    Expression,
    check_scale,
    expression_from_frame,
    read_expression,
    read_samples,
)
from sepsistwin.omics.genes import GENE_MAP_VERSION, load_gene_map
from sepsistwin.omics.signatures import PLATFORMS, Signature, load_signatures

#: Methods scored by default, in output order.
DEFAULT_METHODS = ("srs_davenport", "srs_extended", "sweeney", "mars")
#: Below this winning-class probability an SRS call is flagged ``low_confidence``.
LOW_CONFIDENCE = 0.6

SrsMode = Literal["auto", "align", "project"]

#: Column prefix of each method in :attr:`EndotypeResult.table`.
PREFIX = {"srs_davenport": "srs", "srs_extended": "srs19", "sweeney": "sweeney", "mars": "mars"}

CALL_COLUMNS = [
    "sample_id",
    "method",
    "class",
    "score",
    "probability",
    "quality",
    "genes_used",
    "genes_missing",
]


@dataclass
class EndotypeResult:
    """Endotype calls for a set of samples.

    Attributes
    ----------
    calls : pandas.DataFrame
        One row per sample and method: ``sample_id, method, class, score, probability,
        quality, genes_used, genes_missing`` (plus ``patient_id, day, hours`` with a sample
        sheet). ``score`` is SRSq for SRS, the winning class's standardised score otherwise.
    table : pandas.DataFrame
        One row per sample, wide: ``srs, srs_p, srsq`` (Davenport), ``srs19, srs19_p, srsq19``
        (extended), ``sweeney`` and ``sweeney_<class>`` z-scores, ``mars`` and ``mars_<class>``.
    refused : list of dict
        Methods not scored, with the reason (missing genes, platform, too few samples).
    meta : dict
        Platform, gene-map version, SRS mode, source, signatures' sources and status.
    """

    calls: pd.DataFrame
    table: pd.DataFrame
    refused: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (as ``sepsistwin endotype --json`` prints it)."""
        calls = self.calls.astype(object).where(self.calls.notna(), None)
        return {
            "meta": self.meta,
            "refused": self.refused,
            "calls": calls.to_dict(orient="records"),
        }

    def summary(self) -> str:
        """Counts of each class per method, and the refused methods."""
        lines = [f"{self.table.shape[0]} samples; platform {self.meta.get('platform')}"]
        for method in self.calls["method"].unique():
            sub = self.calls[self.calls["method"] == method]
            counts = sub["class"].value_counts(dropna=False)
            text = ", ".join(
                f"{k if isinstance(k, str) else 'none'} {v}" for k, v in counts.items()
            )
            lines.append(f"{method}: {text}")
        for r in self.refused:
            lines.append(f"{r['method']}: refused: {r['reason']}")
        return "\n".join(lines)


def _missing_genes(sig: Signature, expr: Expression) -> list[str]:
    present = set(expr.values.columns)
    return [g for g in sig.genes if g not in present]


def _score_srs(
    sig: Signature, expr: Expression, platform: str, mode: SrsMode, k: int
) -> tuple[pd.DataFrame, str]:
    gmap = load_gene_map()
    pairs = tuple((gmap.ensembl_of[g], g) for g in sig.genes)
    ref = srs_method.load_reference(str(sig.reference), pairs)
    x = expr.values[list(ref.genes)]
    ok = x.notna().all(axis=1).to_numpy()
    data = x.to_numpy()[ok]
    n = int(ok.sum())
    use = mode if mode != "auto" else ("align" if n >= srs_method.MIN_ALIGN_SAMPLES else "project")
    paired = np.ones(n, dtype=bool)
    if use == "align":
        if n < 2:
            raise _Refusal(f"alignment needs several samples; {n} given (use project mode)")
        data, paired = srs_method.mnn_align(data, ref.values, k=min(k, n))
    elif platform == "qpcr":
        # SepstratifieR's projectPatient takes qPCR as 2^-Cq, alignment as -Cq.
        data = np.power(2.0, data)
    classes, probs, srsq = srs_method.project(data, ref)
    rows = []
    idx_ok = np.flatnonzero(ok)
    used = ";".join(ref.genes)
    names = expr.samples
    for j, i in enumerate(idx_ok):
        flags = []
        if use == "project":
            flags.append("projected")
        if not paired[j]:
            flags.append("no_mnn_pair")
        if probs[j].max() < LOW_CONFIDENCE:
            flags.append("low_confidence")
        rows.append(
            {
                "sample_id": names[i],
                "class": str(classes[j]),
                "score": float(srsq[j]),
                "probability": float(probs[j].max()),
                "p_SRS1": float(probs[j, 0]),
                "p_SRS2": float(probs[j, 1]),
                "p_SRS3": float(probs[j, 2]),
                "quality": "ok" if not flags else ";".join(flags),
                "genes_used": used,
                "genes_missing": "",
            }
        )
    for i in np.flatnonzero(~ok):
        absent = [
            g for g in ref.genes if pd.isna(expr.values.iat[i, expr.values.columns.get_loc(g)])
        ]
        rows.append(
            {
                "sample_id": names[i],
                "class": None,
                "score": np.nan,
                "probability": np.nan,
                "quality": "refused: no value for " + ", ".join(absent),
                "genes_used": "",
                "genes_missing": ";".join(absent),
            }
        )
    return pd.DataFrame(rows), use


class _Refusal(Exception):
    pass


def _gene_scores(sig: Signature, expr: Expression) -> pd.DataFrame:
    n = expr.values.shape[0]
    if n < sig.min_samples:
        raise _Refusal(
            f"scores are standardised across the samples scored together; {n} given, "
            f"at least {sig.min_samples} needed"
        )
    genes = [g for g in sig.genes if g in expr.values.columns]
    values = expr.values[genes].to_numpy()
    raw = (
        _scores.module_scores(values, genes, sig)
        if sig.kind == "module_scores"
        else _scores.ratio_scores(values, genes, sig)
    )
    z = {cls: _scores.standardise(v) for cls, v in raw.items()}
    stacked = np.column_stack([z[c] for c in sig.classes])
    finite = np.isfinite(stacked).all(axis=1)
    best = np.argmax(np.where(np.isfinite(stacked), stacked, -np.inf), axis=1)
    missing = [g for g in sig.genes if g not in genes]
    flags = ["genes_missing"] if missing else []
    if sig.class_rule_status and sig.class_rule_status != "VERIFIED":
        flags.append(f"class_rule_{sig.class_rule_status.lower()}")
    rows = []
    names = expr.samples
    for i in range(n):
        row: dict[str, Any] = {
            "sample_id": names[i],
            "class": sig.classes[best[i]] if finite[i] else None,
            "score": float(stacked[i, best[i]]) if finite[i] else np.nan,
            "probability": np.nan,
            "quality": ";".join(flags)
            if finite[i] and flags
            else ("ok" if finite[i] else "refused: missing values"),
            "genes_used": ";".join(genes),
            "genes_missing": ";".join(missing),
        }
        for c in sig.classes:
            row[f"z_{c}"] = float(z[c][i])
            row[f"raw_{c}"] = float(raw[c][i])
        rows.append(row)
    return pd.DataFrame(rows)


def _wide(calls: pd.DataFrame, methods: Sequence[str], samples: list[str]) -> pd.DataFrame:
    table = pd.DataFrame(index=pd.Index(samples, name="sample_id"))
    sigs = load_signatures()
    for method in methods:
        sub = calls[calls["method"] == method].set_index("sample_id")
        if sub.empty:
            continue
        p = PREFIX[method]
        table[p] = sub["class"]
        if sigs[method].kind == "reference_projection":
            suffix = "19" if method == "srs_extended" else ""
            table[f"{p}_p"] = sub["probability"]
            table[f"srsq{suffix}"] = sub["score"]
        else:
            for c in sigs[method].classes:
                table[f"{p}_{c.lower()}"] = sub[f"z_{c}"]
        table[f"{p}_quality"] = sub["quality"]
    return table


def endotype(
    expression: str | Path | pd.DataFrame | Expression,
    *,
    samples: str | Path | pd.DataFrame | None = None,
    platform: str = "rnaseq",
    methods: Sequence[str] | None = None,
    srs_mode: SrsMode = "auto",
    k: int = srs_method.ALIGN_K,
) -> EndotypeResult:
    """Assign transcriptomic endotypes to whole-blood samples.

    Parameters
    ----------
    expression
        Gene x sample matrix (CSV/TSV/Parquet path or DataFrame; first column HGNC symbols or
        Ensembl gene ids), or an :class:`~sepsistwin.omics.expression.Expression`.
    samples
        Optional sample sheet (``sample_id, patient_id, day|hours``) linking samples to patients
        and assessment days.
    platform
        ``rnaseq`` (log2 CPM), ``microarray`` (normalised log2 intensity) or ``qpcr`` (-Cq).
    methods
        Subset of ``srs_davenport, srs_extended, sweeney, mars`` (default: all).
    srs_mode
        ``align`` (mNN alignment to the reference, >= 25 samples advised), ``project``
        (single-sample nearest-neighbour projection) or ``auto`` (align from 25 samples).
    k
        Neighbours for the mNN alignment (SepstratifieR default 20; 20-30 % of the samples
        advised).

    Returns
    -------
    EndotypeResult

    Raises
    ------
    sepsistwin.data.InputError
        Unreadable matrix, identifiers that are not genes, values not on a log scale, a bad
        sample sheet, or every requested method refused.

    Examples
    --------
    >>> from sepsistwin.omics.examples import example_expression_path, example_samples_path
    >>> res = endotype(example_expression_path(), samples=example_samples_path())
    >>> sorted(res.calls["method"].unique())
    ['mars', 'srs_davenport', 'srs_extended', 'sweeney']
    """
    if platform not in PLATFORMS:
        raise InputError(
            f"platform {platform!r} is not known; expected one of {', '.join(PLATFORMS)}",
            field="platform",
            value=platform,
            expected=", ".join(PLATFORMS),
        )
    sigs = load_signatures()
    chosen = list(methods) if methods is not None else list(DEFAULT_METHODS)
    unknown = [m for m in chosen if m not in sigs]
    if unknown:
        raise InputError(
            f"method {unknown[0]!r} is not known; expected one of {', '.join(DEFAULT_METHODS)}",
            field="methods",
            value=unknown[0],
            expected=", ".join(DEFAULT_METHODS),
        )
    wanted = {g for m in chosen for g in sigs[m].genes}
    if isinstance(expression, Expression):
        expr = expression
    elif isinstance(expression, pd.DataFrame):
        expr = expression_from_frame(expression, genes=wanted)
    else:
        expr = read_expression(expression, genes=wanted)
    check_scale(expr.values, platform, expr.source)

    parts: list[pd.DataFrame] = []
    refused: list[dict[str, Any]] = []
    modes: dict[str, str] = {}
    for method in chosen:
        sig = sigs[method]
        missing = _missing_genes(sig, expr)
        if platform not in sig.platforms:
            refused.append(
                {
                    "method": method,
                    "reason": f"not validated for platform {platform!r}",
                    "genes_missing": missing,
                }
            )
            continue
        if len(missing) > sig.allowed_missing():
            refused.append(
                {
                    "method": method,
                    "reason": f"{len(missing)} of {len(sig.genes)} genes missing "
                    f"({', '.join(missing)}); at most {sig.allowed_missing()} allowed",
                    "genes_missing": missing,
                }
            )
            continue
        try:
            if sig.kind == "reference_projection":
                part, modes[method] = _score_srs(sig, expr, platform, srs_mode, k)
            else:
                part = _gene_scores(sig, expr)
        except _Refusal as exc:
            refused.append({"method": method, "reason": str(exc), "genes_missing": missing})
            continue
        part.insert(1, "method", method)
        parts.append(part)
    if not parts:
        reasons = "; ".join(f"{r['method']}: {r['reason']}" for r in refused)
        raise InputError(
            f"{expr.source}: no endotype method could be scored: {reasons}",
            file=expr.source,
            field="genes",
            expected="the genes of at least one signature",
        )
    calls = pd.concat(parts, ignore_index=True)
    order = {s: i for i, s in enumerate(expr.samples)}
    calls = calls.sort_values(
        ["sample_id", "method"], key=lambda c: c.map(order) if c.name == "sample_id" else c
    ).reset_index(drop=True)
    table = _wide(calls, chosen, expr.samples)
    if samples is not None:
        sheet = read_samples(samples)
        unknown_s = sorted(set(expr.samples) - set(sheet["sample_id"]))
        if unknown_s:
            raise InputError(
                f"sample sheet: sample {unknown_s[0]!r} of {expr.source} is not listed "
                f"({len(unknown_s)} unlisted); expected a row per sample",
                field="sample_id",
                value=unknown_s[0],
                expected="every matrix sample in the sample sheet",
            )
        calls = sheet.merge(calls, on="sample_id", how="right")
        table = sheet.set_index("sample_id").join(table, how="right")
    meta = {
        "source": expr.source,
        "platform": platform,
        "n_samples": len(expr.samples),
        "n_genes_input": expr.n_genes_input,
        "gene_map": GENE_MAP_VERSION,
        "duplicates_averaged": expr.duplicates_averaged,
        "srs_mode": modes,
        "signatures": {
            m: {
                "label": sigs[m].label,
                "sources": list(sigs[m].sources),
                "licence": sigs[m].licence,
                "status": sigs[m].status,
                "class_rule_status": sigs[m].class_rule_status,
            }
            for m in chosen
        },
    }
    return EndotypeResult(calls=calls, table=table, refused=refused, meta=meta)
