"""Era detection from a header row: the Python twin of ``orchestrator/src/domain/contract/detect.ts``.

The era comes from the header, never from the year (CMS retrofitted old years). A header matches an
era when the *set* of its names equals the era's set after normalisation (a leading UTF-8 BOM
removed, surrounding whitespace trimmed, lower-cased), so column order does not matter: Spark reads
by name. Anything else is an unknown header, reported with the closest era (Jaccard similarity of
the name sets) and the exact missing/unexpected/duplicated columns, so a new CMS layout can be told
from a damaged file. Messages, similarity and ranking (stable, contract order on ties) match the
TypeScript implementation; tests compare the two.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from .contract import Contract, Era

# What JavaScript's String.prototype.trim() removes: WhiteSpace (TAB, VT, FF, SP, NBSP, ZWNBSP/BOM
# and every Unicode Zs) plus LineTerminator (LF, CR, LS, PS). Python's str.strip() differs (it keeps
# U+FEFF and strips U+001C..U+001F and U+0085), so the set is spelled out.
_JS_TRIM = (
    "\t\n\x0b\x0c\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_BOM = "\ufeff"

UNKNOWN_HEADER = "UNKNOWN_HEADER"
SUGGESTION = (
    "Check that the file is an Open Payments CSV of the expected dataset. If CMS published a new layout, "
    "add an era to the dataset contract (orchestrator/src/domain/contract)."
)


def js_trim(value: str) -> str:
    return value.strip(_JS_TRIM)


def normalise_header_name(name: str) -> str:
    """Strips one leading UTF-8 BOM, trims (JavaScript semantics) and lower-cases."""
    if name.startswith(_BOM):
        name = name[1:]
    return js_trim(name).lower()


@dataclass(frozen=True)
class HeaderDiff:
    era_id: str
    dataset: str
    #: Jaccard similarity of the normalised name sets (shared / union), 0..1.
    similarity: float
    #: Era columns absent from the header (as the contract spells them).
    missing: Tuple[str, ...]
    #: Header columns the era does not have (trimmed, as the file spells them).
    unexpected: Tuple[str, ...]

    @property
    def exact(self) -> bool:
        return not self.missing and not self.unexpected


def _diff_against(era: Era, header: Sequence[str]) -> HeaderDiff:
    got = {normalise_header_name(h) for h in header}
    want: Dict[str, str] = {}
    for c in era.columns:
        want[normalise_header_name(c.source)] = c.source
    missing = tuple(v for k, v in want.items() if k not in got)
    unexpected = tuple(js_trim(h) for h in header if normalise_header_name(h) not in want)
    union = len(got | set(want))
    shared = union - len(missing) - len(unexpected)
    return HeaderDiff(
        era_id=era.id,
        dataset=era.dataset,
        similarity=0.0 if union == 0 else shared / union,
        missing=missing,
        unexpected=unexpected,
    )


def rank_eras(contract: Contract, header: Sequence[str], dataset: Optional[str] = None) -> List[HeaderDiff]:
    """Every era (of ``dataset`` when given) ranked by similarity to the header, best first."""
    datasets = contract.datasets if dataset is None else (contract.dataset(dataset),)
    diffs = [_diff_against(e, header) for d in datasets for e in d.eras]
    return sorted(diffs, key=lambda d: d.similarity, reverse=True)  # stable, like Array.prototype.sort


def duplicated_columns(header: Sequence[str]) -> Tuple[str, ...]:
    """Header entries whose normalised name already occurred earlier (as spelled in the header)."""
    seen = set()
    out = []
    for h in header:
        k = normalise_header_name(h)
        if k in seen:
            out.append(h)
        seen.add(k)
    return tuple(out)


class UnknownHeaderError(ValueError):
    """A header that matches no era of the contract (or of the requested dataset)."""

    code = UNKNOWN_HEADER
    suggestion = SUGGESTION

    def __init__(
        self,
        message: str,
        columns: int,
        dataset: Optional[str],
        closest: Optional[HeaderDiff],
        duplicated: Tuple[str, ...],
        ranked: Tuple[HeaderDiff, ...] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        #: Number of columns in the offending header.
        self.columns = columns
        #: Dataset the detection was restricted to, if any.
        self.dataset = dataset
        self.closest = closest
        self.duplicated = duplicated
        self.ranked = ranked

    @property
    def closest_era(self) -> Optional[str]:
        return None if self.closest is None else self.closest.era_id

    @property
    def similarity(self) -> Optional[float]:
        return None if self.closest is None else self.closest.similarity

    @property
    def missing(self) -> Tuple[str, ...]:
        return () if self.closest is None else self.closest.missing

    @property
    def unexpected(self) -> Tuple[str, ...]:
        return () if self.closest is None else self.closest.unexpected


def _shown(xs: Sequence[str]) -> str:
    if len(xs) > 8:
        return f"{', '.join(xs[:8])} \u2026 (+{len(xs) - 8})"
    return ", ".join(xs)


def _js_round_percent(similarity: float) -> int:
    # Math.round: halves round up (Python's round() would round half to even).
    return int(math.floor(similarity * 100 + 0.5))


def detect_era(contract: Contract, header: Sequence[str], dataset: Optional[str] = None) -> Era:
    """Returns the era whose header matches exactly (as a set), or raises UnknownHeaderError.

    ``header`` is the first CSV record as read (see ``read.read_header``). ``dataset`` restricts the
    search to one dataset id (an unknown id raises ContractError).
    """
    header = list(header)
    duplicates = duplicated_columns(header)
    ranked = rank_eras(contract, header, dataset)
    best = ranked[0] if ranked else None
    if best is not None and not duplicates and best.exact:
        return contract.era(best.era_id)
    scope = f"{dataset} " if dataset else ""
    parts: List[str] = []
    if best is not None:
        parts.append(f"closest {scope}era is {best.era_id} ({_js_round_percent(best.similarity)}% of columns shared)")
        if best.missing:
            parts.append(f"missing: {_shown(best.missing)}")
        if best.unexpected:
            parts.append(f"unexpected: {_shown(best.unexpected)}")
        if duplicates:
            parts.append(f"duplicated: {_shown(duplicates)}")
    message = f"Header of {len(header)} columns matches no known {scope}layout; {'; '.join(parts)}."
    raise UnknownHeaderError(
        message,
        columns=len(header),
        dataset=dataset,
        closest=best,
        duplicated=duplicates,
        ranked=tuple(ranked),
    )


def curated_sources(era: Era, header: Sequence[str]) -> Dict[str, str]:
    """Curated name -> the header entry (as the file spells it) that feeds it, for the era's mapped
    columns, in header order.

    Detection matches names after normalisation, so a file may spell a column differently from the
    contract (case, BOM, spaces); reading goes by the file's spelling, mapping by the contract's.
    Dropped columns are left out; a header that does not match the era raises UnknownHeaderError.
    """
    by_name = {normalise_header_name(c.source): c for c in era.columns}
    diff = _diff_against(era, header)
    if not diff.exact or duplicated_columns(header):
        raise UnknownHeaderError(
            f"Header does not match era {era.id}.",
            columns=len(header),
            dataset=era.dataset,
            closest=diff,
            duplicated=duplicated_columns(header),
        )
    out: Dict[str, str] = {}
    for h in header:
        column = by_name[normalise_header_name(h)]
        if column.curated is not None:
            out[column.curated] = h
    return out
