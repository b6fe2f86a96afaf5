"""The exported contract loads into the Python dataclasses, and era detection agrees with detect.ts."""

from __future__ import annotations

import json
import random
import subprocess
import shutil
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from openpayments_jobs.contract import Contract, ContractError, Era, contract_from_dict, load_contract, loads_contract
from openpayments_jobs.eras import UnknownHeaderError, detect_era, normalise_header_name, rank_eras

REPO = Path(__file__).resolve().parents[2]

DATASET_IDS = ("general", "research", "ownership", "removed_deleted", "profiles")
BOGUS = "Not_A_CMS_Column"


def _all_eras(contract: Contract) -> List[Era]:
    return list(contract.iter_eras())


def _one_swapped(contract: Contract, era: Era) -> List[str]:
    """The era's header minus its most widely shared column, plus one unknown column.

    Removing a column many eras share keeps `era` the unique closest one (removing a column only it
    has could tie it with a sibling layout that lacks that column).
    """
    counts = Counter(normalise_header_name(s) for e in _all_eras(contract) for s in e.source_names)
    removed = max(era.source_names, key=lambda s: counts[normalise_header_name(s)])
    return [s for s in era.source_names if s != removed] + [BOGUS]


# --- loading ----------------------------------------------------------------------------------


def test_contract_loads_with_every_dataset(contract: Contract) -> None:
    assert contract.contract_version.split(".")[0] == "1"
    assert contract.dataset_ids == DATASET_IDS
    for d in contract.datasets:
        assert contract.dataset(d.id) is d
        assert d.eras, d.id
        assert d.curated and d.record_key and d.file_prefixes, d.id
    assert contract.parsing.date_format_spark == "MM/dd/yyyy"
    assert "Yes" in contract.parsing.boolean_true and "No" in contract.parsing.boolean_false
    assert {c.name for c in contract.lineage} >= {"_source_file", "_era", "_row_number", "_dq_flags"}


def test_loads_from_string_equals_load_from_path(contract_path: Path, contract: Contract) -> None:
    text = contract_path.read_text(encoding="utf-8")
    assert loads_contract(text) == contract
    assert load_contract(str(contract_path)) == contract


def test_every_era_column_is_mapped_or_dropped(contract: Contract) -> None:
    for d in contract.datasets:
        curated = set(d.curated_names)
        for era in d.eras:
            assert era.dataset == d.id
            names = [normalise_header_name(s) for s in era.source_names]
            assert len(names) == len(set(names)), f"{era.id} repeats a column"
            for col in era.columns:
                assert (col.curated is None) != (col.drop_reason is None), f"{era.id}.{col.source}"
                if col.curated is not None:
                    assert col.curated in curated, f"{era.id}.{col.source} -> unknown curated {col.curated}"
                else:
                    assert col.drop_reason.strip(), f"{era.id}.{col.source} dropped without a reason"
            mapped = list(era.mapping.values())
            assert len(mapped) == len(set(mapped)), f"{era.id} maps two source columns to one curated column"


def test_keys_and_rule_columns_are_curated_columns(contract: Contract) -> None:
    for d in contract.datasets:
        curated = set(d.curated_names)
        assert set(d.record_key) <= curated, d.id
        assert set(d.partition_keys) <= curated, d.id
        for rule in d.rules:
            assert rule.severity in ("hard", "soft"), rule.code
            if rule.column is not None:
                assert rule.column in curated, f"{d.id} {rule.code} reads unknown column {rule.column}"


def test_era_ids_unique_and_headers_distinguishable(contract: Contract) -> None:
    eras = _all_eras(contract)
    assert len({e.id for e in eras}) == len(eras)
    sets = {}
    for e in eras:
        key = frozenset(normalise_header_name(s) for s in e.source_names)
        assert key not in sets, f"{e.id} and {sets.get(key)} have the same header set: detection is ambiguous"
        sets[key] = e.id
    for e in eras:
        assert contract.era(e.id) is e
        assert contract.dataset(e.dataset).era(e.id) is e


