"""``inputs.json``: what the orchestrator hands the transform job (docs/transform.md).

One entry per raw file: its raw-zone key, publication, ingest run, era and header as the ingest audit
read them, and the staging chunks it was cut into. Plain Python (no pyspark): parsed and checked on
the driver before any Spark work, so a bad hand-off fails fast with a precise message.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any, List, Mapping, Optional, Tuple, Union


#: What a chunk file may be called: Spark reports the file a record came from URL-encoded, and these
#: names read the same encoded or not.
_CHUNK_NAME = re.compile(r"^[A-Za-z0-9._-]+$")


class InputsError(ValueError):
    """inputs.json is malformed or inconsistent (chunks that do not add up, wrong dataset/year...)."""


@dataclass(frozen=True)
class Chunk:
    uri: str
    #: 1-based record number, in the original file, of the chunk's first record.
    first_row: int
    records: int
    #: Size of the chunk's CSV text when the orchestrator knows it (sizing of output files).
    bytes: Optional[int] = None

    @property
    def name(self) -> str:
        """The chunk file's name (the URI's last part): a file's chunks are read by one scan, and
        Spark tells which chunk a record came from by this name."""
        return self.uri.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class InputFile:
    raw_key: str
    #: YYYY-MM-DD.
    publication: str
    ingest_run_id: str
    era: str
    header: Tuple[str, ...]
    records: int
    chunks: Tuple[Chunk, ...]


@dataclass(frozen=True)
class Inputs:
    dataset: str
    program_year: int
    files: Tuple[InputFile, ...]

    @property
    def chunks(self) -> Tuple[Chunk, ...]:
        return tuple(c for f in self.files for c in f.chunks)


def _req(obj: Any, key: str, where: str) -> Any:
    if not isinstance(obj, Mapping):
        raise InputsError(f"{where}: expected an object, got {type(obj).__name__}")
    if key not in obj:
        raise InputsError(f"{where}: missing {key!r}")
    return obj[key]


def _int(obj: Any, key: str, where: str, minimum: int) -> int:
    value = _req(obj, key, where)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InputsError(f"{where}.{key}: expected an integer >= {minimum}, got {value!r}")
    return value


def _text(obj: Any, key: str, where: str) -> str:
    value = _req(obj, key, where)
    if not isinstance(value, str) or not value:
        raise InputsError(f"{where}.{key}: expected a non-empty string, got {value!r}")
    return value


def _chunk(obj: Any, where: str) -> Chunk:
    size = obj.get("bytes") if isinstance(obj, Mapping) else None
    return Chunk(
        uri=_text(obj, "uri", where),
        first_row=_int(obj, "firstRow", where, 1),
        records=_int(obj, "records", where, 0),
        bytes=size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None,
    )


def _check_chunks_cover_file(f: InputFile, where: str) -> None:
    """Chunks are contiguous, in order and distinctly named: `_row_number` is computed from the
    firstRow of the chunk a record's file name points to."""
    expected = 1
    for i, c in enumerate(f.chunks):
        if c.first_row != expected:
            raise InputsError(f"{where}.chunks[{i}]: firstRow is {c.first_row}, expected {expected}")
        expected += c.records
    if expected - 1 != f.records:
        raise InputsError(f"{where}: chunks hold {expected - 1} records, the file {f.records}")
    names = [c.name for c in f.chunks]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputsError(f"{where}.chunks: file names {repeated} repeat; each chunk of a file needs its own name")
    unsafe = [n for n in names if not _CHUNK_NAME.match(n)]
    if unsafe:
        raise InputsError(f"{where}.chunks: file names {unsafe} need characters other than A-Z a-z 0-9 . _ -; rename the chunks")


def _file(obj: Any, where: str) -> InputFile:
    publication = _text(obj, "publication", where)
    try:
        dt.date.fromisoformat(publication)
    except ValueError:
        raise InputsError(f"{where}.publication: {publication!r} is not a YYYY-MM-DD date") from None
    header = _req(obj, "header", where)
    if not isinstance(header, list) or not header or not all(isinstance(h, str) for h in header):
        raise InputsError(f"{where}.header: expected a non-empty list of column names")
    chunks = _req(obj, "chunks", where)
    if not isinstance(chunks, list) or not chunks:
        raise InputsError(f"{where}.chunks: expected a non-empty list")
    f = InputFile(
        raw_key=_text(obj, "rawKey", where),
        publication=publication,
        ingest_run_id=_text(obj, "ingestRunId", where),
        era=_text(obj, "era", where),
        header=tuple(header),
        records=_int(obj, "records", where, 0),
        chunks=tuple(_chunk(c, f"{where}.chunks[{i}]") for i, c in enumerate(chunks)),
    )
    _check_chunks_cover_file(f, where)
    return f


def inputs_from_dict(obj: Any) -> Inputs:
    files = _req(obj, "files", "inputs")
    if not isinstance(files, list) or not files:
        raise InputsError("inputs.files: expected a non-empty list")
    parsed = tuple(_file(f, f"inputs.files[{i}]") for i, f in enumerate(files))
    keys: List[str] = [f.raw_key for f in parsed]
    if len(set(keys)) != len(keys):
        raise InputsError("inputs.files: a rawKey is listed twice")
    return Inputs(dataset=_text(obj, "dataset", "inputs"), program_year=_int(obj, "programYear", "inputs", 1), files=parsed)


def loads_inputs(text: Union[str, bytes]) -> Inputs:
    try:
        obj = json.loads(text)
    except ValueError as e:
        raise InputsError(f"inputs: not valid JSON ({e})") from e
    return inputs_from_dict(obj)
