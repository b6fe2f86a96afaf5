/* @bruin
name: open_payments.curated_general_payments
type: duckdb.sql
description: The curated General payments of the lake, as a view, with Bruin's column checks.
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
  - name: applicable_manufacturer_or_applicable_gpo_making_payment_id
    type: varchar
    checks:
      - name: not_null
  - name: program_year
    type: integer
    checks:
      - name: not_null
      - name: accepted_values
        value: [2013, 2014, 2015, 2016, 2017, 2018, 2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026, 2027, 2028, 2029, 2030]
@bruin */

SELECT *
FROM read_parquet(
    '{{ var.lake }}/curated/open_payments/general/program_year=*/*.parquet',
    hive_partitioning = true,
    hive_types = {'program_year': INTEGER}
)