def test_unknown_ids_and_bad_documents_raise(contract: Contract, contract_path: Path) -> None:
    with pytest.raises(ContractError, match="unknown dataset 'nope'"):
        contract.dataset("nope")
    with pytest.raises(ContractError, match="unknown era 'general_1'"):
        contract.era("general_1")
    doc = json.loads(contract_path.read_text(encoding="utf-8"))
    with pytest.raises(ContractError, match="not supported"):
        contract_from_dict({**doc, "contractVersion": "2.0.0"})
    doc["datasets"][0]["eras"][0]["columns"][0]["dropReason"] = "both"
    with pytest.raises(ContractError, match="either mapped"):
        contract_from_dict(doc)
    with pytest.raises(ContractError, match="not valid JSON"):
        loads_contract("{")


# --- era detection ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def eras(contract: Contract) -> List[Era]:
    return _all_eras(contract)


def test_exact_header_detects_its_era(contract: Contract, eras: List[Era]) -> None:
    for era in eras:
        assert detect_era(contract, list(era.source_names)).id == era.id
        assert detect_era(contract, list(era.source_names), dataset=era.dataset).id == era.id


def test_order_case_bom_and_whitespace_do_not_matter(contract: Contract, eras: List[Era]) -> None:
    rnd = random.Random(20240630)
    for era in eras:
        header = [s.upper() for s in era.source_names]
        rnd.shuffle(header)
        header[0] = "\ufeff" + header[0]
        header[-1] = f"  {header[-1]}\t"
        assert detect_era(contract, header).id == era.id


def test_one_column_removed_and_one_added_is_unknown(contract: Contract, eras: List[Era]) -> None:
    for era in eras:
        header = _one_swapped(contract, era)
        removed = (set(era.source_names) - set(header)).pop()
        with pytest.raises(UnknownHeaderError) as info:
            detect_era(contract, header)
        err = info.value
        n = len(era.columns)
        assert err.code == "UNKNOWN_HEADER"
        assert err.closest_era == era.id, f"closest to {era.id}'s damaged header is {err.closest_era}"
        assert err.similarity == pytest.approx((n - 1) / (n + 1))
        assert err.missing == (removed,)
        assert err.unexpected == (BOGUS,)
        assert err.duplicated == ()
        assert err.columns == n
        msg = str(err)
        assert msg.startswith(f"Header of {n} columns matches no known layout; closest era is {era.id} (")
        assert f"missing: {removed}" in msg and f"unexpected: {BOGUS}" in msg


def test_duplicated_column_is_unknown(contract: Contract) -> None:
    era = contract.era("general_91")
    header = list(era.source_names) + [era.source_names[3].lower()]
    with pytest.raises(UnknownHeaderError) as info:
        detect_era(contract, header)
    assert info.value.closest_era == "general_91"
    assert info.value.duplicated == (era.source_names[3].lower(),)
    assert info.value.missing == () and info.value.unexpected == ()
    assert "duplicated: " in str(info.value)


def test_dataset_scope(contract: Contract) -> None:
    header = list(contract.era("ownership_29").source_names)
    with pytest.raises(UnknownHeaderError) as info:
        detect_era(contract, header, dataset="profiles")
    assert info.value.dataset == "profiles"
    assert info.value.closest is not None and info.value.closest.dataset == "profiles"
    assert "no known profiles layout; closest profiles era is profiles_" in str(info.value)
    assert all(d.dataset == "profiles" for d in rank_eras(contract, header, "profiles"))
    with pytest.raises(ContractError):
        detect_era(contract, header, dataset="nope")


# --- parity with the TypeScript implementation -------------------------------------------------

