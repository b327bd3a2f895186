"""Read gene x sample expression matrices and sample sheets; check identifiers and scale.

Every problem names the file, the row or column, the field, the value and what was expected,
as :class:`sepsistwin.data.InputError`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sepsistwin.data.errors import InputError
from sepsistwin.omics.genes import GeneMap, load_gene_map

#: Largest value a log2-scale expression matrix plausibly holds (log2 of ~10^9).
LOG_SCALE_MAX = 30.0
#: qPCR cycle thresholds lie in this range; positive values there are Cq, not -Cq.
CQ_RANGE = (5.0, 45.0)

_EXPECTED_SCALE = {
    "rnaseq": "log2 counts per million, log2(CPM + 1)",
    "microarray": "background-corrected, normalised log2 intensities",
    "qpcr": "negative Cq values (-Cq)",
}


@dataclass
class Expression:
    """Expression of the signature genes: one row per sample, one column per HGNC symbol.

    Attributes
    ----------
    values : pandas.DataFrame
        Samples x genes (current HGNC symbols), float64. Only genes some signature uses.
    source : str
        File name or ``"<frame>"``.
    identifiers : dict of str to list of str
        For each symbol, the input identifiers (rows) that were mapped to it.
    n_genes_input : int
        Rows (genes) in the input.
    duplicates_averaged : list of str
        Symbols that several input rows mapped to (averaged, e.g. microarray probes).
    """

    values: pd.DataFrame
    source: str
    identifiers: dict[str, list[str]] = field(default_factory=dict)
    n_genes_input: int = 0
    duplicates_averaged: list[str] = field(default_factory=list)

    @property
    def samples(self) -> list[str]:
        """Sample ids in input order."""
        return [str(s) for s in self.values.index]


def _h5_strings(node: Any) -> list[str]:
    return [v.decode() if isinstance(v, bytes) else str(v) for v in node[...].tolist()]


def _read_h5ad(path: Path) -> pd.DataFrame:
    """An AnnData file (samples x genes ``X``, dense or CSR/CSC) as a samples-as-rows frame.

    Read with h5py from the AnnData on-disk format (``X``, ``obs`` and ``var`` with their
    ``_index``), so the anndata package is not needed; the expression values are ``X`` as
    stored (check the scale the signature expects: log values, not counts).
    """
    import h5py
    import scipy.sparse as sp

    def bad(problem: str) -> InputError:
        return InputError(
            f"{path.name}: {problem}; expected an AnnData .h5ad file (X, obs and var with "
            "their index)",
            file=path.name,
            field="format",
            value=".h5ad",
            expected="AnnData on-disk format",
        )

    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise bad(f"not readable as HDF5 ({exc})") from None
    with f:
        for key in ("X", "obs", "var"):
            if key not in f:
                raise bad(f"no '{key}'")
        names = {}
        for key in ("obs", "var"):
            group = f[key]
            index = group.attrs.get("_index", "_index")
            index = index.decode() if isinstance(index, bytes) else str(index)
            if index not in group:
                raise bad(f"'{key}' has no index '{index}'")
            names[key] = _h5_strings(group[index])
        x = f["X"]
        if isinstance(x, h5py.Dataset):
            values = np.asarray(x[...], dtype=np.float64)
        else:
            kind = x.attrs.get("encoding-type", b"")
            kind = kind.decode() if isinstance(kind, bytes) else str(kind)
            if kind not in ("csr_matrix", "csc_matrix"):
                raise bad(f"X is stored as {kind or 'an unknown group'}")
            shape = tuple(int(v) for v in x.attrs["shape"])
            make = sp.csr_matrix if kind == "csr_matrix" else sp.csc_matrix
            matrix = make((x["data"][...], x["indices"][...], x["indptr"][...]), shape=shape)
            values = np.asarray(matrix.toarray(), dtype=np.float64)
    if values.shape != (len(names["obs"]), len(names["var"])):
        raise bad(
            f"X is {values.shape[0]} x {values.shape[1]} but obs has {len(names['obs'])} "
            f"and var {len(names['var'])} names"
        )
    frame = pd.DataFrame(values, columns=names["var"])
    frame.insert(0, "sample", names["obs"])
    return frame


def _read_table(path: Path) -> pd.DataFrame:
    suffix = "".join(path.suffixes[-2:]).lower() if path.suffix == ".gz" else path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        frame = pd.read_parquet(path)
        if frame.index.name is not None or not isinstance(frame.index, pd.RangeIndex):
            frame = frame.reset_index()
        return frame
    if suffix in (".csv", ".csv.gz"):
        return pd.read_csv(path)
    if suffix in (".tsv", ".tsv.gz", ".txt", ".txt.gz"):
        return pd.read_csv(path, sep="\t")
    if suffix == ".h5ad":
        return _read_h5ad(path)
    raise InputError(
        f"{path.name}: unknown expression file type {suffix!r}; expected .csv, .tsv, .txt or "
        ".parquet (optionally .gz)",
        file=path.name,
        field="format",
        value=suffix,
        expected=".csv/.tsv/.parquet",
    )


def _select(
    frame: pd.DataFrame, gene_map: GeneMap, name: str, wanted: set[str] | None
) -> tuple[pd.DataFrame, list[str], bool, list[int]]:
    """(gene-rows frame of the wanted genes indexed by input id, their symbols, transposed,
    their 0-based row positions in the input; sample positions when transposed).

    Only the rows (or columns) that map to a wanted gene are copied, so a 20,000-gene matrix
    costs no more than its signature genes.
    """
    first = frame.columns[0]
    row_ids = frame[first].astype(str).tolist()
    row_sym = [gene_map.resolve(x) for x in row_ids]
    col_sym = [gene_map.resolve(str(c)) for c in frame.columns[1:]]
    hits_rows = sum(s is not None for s in row_sym)
    hits_cols = sum(s is not None for s in col_sym)
    if hits_rows == 0 and hits_cols == 0:
        shown = ", ".join(row_ids[:3])
        raise InputError(
            f"{name}: column 1 ({first!r}): no identifier (e.g. {shown}) is a signature gene's "
            "HGNC symbol (current or previous) or Ensembl gene id; expected a gene x sample "
            "matrix with gene identifiers in the first column",
            file=name,
            field=str(first),
            value=shown,
            expected="HGNC symbols or Ensembl gene ids (ENSG...)",
        )

    def keep(sym: str | None) -> bool:
        return sym is not None and (wanted is None or sym in wanted)

    if hits_cols > hits_rows:
        # Samples as rows (SepstratifieR's layout): the header holds the genes.
        cols = [c for c, s in zip(frame.columns[1:], col_sym, strict=True) if keep(s)]
        body = frame.set_index(first)[cols].T
        return body, [str(s) for s in col_sym if keep(s)], True, list(range(frame.shape[0]))
    mask = np.array([keep(s) for s in row_sym], dtype=bool)
    body = frame.loc[mask].set_index(first)
    symbols = [str(s) for s, m in zip(row_sym, mask, strict=True) if m]
    return body, symbols, False, np.flatnonzero(mask).tolist()


def _numeric(body: pd.DataFrame, name: str, transposed: bool, positions: list[int]) -> pd.DataFrame:
    if all(pd.api.types.is_numeric_dtype(t) for t in body.dtypes):
        return body.astype(np.float64)
    out = body.apply(pd.to_numeric, errors="coerce")
    bad = out.isna() & body.notna()
    if bad.to_numpy().any():
        gi, si = np.argwhere(bad.to_numpy())[0]
        gene, sample = body.index[gi], body.columns[si]
        row = positions[si] + 2 if transposed else positions[gi] + 2
        where = (
            f"row {row} (sample {sample!r}), column {gene!r}"
            if transposed
            else f"row {row} (gene {gene!r}), column {sample!r}"
        )
        value = body.iat[gi, si]
        raise InputError(
            f"{name}: {where}: value {value!r} is not a number; expected log-scale expression",
            file=name,
            row=int(row),
            field=str(sample if not transposed else gene),
            value=value,
            expected="a number",
        )
    return out


def expression_from_frame(
    frame: pd.DataFrame,
    *,
    source: str = "<frame>",
    genes: Iterable[str] | None = None,
    gene_map: GeneMap | None = None,
) -> Expression:
    """Build :class:`Expression` from a gene x sample table (first column: gene identifiers).

    A samples x genes table (genes in the header, as SepstratifieR takes it) is recognised
    and transposed. Identifiers may be HGNC symbols (current or previous) or Ensembl gene
    ids with or without a version suffix; rows that map to the same gene are averaged.

    Parameters
    ----------
    frame
        The table as read: first column gene identifiers, one column per sample.
    source
        Name used in error messages.
    genes
        Symbols to keep (default: every signature gene).
    gene_map
        Identifier map (default: the packaged one).

    Examples
    --------
    >>> t = pd.DataFrame({"gene": ["EMR3", "ENSG00000115085.14"], "s1": [6.1, 7.9]})
    >>> expression_from_frame(t).values.loc["s1"].to_dict()
    {'ADGRE3': 6.1, 'ZAP70': 7.9}
    """
    gmap = gene_map or load_gene_map()
    if frame.shape[1] < 2:
        raise InputError(
            f"{source}: {frame.shape[1]} column(s); expected gene identifiers then one column "
            "per sample",
            file=source,
            expected="gene x sample matrix",
        )
    wanted = set(genes) if genes is not None else None
    sub, symbols, transposed, positions = _select(frame, gmap, source, wanted)
    n_input = frame.shape[1] - 1 if transposed else frame.shape[0]
    sub_symbols = np.array(symbols, dtype=object)
    sub = _numeric(sub, source, transposed, positions)
    identifiers: dict[str, list[str]] = {}
    for ident, sym in zip(sub.index, sub_symbols, strict=True):
        identifiers.setdefault(str(sym), []).append(str(ident))
    dupes = sorted(s for s, ids in identifiers.items() if len(ids) > 1)
    sub.index = pd.Index(sub_symbols, name="gene")
    if dupes:
        sub = sub.groupby(level=0, sort=False).mean()
    values = sub.T.astype(np.float64)
    values.index = pd.Index([str(s) for s in values.index], name="sample_id")
    if values.index.duplicated().any():
        dup = values.index[values.index.duplicated()][0]
        raise InputError(
            f"{source}: sample {dup!r} appears twice; expected unique sample ids",
            file=source,
            field="sample_id",
            value=dup,
            expected="unique sample ids",
        )
    return Expression(values, source, identifiers, n_input, dupes)


def read_expression(path: str | Path, *, genes: Iterable[str] | None = None) -> Expression:
    """Read a gene x sample matrix (CSV, TSV, Parquet) keeping the signature genes.

    Examples
    --------
    >>> from sepsistwin.omics.examples import example_expression_path
    >>> read_expression(example_expression_path()).values.shape[0] > 0
    True
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: file not found", file=str(p))
    if p.suffix.lower() in (".parquet", ".pq"):
        frame = _read_parquet_genes(p, set(genes) if genes is not None else None)
    else:
        frame = _read_table(p)
    return expression_from_frame(frame, source=p.name, genes=genes)


