"""The floor under the transform benchmark: Spark reading the same staging chunks the same way (the
job's reader, one scan of the chunks, the job's session settings) and writing every column, as text,
into a program_year partition of Parquet. No cleaning, judging, typing, counting or caching.

Whatever `submit transform` takes beyond this is the transform's own cost; what this takes beyond
DuckDB is Spark's on this machine (JVM start included, as in the measured command).

    spark-submit bench/spark_floor.py --lake DIR --record INGEST_RECORD.json --out DIR
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "spark-jobs"))

from pyspark.sql import functions as F  # noqa: E402

from openpayments_jobs.read import read_raw_csv  # noqa: E402
from openpayments_jobs.runtime import build_session  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--lake", required=True)
    p.add_argument("--record", required=True, help="the ingest record (metadata/ingest/...json)")
    p.add_argument("--out", required=True)
    args = p.parse_args()
    with open(args.record, encoding="utf-8") as f:
        record = json.load(f)
    spark = build_session("spark-floor")
    try:
        rows = read_raw_csv(spark, [os.path.join(args.lake, c["key"]) for c in record["chunks"]], record["header"])
        rows = rows.withColumn("program_year", F.lit(str(record["programYear"])))
        rows.write.mode("overwrite").partitionBy("program_year").parquet(args.out)
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
