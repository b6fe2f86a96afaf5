/* @bruin
name: open_payments.curated_research_payments
type: duckdb.sql
description: The curated Research payments of the lake, as a view, with Bruin's column checks.
materialization:
  type: view
depends:
  - open_payments.validate
columns:
  - name: record_id
    type: varchar
    checks:
      - name: not_null
      - name: unique
  - name: total_amount_of_payment_usdollars
    type: decimal
    checks:
      - name: not_null
      - name: non_negative
  - name: date_of_payment
    type: date
    checks:
      - name: not_null
@bruin */

SELECT *
FROM read_parquet(
    '{{ var.lake }}/curated/open_payments/research/program_year=*/*.parquet',
    hive_partitioning = true,
    hive_types = {'program_year': INTEGER}
)