def _read_parquet_genes(path: Path, wanted: set[str] | None) -> pd.DataFrame:
    """Read only the signature genes' rows (or columns) of a Parquet matrix.

    Converting a whole 20,000 x 10,000 table to pandas costs more than scoring it, so the rows
    are filtered in Arrow first (or, for samples-as-rows files, only gene columns are read).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    gmap = load_gene_map()

    def keep(ident: object) -> bool:
        sym = gmap.resolve(str(ident))
        return sym is not None and (wanted is None or sym in wanted)

    pf = pq.ParquetFile(path)
    names = pf.schema_arrow.names
    if pf.metadata.num_rows == 0 or len(names) < 2:
        return _read_table(path)
    meta = pf.schema_arrow.pandas_metadata or {}
    index_cols = [c for c in meta.get("index_columns", []) if isinstance(c, str)]
    first = index_cols[0] if index_cols else names[0]
    names = [first, *[n for n in names if n != first and n not in index_cols]]
    ids = pf.read(columns=[first]).column(0).to_pylist()
    row_mask = [keep(i) for i in ids]
    gene_cols = [n for n in names[1:] if keep(n)]
    if len(gene_cols) > sum(row_mask):
        return pf.read(columns=[first, *gene_cols]).to_pandas(ignore_metadata=True)
    table = pf.read(columns=names).filter(pa.array(row_mask))
    if table.num_rows == 0:
        # No signature gene: read a few rows so the usual error names the identifiers.
        table = pf.read(columns=names).slice(0, 3)
    return table.to_pandas(ignore_metadata=True)


def check_scale(values: pd.DataFrame, platform: str, source: str) -> None:
    """Refuse a matrix that is not on the scale the signatures expect (log2, or -Cq for qPCR).

    Raises
    ------
    InputError
        Values look like raw counts or linear intensities (larger than
        :data:`LOG_SCALE_MAX`), or like positive Cq values for ``qpcr``.

    Examples
    --------
    >>> try:
    ...     check_scale(pd.DataFrame({"ZAP70": [5000.0, 12000.0]}), "rnaseq", "x.csv")
    ... except InputError as err:
    ...     print(str(err)[:59])
    x.csv: ZAP70: sample '1': value 12000 is not on a log scale
    """
    expected = _EXPECTED_SCALE[platform]
    arr = values.to_numpy(dtype=np.float64)
    finite = np.isfinite(arr)
    if not finite.all():
        si, gi = np.argwhere(~finite)[0]
        if not np.isnan(arr[si, gi]):
            raise InputError(
                f"{source}: {values.columns[gi]}: sample {str(values.index[si])!r}: value "
                f"{arr[si, gi]} is not finite; expected {expected}",
                file=source,
                field=str(values.index[si]),
                value=float(arr[si, gi]),
                expected=expected,
                variable=str(values.columns[gi]),
            )
    if not finite.any():
        return
    big = np.where(finite, np.abs(arr), -np.inf)
    si, gi = np.unravel_index(int(np.argmax(big)), arr.shape)
    peak = float(arr[si, gi])
    limit = CQ_RANGE[1] if platform == "qpcr" else LOG_SCALE_MAX
    if abs(peak) > limit:
        counts = bool(np.all(np.mod(arr[finite], 1.0) == 0) and np.all(arr[finite] >= 0))
        kind = "raw counts" if counts else "linear (not log) values"
        raise InputError(
            f"{source}: {values.columns[gi]}: sample {str(values.index[si])!r}: value {peak:g} "
            f"is not on a log scale (limit {limit:g}); the matrix looks like {kind}; "
            f"expected {expected} for platform {platform!r}",
            file=source,
            field=str(values.index[si]),
            value=peak,
            expected=expected,
            variable=str(values.columns[gi]),
        )
    if platform == "qpcr":
        lo, hi = CQ_RANGE
        vals = arr[finite]
        if vals.min() >= lo and vals.max() <= hi:
            raise InputError(
                f"{source}: all values lie in {lo:g}..{hi:g}: these look like Cq values; expected "
                "negative Cq (-Cq) for platform 'qpcr': negate them",
                file=source,
                field="scale",
                value=f"{vals.min():g}..{vals.max():g}",
                expected=expected,
            )


def read_samples(path: str | Path | pd.DataFrame) -> pd.DataFrame:
    """Read a sample sheet: ``sample_id, patient_id`` and ``day`` or ``hours`` from time zero.

    Day ``d`` is ``[24 d, 24 (d + 1))`` hours from the patient's time zero, as in the
    assessment. Returns columns ``sample_id, patient_id, hours, day`` (hours may be NaN).

    Examples
    --------
    >>> s = read_samples(pd.DataFrame({"sample_id": ["a"], "patient_id": ["P1"], "hours": [30]}))
    >>> int(s.loc[0, "day"])
    1
    """
    if isinstance(path, pd.DataFrame):
        frame, name = path.copy(), "<frame>"
    else:
        p = Path(path)
        if not p.exists():
            raise InputError(f"{p}: file not found", file=str(p))
        frame, name = _read_table(p), p.name
    missing = [c for c in ("sample_id", "patient_id") if c not in frame.columns]
    if missing or not ({"day", "hours"} & set(frame.columns)):
        need = missing or ["day or hours"]
        raise InputError(
            f"{name}: missing column(s) {', '.join(need)}; expected sample_id, patient_id and "
            "day (integer, day 0 = first 24 h) or hours (since the patient's time zero)",
            file=name,
            field=need[0],
            expected="sample_id, patient_id, day|hours",
        )
    out = pd.DataFrame(
        {"sample_id": frame["sample_id"].astype(str), "patient_id": frame["patient_id"].astype(str)}
    )
    hours = pd.to_numeric(frame["hours"], errors="coerce") if "hours" in frame else None
    days = pd.to_numeric(frame["day"], errors="coerce") if "day" in frame else None
    for col, series in (("hours", hours), ("day", days)):
        if series is None:
            continue
        bad = series.isna() & frame[col].notna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"{col}: row {i + 2} of {name}: value {frame[col].iloc[i]!r} is not a number; "
                f"expected {'hours since time zero' if col == 'hours' else 'an integer day'}",
                file=name,
                row=i + 2,
                field=col,
                value=frame[col].iloc[i],
                expected="a number",
            )
    out["hours"] = hours if hours is not None else math.nan
    if days is not None:
        frac = days.notna() & (days != np.floor(days))
        if frac.any():
            i = int(np.flatnonzero(frac.to_numpy())[0])
            raise InputError(
                f"day: row {i + 2} of {name}: value {days.iloc[i]!r} is not an integer; "
                "expected an integer day (day 0 = first 24 h)",
                file=name,
                row=i + 2,
                field="day",
                value=days.iloc[i],
                expected="integer",
            )
        out["day"] = days
    if hours is not None:
        from_hours = np.floor(hours / 24.0)
        out["day"] = out["day"].fillna(from_hours) if "day" in out else from_hours
    out["day"] = out["day"].astype("Int64")
    dup = out["sample_id"].duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(
            f"sample_id: row {i + 2} of {name}: sample {out['sample_id'].iloc[i]!r} appears "
            "twice; expected one row per sample",
            file=name,
            row=i + 2,
            field="sample_id",
            value=out["sample_id"].iloc[i],
            expected="unique sample ids",
        )
    return out
