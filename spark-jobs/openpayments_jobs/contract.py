"""The dataset contract, as exported by ``orchestrator contract export``.

The TypeScript orchestrator owns the contract (``orchestrator/src/domain/contract``) and validates it
on export; this module only turns the JSON into small frozen dataclasses the Spark jobs can use.
Everything is plain Python (no pyspark import), so the objects are cheap to build on the driver and
picklable if a closure ever ships them to executors.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, Mapping, Optional, Tuple, Union

#: Major version of the contract format this package understands.
SUPPORTED_MAJOR = 1


class ContractError(ValueError):
    """The contract JSON is malformed, of an unsupported version, or an id is unknown."""


@dataclass(frozen=True)
class CuratedColumn:
    name: str
    type: str
    nullable: bool
    description: str


@dataclass(frozen=True)
class SourceColumn:
    """One column of a source header: mapped to a curated column, or dropped with a reason."""

    source: str
    curated: Optional[str]
    drop_reason: Optional[str]
    #: False when the name/position could not be confirmed from real files or public loaders.
    verified: bool

    @property
    def dropped(self) -> bool:
        return self.curated is None


@dataclass(frozen=True)
class Era:
    """A header layout of one dataset. Detection uses the header only, never the year."""

    id: str
    dataset: str
    title: str
    program_year_from: int
    program_year_to: Optional[int]
    #: The header as published, in order.
    columns: Tuple[SourceColumn, ...]
    notes: Tuple[str, ...] = ()

    @property
    def source_names(self) -> Tuple[str, ...]:
        return tuple(c.source for c in self.columns)

    @property
    def mapping(self) -> Dict[str, str]:
        """Source name -> curated name, for the mapped (not dropped) columns, in header order."""
        return {c.source: c.curated for c in self.columns if c.curated is not None}

    def column(self, source: str) -> SourceColumn:
        for c in self.columns:
            if c.source == source:
                return c
        raise ContractError(f"era {self.id} has no source column {source!r}")


@dataclass(frozen=True)
class Rule:
    """A declarative data-quality rule; ``check`` is the JSON object (``kind`` plus parameters)."""

    code: str
    severity: str
    description: str
    check: Mapping[str, Any] = field(hash=False)

    @property
    def kind(self) -> str:
        return str(self.check["kind"])

    @property
    def column(self) -> Optional[str]:
        """The curated column the check reads, when it reads exactly one."""
        value = self.check.get("column")
        return None if value is None else str(value)

    @property
    def hard(self) -> bool:
        return self.severity == "hard"


@dataclass(frozen=True)
class Dataset:
    id: str
    title: str
    file_prefixes: Tuple[str, ...]
    record_key: Tuple[str, ...]
    partition_keys: Tuple[str, ...]
    curated: Tuple[CuratedColumn, ...]
    eras: Tuple[Era, ...]
    rules: Tuple[Rule, ...]

    def era(self, era_id: str) -> Era:
        for e in self.eras:
            if e.id == era_id:
                return e
        known = ", ".join(e.id for e in self.eras)
        raise ContractError(f"dataset {self.id} has no era {era_id!r} (known: {known})")

    def curated_column(self, name: str) -> CuratedColumn:
        for c in self.curated:
            if c.name == name:
                return c
        raise ContractError(f"dataset {self.id} has no curated column {name!r}")

    @property
    def curated_names(self) -> Tuple[str, ...]:
        return tuple(c.name for c in self.curated)


@dataclass(frozen=True)
class Parsing:
    """How text is read before typing."""

    date_format_spark: str
    date_format_duckdb: str
    date_format_athena: str
    boolean_true: Tuple[str, ...]
    boolean_false: Tuple[str, ...]
    trim_whitespace: bool


@dataclass(frozen=True)
class Contract:
    contract_version: str
    lineage: Tuple[CuratedColumn, ...]
    parsing: Parsing
    datasets: Tuple[Dataset, ...]

    @property
    def dataset_ids(self) -> Tuple[str, ...]:
        return tuple(d.id for d in self.datasets)

    def dataset(self, dataset_id: str) -> Dataset:
        for d in self.datasets:
            if d.id == dataset_id:
                return d
        raise ContractError(f"unknown dataset {dataset_id!r} (known: {', '.join(self.dataset_ids)})")

    def era(self, era_id: str) -> Era:
        for e in self.iter_eras():
            if e.id == era_id:
                return e
        raise ContractError(f"unknown era {era_id!r} (known: {', '.join(e.id for e in self.iter_eras())})")

    def iter_eras(self) -> Iterator[Era]:
        for d in self.datasets:
            for e in d.eras:
                yield e


# --- loading -----------------------------------------------------------------------------------


def _req(obj: Mapping[str, Any], key: str, where: str) -> Any:
    if not isinstance(obj, Mapping):
        raise ContractError(f"{where}: expected an object, got {type(obj).__name__}")
    if key not in obj:
        raise ContractError(f"{where}: missing {key!r}")
    return obj[key]


def _curated(obj: Mapping[str, Any], where: str) -> CuratedColumn:
    return CuratedColumn(
        name=str(_req(obj, "name", where)),
        type=str(_req(obj, "type", where)),
        nullable=bool(_req(obj, "nullable", where)),
        description=str(obj.get("description", "")),
    )


def _source(obj: Mapping[str, Any], where: str) -> SourceColumn:
    source = str(_req(obj, "source", where))
    curated = obj.get("curated")
    drop_reason = obj.get("dropReason")
    if (curated is None) == (drop_reason is None):
        raise ContractError(f"{where} ({source}): a source column is either mapped (curated) or dropped (dropReason)")
    return SourceColumn(
        source=source,
        curated=None if curated is None else str(curated),
        drop_reason=None if drop_reason is None else str(drop_reason),
        verified=bool(_req(obj, "verified", where)),
    )


def _era(obj: Mapping[str, Any], where: str) -> Era:
    era_id = str(_req(obj, "id", where))
    where = f"{where} {era_id}"
    years = _req(obj, "programYears", where)
    columns = tuple(_source(c, f"{where}.columns[{i}]") for i, c in enumerate(_req(obj, "columns", where)))
    if not columns:
        raise ContractError(f"{where}: an era has at least one column")
    to = _req(years, "to", f"{where}.programYears")
    return Era(
        id=era_id,
        dataset=str(_req(obj, "dataset", where)),
        title=str(obj.get("title", "")),
        program_year_from=int(_req(years, "from", f"{where}.programYears")),
        program_year_to=None if to is None else int(to),
        columns=columns,
        notes=tuple(str(n) for n in obj.get("notes", ())),
    )


def _rule(obj: Mapping[str, Any], where: str) -> Rule:
    check = _req(obj, "check", where)
    _req(check, "kind", f"{where}.check")
    return Rule(
        code=str(_req(obj, "code", where)),
        severity=str(_req(obj, "severity", where)),
        description=str(obj.get("description", "")),
        check=dict(check),
    )


def _dataset(obj: Mapping[str, Any], where: str) -> Dataset:
    dataset_id = str(_req(obj, "id", where))
    where = f"dataset {dataset_id}"
    eras = tuple(_era(e, f"{where} era") for e in _req(obj, "eras", where))
    for e in eras:
        if e.dataset != dataset_id:
            raise ContractError(f"{where}: era {e.id} declares dataset {e.dataset}")
    return Dataset(
        id=dataset_id,
        title=str(obj.get("title", "")),
        file_prefixes=tuple(str(p) for p in _req(obj, "filePrefixes", where)),
        record_key=tuple(str(k) for k in _req(obj, "recordKey", where)),
        partition_keys=tuple(str(k) for k in _req(obj, "partitionKeys", where)),
        curated=tuple(_curated(c, f"{where}.curated[{i}]") for i, c in enumerate(_req(obj, "curated", where))),
        eras=eras,
        rules=tuple(_rule(r, f"{where}.rules[{i}]") for i, r in enumerate(_req(obj, "rules", where))),
    )


def contract_from_dict(obj: Mapping[str, Any]) -> Contract:
    """Builds a Contract from the parsed JSON object; raises ContractError on a malformed one."""
    version = str(_req(obj, "contractVersion", "contract"))
    try:
        major = int(version.split(".")[0])
    except ValueError:
        raise ContractError(f"contract: contractVersion {version!r} is not MAJOR.MINOR.PATCH") from None
    if major != SUPPORTED_MAJOR:
        raise ContractError(
            f"contract: version {version} is not supported by openpayments_jobs (expects {SUPPORTED_MAJOR}.x); "
            "rebuild the job package from the same checkout as the orchestrator"
        )
    parsing = _req(obj, "parsing", "contract")
    date_format = _req(parsing, "dateFormat", "contract.parsing")
    datasets = tuple(_dataset(d, f"contract.datasets[{i}]") for i, d in enumerate(_req(obj, "datasets", "contract")))
    era_ids = [e.id for d in datasets for e in d.eras]
    duplicated = sorted({i for i in era_ids if era_ids.count(i) > 1})
    if duplicated:
        raise ContractError(f"contract: era ids must be unique across datasets: {', '.join(duplicated)}")
    return Contract(
        contract_version=version,
        lineage=tuple(_curated(c, f"contract.lineage[{i}]") for i, c in enumerate(_req(obj, "lineage", "contract"))),
        parsing=Parsing(
            date_format_spark=str(_req(date_format, "spark", "contract.parsing.dateFormat")),
            date_format_duckdb=str(_req(date_format, "duckdb", "contract.parsing.dateFormat")),
            date_format_athena=str(_req(date_format, "athena", "contract.parsing.dateFormat")),
            boolean_true=tuple(str(v) for v in _req(parsing, "booleanTrue", "contract.parsing")),
            boolean_false=tuple(str(v) for v in _req(parsing, "booleanFalse", "contract.parsing")),
            trim_whitespace=bool(_req(parsing, "trimWhitespace", "contract.parsing")),
        ),
        datasets=datasets,
    )


def loads_contract(text: Union[str, bytes]) -> Contract:
    """Parses contract JSON text."""
    try:
        obj = json.loads(text)
    except ValueError as e:
        raise ContractError(f"contract: not valid JSON ({e})") from e
    return contract_from_dict(obj)


def load_contract(path: Union[str, "os.PathLike[str]"]) -> Contract:
    """Reads the contract JSON file written by ``orchestrator contract export --out FILE``."""
    with open(path, "r", encoding="utf-8") as f:
        return loads_contract(f.read())
