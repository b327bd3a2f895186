"""Text encodings of input files: the ``--encoding`` option and errors that name the byte.

Text inputs (CSV, onset files, FHIR JSON/NDJSON) are read as UTF-8 by default (a UTF-8
byte-order mark is accepted). A byte that is not valid in the file's encoding is answered
with one line naming the file, the row (line) and column, the byte, and the option to
pass, e.g.::

    row 5 of labs.csv: byte 0xb5 at column 28 is not valid utf-8; if the file was saved
    as Latin-1 or Windows-1252 (a 'µmol/L' from Excel), pass --encoding latin-1 (or cp1252)
"""

from __future__ import annotations

import codecs
from pathlib import Path

from sepsistwin.data.errors import InputError, file_error

#: What text files are read as unless the user says otherwise.
DEFAULT_ENCODING = "utf-8"
_CHUNK = 1 << 20


def check_encoding(encoding: str, file: str = "--encoding") -> str:
    """Return the codec's canonical name, or raise a one-line :class:`InputError`.

    Examples
    --------
    >>> check_encoding("Latin-1")
    'iso8859-1'
    >>> check_encoding("klingon")
    Traceback (most recent call last):
    ...
    sepsistwin.data.errors.InputError: --encoding: 'klingon' is not a known text encoding
    """
    try:
        return codecs.lookup(encoding).name
    except (LookupError, TypeError, ValueError):
        raise file_error(
            file,
            f"'{encoding}' is not a known text encoding",
            field="encoding",
            value=encoding,
            expected="a Python codec name such as utf-8, latin-1 or cp1252",
        ) from None


def first_undecodable(path: Path, encoding: str) -> tuple[int, int, int, bytes] | None:
    """Where a file first stops being valid ``encoding``: (offset, line, column, bytes).

    Lines and columns count from 1 (column in bytes). Reads the file in 1 MiB chunks with an
    incremental decoder, so memory stays flat however big the file is. None when the
    whole file decodes.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = p.write_bytes(b"a,b\\n1,\\xb5mol\\n")
    >>> first_undecodable(p, "utf-8")
    (6, 2, 3, b'\\xb5')
    """
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    line, line_start = 1, 0
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(_CHUNK)
            final = not chunk
            try:
                decoder.decode(chunk, final=final)
            except UnicodeDecodeError as exc:
                # exc.start is relative to the decoder's buffered bytes plus this chunk.
                pending = len(exc.object) - len(chunk)
                bad_at = offset - pending + exc.start
                head = _read_prefix(path, bad_at)
                line = head.count(b"\n") + 1
                line_start = head.rfind(b"\n") + 1
                return bad_at, line, bad_at - line_start + 1, exc.object[exc.start : exc.end]
            if final:
                return None
            offset += len(chunk)


def _read_prefix(path: Path, n: int) -> bytes:
    with path.open("rb") as fh:
        return fh.read(n)


def decode_error(path: Path, encoding: str, *, style: str = "table") -> InputError:
    """The one-line error for a file that is not valid ``encoding`` (the caller found it)."""
    file = path.name
    spot = first_undecodable(path, encoding)
    name = codecs.lookup(encoding).name
    is_utf8 = name in ("utf-8", "utf-8-sig")
    name = "UTF-8" if is_utf8 else name
    hint = (
        "; if the file was saved as Latin-1 or Windows-1252 (a 'µmol/L' from Excel), pass "
        "--encoding latin-1 (or cp1252)"
        if is_utf8
        else "; pass the file's own encoding with --encoding"
    )
    if spot is None:
        return file_error(file, f"the file is not valid {name}{hint}", field="encoding")
    _, line, column, raw = spot
    shown = " ".join(f"0x{b:02x}" for b in raw[:4])
    where = f"row {line} of {file}" if style == "table" else f"{file}: line {line}"
    return InputError(
        f"{where}: byte {shown} at column {column} is not valid {name}{hint}",
        file=file,
        row=line if style == "table" else f"line {line}",
        field="encoding",
        value=raw,
        expected=f"text in {name}",
    )


__all__ = ["DEFAULT_ENCODING", "check_encoding", "decode_error", "first_undecodable"]
