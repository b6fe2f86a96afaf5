"""Job `profile_raw`: what is in a raw CMS file, as Spark reads it.

Detects the file's era from its header through the contract, reads it with the all-string raw
schema (records, not lines), and writes a JSON profile: record count, era, and per-column counts of
empty values for the dataset's record key and amount columns. It proves the local Spark toolchain
reads the published format before any transform runs.

    spark-submit --py-files jobs.zip profile_raw.py --contract C.json --dataset general --input F.csv --out P.json
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Dict, List, Optional

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from openpayments_jobs.contract import Era, load_contract
from openpayments_jobs.eras import UnknownHeaderError, detect_era
from openpayments_jobs.read import read_header, read_raw_csv

#: Curated columns whose empty share is worth knowing at a glance.
WATCHED = ("record_id", "total_amount_of_payment_usdollars", "total_amount_invested_usdollars", "covered_recipient_profile_id")


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="profile_raw", description=__doc__.splitlines()[0])
    p.add_argument("--contract", required=True, help="exported contract JSON")
    p.add_argument("--dataset", required=True, help="dataset id of the file")
    p.add_argument("--input", required=True, help="raw CSV file")
    p.add_argument("--out", required=True, help="profile JSON to write")
    return p.parse_args(argv)


def profile(df: DataFrame, era: Era) -> Dict[str, object]:
    """Record count and empty counts of the watched columns the era supplies (pure DataFrame work)."""
    by_curated = {c.curated: c.source for c in era.columns if c.curated in WATCHED}
    aggs = [F.count(F.lit(1)).alias("records")] + [
        F.sum(F.when(F.col(src).isNull(), 1).otherwise(0)).alias(name) for name, src in sorted(by_curated.items())
    ]
    row = df.agg(*aggs).collect()[0].asDict()
    records = int(row.pop("records"))
    return {"era": era.id, "records": records, "empty": {k: int(v or 0) for k, v in row.items()}}


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    contract = load_contract(args.contract)
    header = read_header(args.input)
    try:
        era = detect_era(contract, header, args.dataset)
    except UnknownHeaderError as e:
        print(f"profile_raw: {e}", file=sys.stderr)
        return 4
    spark = SparkSession.builder.appName("profile_raw").getOrCreate()
    try:
        result = profile(read_raw_csv(spark, args.input, header), era)
    finally:
        spark.stop()
    result.update({"dataset": args.dataset, "input": args.input, "contractVersion": contract.contract_version})
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
