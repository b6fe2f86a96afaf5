"""The transform's pure functions on small hand-built rows: each hard reason, each soft flag, text
cleanup, typing, duplicate keys, removed records and the metrics that reconcile them."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any, Dict, List, Optional, Sequence

import pytest
from pyspark.sql import DataFrame
from pyspark.sql.types import (
    ArrayType,
    BooleanType,
    DateType,
    DecimalType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
)

from openpayments_jobs.contract import Contract, ContractError, Rule
from openpayments_jobs.rules import Scope, violation
from openpayments_jobs.transform import (
    CORRUPT_RECORD,
    CURATED,
    DQ_FLAGS,
    OUTCOME,
    RAW_VALUES,
    REJECT_REASON,
    REJECTED,
    REMOVED,
    ROW_NUMBER,
    Origin,
    TransformSpec,
    classify,
    curated_frame,
    judge_rows,
    map_to_curated,
    metrics_from_counts,
    outcome_counts,
    rejected_frame,
)
from openpayments_jobs.values import Typing, date_shape_regex, java_literal

YEAR = 2023
ORIGIN = Origin(source_file="raw/a.csv", publication="2024-06-30", ingest_run_id="ingest-1")

#: A clean general payment (curated names -> source text); the rest of the era's columns are empty.
CLEAN_GENERAL: Dict[str, Optional[str]] = {
    "change_type": "NEW",
    "covered_recipient_type": "Covered Recipient Physician",
    "covered_recipient_npi": "1234567890",
    "covered_recipient_last_name": "O'BRIEN",
    "recipient_city": "MILFORD",
    "recipient_state": "CT",
    "applicable_manufacturer_or_applicable_gpo_making_payment_id": "100000000000",
    "applicable_manufacturer_or_applicable_gpo_making_payment_name": "Acme Biologics Inc.",
    "total_amount_of_payment_usdollars": "12.50",
    "date_of_payment": "03/15/2023",
    "number_of_payments_included_in_total_amount": "1",
    "nature_of_payment_or_transfer_of_value": "Food and Beverage",
    "charity_indicator": "No",
    "physician_ownership_indicator": "Yes",
    "program_year": "2023",
    "payment_publication_date": "06/30/2024",
}

_ids = itertools.count(1000)


def general(**overrides: Optional[str]) -> Dict[str, Optional[str]]:
    row = dict(CLEAN_GENERAL, record_id=str(next(_ids)))
    row.update(overrides)
    return row


@pytest.fixture(scope="module")
def spec_for(contract: Contract):
    def make(dataset: str, year: int = YEAR) -> TransformSpec:
        return TransformSpec.of(contract, dataset, year)

    return make


def raw_frame(spark, era, rows: Sequence[Dict[str, Any]]) -> DataFrame:
    """Rows as the CSV reader gives them: the era's source columns as text, the corrupt-record
    column and ``_row_number`` (given, or the row's position)."""
    names = list(era.source_names) + [CORRUPT_RECORD, ROW_NUMBER]
    schema = StructType([StructField(n, StringType()) for n in names[:-1]] + [StructField(ROW_NUMBER, LongType())])
    data = []
    for i, row in enumerate(rows):
        values = [row.get(c.curated) if c.curated else None for c in era.columns]
        data.append(tuple(values) + (row.get(CORRUPT_RECORD), row.get(ROW_NUMBER, i + 1)))
    return spark.createDataFrame(data, schema)


def judged(spark, spec: TransformSpec, era_id: str, rows: Sequence[Dict[str, Any]], origin: Origin = ORIGIN) -> DataFrame:
    era = spec.contract.era(era_id)
    mapped = map_to_curated(raw_frame(spark, era, rows), spec, era, list(era.source_names), origin)
    return judge_rows(mapped, spec, era)


def outcomes(classified: DataFrame) -> List[Dict[str, Any]]:
    """Rows of a classified frame in source order, as dicts."""
    return [r.asDict() for r in classified.orderBy("_source_file", ROW_NUMBER).collect()]


def classify_general(spark, spec_for, rows, removed=None) -> List[Dict[str, Any]]:
    spec = spec_for("general")
    return outcomes(classify([judged(spark, spec, "general_91", rows)], spec, removed))


# --- hard rules --------------------------------------------------------------------------------


def test_a_clean_row_is_curated_without_flags(spark, spec_for) -> None:
    (row,) = classify_general(spark, spec_for, [general()])
    assert row[OUTCOME] == CURATED
    assert row[REJECT_REASON] is None
    assert row[DQ_FLAGS] == []


HARD_CASES = [
    ({CORRUPT_RECORD: "NEW,Covered Recipient Physician,EXTRA"}, "WRONG_FIELD_COUNT"),
    ({"record_id": ""}, "MISSING_RECORD_ID"),
    ({"record_id": "   "}, "MISSING_RECORD_ID"),
    ({"record_id": "#N/A"}, "MISSING_RECORD_ID"),  # a placeholder is cleaned to empty first
    ({"program_year": "20x3"}, "INVALID_PROGRAM_YEAR"),
    ({"program_year": None}, "INVALID_PROGRAM_YEAR"),
    ({"program_year": "2022"}, "PROGRAM_YEAR_MISMATCH"),
    ({"total_amount_of_payment_usdollars": "12,50"}, "INVALID_AMOUNT"),
    ({"total_amount_of_payment_usdollars": "#REF!"}, "INVALID_AMOUNT"),
    ({"total_amount_of_payment_usdollars": "USD 40"}, "INVALID_AMOUNT"),
    ({"total_amount_of_payment_usdollars": None}, "INVALID_AMOUNT"),
    ({"total_amount_of_payment_usdollars": "12345678901234567.00"}, "INVALID_AMOUNT"),  # > decimal(18,2)
    ({"total_amount_of_payment_usdollars": "-3.00"}, "NEGATIVE_AMOUNT"),
    ({"date_of_payment": "13/45/2023"}, "INVALID_PAYMENT_DATE"),
    ({"date_of_payment": "2023-04-13"}, "INVALID_PAYMENT_DATE"),
    ({"date_of_payment": "April 4"}, "INVALID_PAYMENT_DATE"),
    ({"date_of_payment": "1/5/2023"}, "INVALID_PAYMENT_DATE"),
    ({"date_of_payment": "02/30/2023"}, "INVALID_PAYMENT_DATE"),
    ({"date_of_payment": "03/15/20231"}, "INVALID_PAYMENT_DATE"),
    ({"date_of_payment": None}, "INVALID_PAYMENT_DATE"),
    ({"date_of_payment": "11/30/0002"}, "IMPLAUSIBLE_PAYMENT_DATE"),
    ({"date_of_payment": "12/31/1999"}, "IMPLAUSIBLE_PAYMENT_DATE"),
    ({"date_of_payment": "01/01/2025"}, "IMPLAUSIBLE_PAYMENT_DATE"),
    # The first failing rule in contract order wins.
    ({"record_id": "", "total_amount_of_payment_usdollars": "-1.00"}, "MISSING_RECORD_ID"),
    ({CORRUPT_RECORD: "x", "record_id": ""}, "WRONG_FIELD_COUNT"),
    ({"total_amount_of_payment_usdollars": "-1.00", "date_of_payment": "bad"}, "NEGATIVE_AMOUNT"),
]


@pytest.fixture(scope="module")
def hard_cases(spark, spec_for) -> Dict[int, Dict[str, Any]]:
    """Every HARD_CASES row classified in one frame (cheaper than one Spark job per case), by
    ``_row_number`` (= case index + 1)."""
    rows = classify_general(spark, spec_for, [general(**overrides) for overrides, _ in HARD_CASES])
    return {r[ROW_NUMBER]: r for r in rows}


@pytest.mark.parametrize("case", range(len(HARD_CASES)), ids=[f"{r}-{i}" for i, (_, r) in enumerate(HARD_CASES)])
def test_each_hard_rule_rejects_with_its_reason(hard_cases, case) -> None:
    row = hard_cases[case + 1]
    assert (row[OUTCOME], row[REJECT_REASON]) == (REJECTED, HARD_CASES[case][1])


def test_payment_date_bounds_are_inclusive_and_out_of_year_dates_are_kept(spark, spec_for) -> None:
    rows = classify_general(
        spark, spec_for, [general(date_of_payment="01/01/2000"), general(date_of_payment="12/31/2024"), general()]
    )
    assert [r[OUTCOME] for r in rows] == [CURATED] * 3
    assert [r[DQ_FLAGS] for r in rows] == [["PAYMENT_DATE_OUTSIDE_PROGRAM_YEAR"]] * 2 + [[]]


# --- soft rules and text cleanup ---------------------------------------------------------------

SOFT_CASES = [
    ({"recipient_city": "#N/A"}, ["JUNK_PLACEHOLDER"], "recipient_city", None),
    ({"recipient_city": "-- SELECT --"}, ["JUNK_PLACEHOLDER"], "recipient_city", None),
    ({"recipient_city": "'MILFORD"}, ["LEADING_ARTIFACT"], "recipient_city", "MILFORD"),
    ({"recipient_city": "\tMILFORD"}, ["LEADING_ARTIFACT"], "recipient_city", "MILFORD"),
    ({"recipient_city": "  BOSTON \t"}, [], "recipient_city", "BOSTON"),
    ({"recipient_city": ""}, [], "recipient_city", None),
    ({"recipient_state": "0R"}, ["INVALID_STATE_CODE"], "recipient_state", "0R"),
    ({"recipient_state": "ct"}, ["INVALID_STATE_CODE"], "recipient_state", "ct"),
    ({"covered_recipient_npi": "123456789"}, ["INVALID_NPI"], "covered_recipient_npi", "123456789"),
    ({"covered_recipient_npi": ""}, ["MISSING_NPI"], "covered_recipient_npi", None),
    (
        {"covered_recipient_npi": "", "covered_recipient_type": "Covered Recipient Teaching Hospital"},
        [],
        "covered_recipient_npi",
        None,
    ),
    (
        {"covered_recipient_npi": None, "covered_recipient_type": "Covered Recipient Non-Physician Practitioner"},
        ["MISSING_NPI"],
        "covered_recipient_npi",
        None,
    ),
    (
        {"nature_of_payment_or_transfer_of_value": "Promotional Item"},
        ["UNKNOWN_NATURE_OF_PAYMENT"],
        "nature_of_payment_or_transfer_of_value",
        "Promotional Item",
    ),
    ({"nature_of_payment_or_transfer_of_value": None}, [], "nature_of_payment_or_transfer_of_value", None),
    ({"charity_indicator": "Maybe"}, ["UNPARSEABLE_VALUE"], "charity_indicator", None),
    ({"charity_indicator": "yes"}, ["UNPARSEABLE_VALUE"], "charity_indicator", None),  # lists are exact
    ({"number_of_payments_included_in_total_amount": "1.5"}, ["UNPARSEABLE_VALUE"], "number_of_payments_included_in_total_amount", None),
    ({"payment_publication_date": "2024-06-30"}, ["UNPARSEABLE_VALUE"], "payment_publication_date", None),
    ({"date_of_payment": "12/15/2022"}, ["PAYMENT_DATE_OUTSIDE_PROGRAM_YEAR"], "date_of_payment", dt.date(2022, 12, 15)),
    (
        {"recipient_state": "0R", "covered_recipient_npi": "123", "recipient_city": "#REF!", "charity_indicator": "N/A"},
        ["INVALID_NPI", "INVALID_STATE_CODE", "JUNK_PLACEHOLDER"],
        "charity_indicator",
        None,
    ),
]


@pytest.fixture(scope="module")
def soft_cases(spark, spec_for):
    """Every SOFT_CASES row classified, and curated, in one frame; both by ``_row_number``."""
    spec = spec_for("general")
    classified = classify([judged(spark, spec, "general_91", [general(**o) for o, _, _, _ in SOFT_CASES])], spec)
    curated = {r[ROW_NUMBER]: r for r in curated_frame(classified, spec).collect()}
    return {r[ROW_NUMBER]: r for r in outcomes(classified)}, curated


@pytest.mark.parametrize("case", range(len(SOFT_CASES)), ids=[f"{c[2]}-{i}" for i, c in enumerate(SOFT_CASES)])
def test_each_soft_rule_flags_and_keeps_the_row(soft_cases, case) -> None:
    _, flags, column, value = SOFT_CASES[case]
    classified, curated = soft_cases
    assert classified[case + 1][OUTCOME] == CURATED
    assert classified[case + 1][DQ_FLAGS] == flags
    assert curated[case + 1][column] == value
    assert curated[case + 1][DQ_FLAGS] == flags


def test_text_with_newlines_quotes_and_commas_is_kept_inside(spark, spec_for) -> None:
    text = 'Speaker program, 2 sessions,\nfollow-up "dinner"\r\nQ3'
    spec = spec_for("general")
    classified = classify([judged(spark, spec, "general_91", [general(contextual_information=f"  {text}\n")])], spec)
    (curated,) = curated_frame(classified, spec).collect()
    assert curated["contextual_information"] == text
    assert curated["covered_recipient_last_name"] == "O'BRIEN"  # an apostrophe inside is no artefact


def test_cleanup_trims_java_whitespace_at_both_ends_and_strips_one_leading_artefact_first(spark, spec_for) -> None:
    # Java's \\s at either end (space, tab, newline, vertical tab, form feed, carriage return), never
    # inside; an artefact prefix (tab or apostrophe) is stripped before trimming, and flagged.
    spec = spec_for("general")
    rows = [
        general(recipient_city=" \t\x0b\f\r\nNEW  YORK\r\n\x0b "),
        general(recipient_city="\t 'ALBANY"),
        general(recipient_city="'\tUTICA "),
        general(recipient_city="\u00a0ROME"),  # a no-break space is not \\s: kept
        general(recipient_city=" \t "),  # nothing left: null
    ]
    classified = classify([judged(spark, spec, "general_91", rows)], spec)
    curated = {r[ROW_NUMBER]: r for r in curated_frame(classified, spec).collect()}
    assert [curated[i]["recipient_city"] for i in range(1, 6)] == ["NEW  YORK", "'ALBANY", "UTICA", "\u00a0ROME", None]
    assert [curated[i][DQ_FLAGS] for i in range(1, 6)] == [[], ["LEADING_ARTIFACT"], ["LEADING_ARTIFACT"], [], []]


def test_placeholder_in_a_rejected_row_is_not_counted_as_a_curated_flag(spark, spec_for) -> None:
    spec = spec_for("general")
    classified = classify([judged(spark, spec, "general_91", [general(total_amount_of_payment_usdollars="#REF!")])], spec)
    (row,) = outcomes(classified)
    assert row[REJECT_REASON] == "INVALID_AMOUNT"
    metrics = metrics_from_counts(outcome_counts(classified, spec).collect(), spec, [ORIGIN.source_file])
    assert metrics["flagged"]["JUNK_PLACEHOLDER"] == 0
    assert metrics["rejectedByReason"]["INVALID_AMOUNT"] == 1


# --- types -------------------------------------------------------------------------------------


def test_curated_schema_follows_the_contract(spark, spec_for) -> None:
    spec = spec_for("general")
    classified = classify([judged(spark, spec, "general_91", [general()])], spec)
    fields = {f.name: f.dataType for f in curated_frame(classified, spec).schema.fields}
    expected = {"string": StringType(), "int": IntegerType(), "bigint": LongType(), "date": DateType(),
                "boolean": BooleanType(), "decimal(18,2)": DecimalType(18, 2), "array<string>": ArrayType(StringType())}  # fmt: skip
    assert list(fields) == [c.name for c in spec.dataset.curated] + list(spec.lineage_names)
    for c in list(spec.dataset.curated) + list(spec.contract.lineage):
        assert fields[c.name] == expected[c.type], c.name


def test_values_are_typed(spark, spec_for) -> None:
    spec = spec_for("general")
    row = general(total_amount_of_payment_usdollars="12.5", number_of_payments_included_in_total_amount=" 3 ")
    classified = classify([judged(spark, spec, "general_91", [row])], spec)
    (c,) = curated_frame(classified, spec).collect()
    assert c["total_amount_of_payment_usdollars"] == Decimal("12.50")
    assert c["date_of_payment"] == dt.date(2023, 3, 15)
    assert c["payment_publication_date"] == dt.date(2024, 6, 30)
    assert c["number_of_payments_included_in_total_amount"] == 3
    assert c["program_year"] == 2023
    assert (c["charity_indicator"], c["physician_ownership_indicator"]) == (False, True)
    assert c["_publication_date"] == dt.date(2024, 6, 30)
    assert (c["_source_file"], c["_ingest_run_id"], c["_era"], c["_row_number"]) == ("raw/a.csv", "ingest-1", "general_91", 1)


def test_booleans_use_the_contract_lists(spark, spec_for, contract) -> None:
    spec = spec_for("general")
    texts = list(contract.parsing.boolean_true) + list(contract.parsing.boolean_false)
    classified = classify([judged(spark, spec, "general_91", [general(charity_indicator=t) for t in texts])], spec)
    got = [(r["charity_indicator"], r[DQ_FLAGS]) for r in curated_frame(classified, spec).orderBy(ROW_NUMBER).collect()]
    assert got == [(t in contract.parsing.boolean_true, []) for t in texts]
    assert "Yes" in contract.parsing.boolean_true and "No" in contract.parsing.boolean_false


# --- duplicate keys ----------------------------------------------------------------------------


def test_duplicate_keys_keep_the_first_row_that_passed_every_other_rule(spark, spec_for) -> None:
    rows = [
        general(record_id="D", total_amount_of_payment_usdollars="-1.00"),  # rejected first: not the keeper
        general(record_id="D"),  # kept
        general(record_id="D"),  # duplicate
        general(record_id="D", recipient_state="0R"),  # a flagged row is still a duplicate
        general(record_id="E"),
    ]
    got = [(r[ROW_NUMBER], r[REJECT_REASON]) for r in classify_general(spark, spec_for, rows)]
    assert got == [(1, "NEGATIVE_AMOUNT"), (2, None), (3, "DUPLICATE_RECORD_ID"), (4, "DUPLICATE_RECORD_ID"), (5, None)]


def test_duplicate_keys_are_judged_by_source_position_across_files_within_a_publication(spark, spec_for) -> None:
    spec = spec_for("general")
    b_first = judged(spark, spec, "general_91", [general(record_id="K", **{ROW_NUMBER: 1})], Origin("raw/b.csv", "2024-06-30", "i"))
    a_later = judged(spark, spec, "general_91", [general(record_id="K", **{ROW_NUMBER: 9})], Origin("raw/a.csv", "2024-06-30", "i"))
    other_publication = judged(
        spark, spec, "general_91", [general(record_id="K", **{ROW_NUMBER: 1})], Origin("raw/c.csv", "2025-01-31", "i")
    )
    got = {(r["_source_file"], r[REJECT_REASON]) for r in outcomes(classify([b_first, a_later, other_publication], spec))}
    assert got == {("raw/a.csv", None), ("raw/b.csv", "DUPLICATE_RECORD_ID"), ("raw/c.csv", None)}


def test_rejected_rows_keep_their_source_text_and_clean_rows_do_not_carry_it(spark, spec_for) -> None:
    spec = spec_for("general")
    rows = [
        general(record_id="D"),  # kept: cleaning changes nothing, so no copy of its text is kept
        general(record_id=" D", recipient_city="  Springfield\t"),  # a duplicate once cleaned
        general(record_id="D", recipient_city="'Boston"),  # a duplicate with an artefact
        general(total_amount_of_payment_usdollars="-1.00 "),  # rejected by a rule
        general(recipient_city="Salem "),  # curated, trimmed: its text is kept in case it lost a key
    ]
    rows_judged = judged(spark, spec, "general_91", rows)
    kept = {r[ROW_NUMBER]: r[RAW_VALUES] is not None for r in rows_judged.collect()}
    assert kept == {1: False, 2: True, 3: True, 4: True, 5: True}
    classified = classify([rows_judged], spec)
    rejected = {r[ROW_NUMBER]: r for r in rejected_frame(classified, spec).collect()}
    assert sorted(rejected) == [2, 3, 4]
    assert (rejected[2]["record_id"], rejected[2]["recipient_city"]) == (" D", "  Springfield\t")
    assert (rejected[3][REJECT_REASON], rejected[3]["recipient_city"]) == ("DUPLICATE_RECORD_ID", "'Boston")
    assert (rejected[4][REJECT_REASON], rejected[4]["total_amount_of_payment_usdollars"]) == ("NEGATIVE_AMOUNT", "-1.00 ")
    assert rejected[4]["recipient_city"] == CLEAN_GENERAL["recipient_city"]
    curated = {r[ROW_NUMBER]: r for r in curated_frame(classified, spec).collect()}
    assert (curated[1]["record_id"], curated[5]["recipient_city"]) == ("D", "Salem")


# --- removed records ---------------------------------------------------------------------------


def test_removed_records_of_the_matching_payment_type_are_excluded(spark, spec_for) -> None:
    removed = spark.createDataFrame(
        [("DELETED", 2023, "General Payment", "R1"), ("REMOVED", 2023, "Research Payment", "R2"),
         ("DELETED", 2023, "General Payment", "R1"), ("DELETED", 2023, "General Payment", "R3")],  # fmt: skip
        "change_type string, program_year int, payment_type string, record_id string",
    )
    rows = [general(record_id="R1"), general(record_id="R2"), general(record_id="R3", program_year="2022"), general()]
    got = [(r["record_id"], r[OUTCOME]) for r in classify_general(spark, spec_for, rows, removed)]
    # R2 is a research record; R3 is rejected before removal applies; R1 listed twice counts once.
    assert got == [("R1", REMOVED), ("R2", CURATED), ("R3", REJECTED), (rows[3]["record_id"], CURATED)]


def test_removed_records_do_not_apply_to_profiles(spark, spec_for) -> None:
    spec = spec_for("profiles")
    removed = spark.createDataFrame([("DELETED", 2023, "General Payment", "P1")], "change_type string, program_year int, payment_type string, record_id string")
    rows = [{"covered_recipient_profile_id": "P1"}]
    (row,) = outcomes(classify([judged(spark, spec, "profiles_32", rows)], spec, removed))
    assert row[OUTCOME] == CURATED


# --- other datasets ----------------------------------------------------------------------------


def test_profiles_take_the_program_year_from_the_job(spark, spec_for) -> None:
    spec = spec_for("profiles", 2021)
    rows = [
        {"covered_recipient_profile_id": "P1", "covered_recipient_npi": "1234567890", "covered_recipient_profile_city": "'DENVER"},
        {"covered_recipient_profile_id": "P1"},
        {"covered_recipient_profile_id": " "},
        {"covered_recipient_profile_id": "P2", "covered_recipient_npi": "12"},
    ]
    classified = classify([judged(spark, spec, "profiles_32", rows)], spec)
    got = [(r[REJECT_REASON], r[DQ_FLAGS]) for r in outcomes(classified)]
    assert got == [(None, ["LEADING_ARTIFACT"]), ("DUPLICATE_PROFILE_ID", []), ("MISSING_PROFILE_ID", []), (None, ["INVALID_NPI"])]
    curated = curated_frame(classified, spec).orderBy(ROW_NUMBER).collect()
    assert [(c["program_year"], c["covered_recipient_profile_city"]) for c in curated] == [(2021, "DENVER"), (2021, None)]


@pytest.mark.parametrize(
    "change_type,reason", [("DELETED", None), ("REMOVED", None), ("CHANGED", "UNKNOWN_CHANGE_TYPE"), ("", "UNKNOWN_CHANGE_TYPE")]
)
def test_removed_deleted_change_types(spark, spec_for, change_type, reason) -> None:
    spec = spec_for("removed_deleted")
    rows = [{"change_type": change_type, "program_year": "2023", "payment_type": "General Payment", "record_id": "9"}]
    (row,) = outcomes(classify([judged(spark, spec, "removed_deleted_4", rows)], spec))
    assert row[REJECT_REASON] == reason


def test_a_rule_is_skipped_when_the_era_lacks_its_column(spark, spec_for) -> None:
    """general_65 has no NPI column: a physician without NPI is not MISSING_NPI there."""
    spec = spec_for("general", 2014)
    era = spec.contract.era("general_65")
    assert "covered_recipient_npi" not in {c.curated for c in era.columns}
    row = general(program_year="2014", date_of_payment="03/15/2014", covered_recipient_npi=None)
    (got,) = outcomes(classify([judged(spark, spec, "general_65", [row])], spec))
    assert (got[OUTCOME], got[DQ_FLAGS]) == (CURATED, [])


# --- outputs and metrics -----------------------------------------------------------------------


def test_rejected_rows_keep_the_source_text(spark, spec_for) -> None:
    spec = spec_for("general")
    rows = [general(program_year="2022", total_amount_of_payment_usdollars=" 7.00 "), general(**{CORRUPT_RECORD: "a,b"})]
    rejected = rejected_frame(classify([judged(spark, spec, "general_91", rows)], spec), spec).orderBy(ROW_NUMBER).collect()
    assert [r[REJECT_REASON] for r in rejected] == ["PROGRAM_YEAR_MISMATCH", "WRONG_FIELD_COUNT"]
    assert rejected[0]["_raw_program_year"] == "2022"
    assert "program_year" not in rejected[0].asDict()
    assert rejected[0]["total_amount_of_payment_usdollars"] == " 7.00 "
    assert [r["_raw_record"] for r in rejected] == [None, "a,b"]


def test_metrics_reconcile_every_row(spark, spec_for) -> None:
    spec = spec_for("general")
    removed = spark.createDataFrame([("DELETED", 2023, "General Payment", "X")], "change_type string, program_year int, payment_type string, record_id string")
    rows = [
        general(total_amount_of_payment_usdollars="10.10"),
        general(total_amount_of_payment_usdollars="0.90", recipient_state="0R"),
        general(total_amount_of_payment_usdollars="-2.00"),
        general(total_amount_of_payment_usdollars="#REF!"),
        general(record_id="X", total_amount_of_payment_usdollars="5.00"),
    ]
    classified = classify([judged(spark, spec, "general_91", rows)], spec, removed)
    m = metrics_from_counts(outcome_counts(classified, spec).collect(), spec, [ORIGIN.source_file, "raw/empty.csv"])
    assert (m["rowsIn"], m["rowsOut"], m["rowsRejected"], m["removed"]) == (5, 2, 2, 1)
    assert m["rowsIn"] == m["rowsOut"] + m["rowsRejected"] + m["removed"]
    assert m["rowsInByFile"] == {"raw/a.csv": 5, "raw/empty.csv": 0}
    assert m["amounts"] == {"curated": "11.00", "rejected": "-2.00", "removed": "5.00"}
    assert set(m["rejectedByReason"]) == set(spec.reject_codes)
    assert {k: v for k, v in m["rejectedByReason"].items() if v} == {"NEGATIVE_AMOUNT": 1, "INVALID_AMOUNT": 1}
    assert {k: v for k, v in m["flagged"].items() if v} == {"INVALID_STATE_CODE": 1}


def test_datasets_without_an_amount_report_zero_amounts(spark, spec_for) -> None:
    spec = spec_for("profiles")
    assert spec.amount_column is None
    classified = classify([judged(spark, spec, "profiles_32", [{"covered_recipient_profile_id": "P"}])], spec)
    m = metrics_from_counts(outcome_counts(classified, spec).collect(), spec, [ORIGIN.source_file])
    assert m["amounts"] == {"curated": "0.00", "rejected": "0.00", "removed": "0.00"}


# --- building blocks ---------------------------------------------------------------------------


def test_an_unknown_check_kind_is_refused(spark, spec_for) -> None:
    spec = spec_for("general")
    scope = Scope(spec.dataset, frozenset(), spec.cleanup, spec.typing, YEAR, broken_record=None)  # type: ignore[arg-type]
    with pytest.raises(ContractError, match="not supported"):
        violation(Rule("NEW_RULE", "soft", "", {"kind": "bogus"}), scope)


def test_date_shape_follows_the_contract_format(contract) -> None:
    assert date_shape_regex("MM/dd/yyyy") == r"^[0-9]{2}\/[0-9]{2}\/[0-9]{4}$"
    assert java_literal("'\t-") == "\\'\\\t\\-"
    for unsupported in ("dd MMM yyyy", "EEE MM/dd/yyyy"):
        with pytest.raises(ContractError, match="numeric"):
            date_shape_regex(unsupported)
    assert Typing.of(contract).date_format == contract.parsing.date_format_spark


def test_lineage_in_the_contract_must_be_what_the_job_fills(contract) -> None:
    import dataclasses

    changed = dataclasses.replace(contract, lineage=contract.lineage[:-1])
    with pytest.raises(ContractError, match="lineage"):
        TransformSpec.of(changed, "general", YEAR)