_NODE_SCRIPT = """
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const [detectPath, inputPath] = process.argv.slice(2);
const { detectEra } = await import(pathToFileURL(detectPath).href);
const { contract, cases } = JSON.parse(readFileSync(inputPath, 'utf8'));
const out = cases.map(({ header, dataset }) => {
  try {
    return { era: detectEra(contract, header, dataset ?? undefined).id };
  } catch (e) {
    if (e?.code !== 'UNKNOWN_HEADER') return { crash: String(e) };
    return { code: e.code, message: e.message, closest: e.data?.closest ?? null, duplicated: e.data?.duplicated ?? [] };
  }
});
process.stdout.write(JSON.stringify(out));
"""


def _python_result(contract: Contract, header: List[str], dataset: Optional[str]) -> Dict[str, Any]:
    try:
        return {"era": detect_era(contract, header, dataset).id}
    except UnknownHeaderError as e:
        closest = None
        if e.closest is not None:
            c = e.closest
            closest = {
                "eraId": c.era_id,
                "dataset": c.dataset,
                "similarity": c.similarity,
                "missing": list(c.missing),
                "unexpected": list(c.unexpected),
            }
        return {"code": e.code, "message": str(e), "closest": closest, "duplicated": list(e.duplicated)}


def test_detection_matches_typescript(contract: Contract, contract_path: Path, eras: List[Era], tmp_path: Path, cli) -> None:
    detect_js = REPO / "orchestrator" / "dist" / "domain" / "contract" / "detect.js"
    assert detect_js.exists(), f"{detect_js} missing: build the orchestrator (npx tsc -b orchestrator)"
    rnd = random.Random(7)
    pool = sorted({s for e in eras for s in e.source_names})
    cases: List[Dict[str, Any]] = []
    for era in eras:
        names = list(era.source_names)
        shuffled = [s.upper() for s in names]
        rnd.shuffle(shuffled)
        shuffled[0] = "\ufeff" + shuffled[0]
        cases += [
            {"header": names, "dataset": None},
            {"header": names, "dataset": era.dataset},
            {"header": shuffled, "dataset": None},
            {"header": [f"\u00a0{s} " for s in names], "dataset": None},  # JS trim() strips NBSP
            {"header": _one_swapped(contract, era), "dataset": None},
            {"header": [f"\u00a0{s} " for s in names[:-2]] + [f" {BOGUS}\u3000", "\ufeffBom_Inside "], "dataset": None},
            {"header": _one_swapped(contract, era), "dataset": era.dataset},
            {"header": names[:-3], "dataset": None},
            {"header": names + [names[0]], "dataset": None},
            {"header": names[:10] + [f"Extra_{i}" for i in range(12)], "dataset": None},
            {"header": rnd.sample(pool, min(len(pool), len(names))), "dataset": None},
            {"header": [BOGUS, BOGUS, "x"], "dataset": era.dataset},
        ]
    cases.append({"header": [], "dataset": None})
    script = tmp_path / "detect.mjs"
    script.write_text(_NODE_SCRIPT, encoding="utf-8")
    payload = tmp_path / "cases.json"
    payload.write_text(json.dumps({"contract": json.loads(contract_path.read_text(encoding="utf-8")), "cases": cases}), encoding="utf-8")
    proc = subprocess.run(
        [shutil.which("node") or "node", str(script), str(detect_js), str(payload)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    ts_results = json.loads(proc.stdout)
    assert len(ts_results) == len(cases)
    mismatches = []
    for case, ts in zip(cases, ts_results):
        py = _python_result(contract, case["header"], case["dataset"])
        if ts.get("closest") and py.get("closest"):
            # Same arithmetic on both sides; compare floats with a tolerance anyway.
            assert ts["closest"]["similarity"] == pytest.approx(py["closest"]["similarity"])
            ts["closest"]["similarity"] = py["closest"]["similarity"]
        if ts != py:
            mismatches.append({"case": case, "ts": ts, "py": py})
    assert not mismatches, json.dumps(mismatches[:3], indent=1)[:6000]
