-- General payments of one program year by paying manufacturer and nature of payment.
-- Parameters: ${year} (the program year). View: general_payments (curated general).
--
-- CMS does not normalise manufacturer names (one company appears under several spellings), so rows
-- are grouped by the manufacturer id and carry the id's most frequent spelling in the year.
-- The median is percentile_approx (accuracy 10000: within 0.01% of the rank), which stays cheap on
-- groups of millions of payments; on small groups it is an actual payment amount.
WITH payments AS (
  SELECT
    program_year,
    applicable_manufacturer_or_applicable_gpo_making_payment_id AS manufacturer_id,
    applicable_manufacturer_or_applicable_gpo_making_payment_name AS manufacturer_name,
    nature_of_payment_or_transfer_of_value AS nature_of_payment,
    total_amount_of_payment_usdollars AS amount_usd
  FROM general_payments
  WHERE program_year = ${year}
),
names AS (
  SELECT manufacturer_id, max_by(manufacturer_name, struct(spellings, manufacturer_name)) AS manufacturer_name
  FROM (
    SELECT manufacturer_id, manufacturer_name, count(*) AS spellings
    FROM payments
    GROUP BY manufacturer_id, manufacturer_name
  )
  GROUP BY manufacturer_id
)
SELECT
  p.program_year,
  p.manufacturer_id,
  n.manufacturer_name,
  p.nature_of_payment,
  count(*) AS payments,
  sum(p.amount_usd) AS total_amount_usd,
  percentile_approx(p.amount_usd, 0.5, 10000) AS median_amount_usd
FROM payments p
LEFT JOIN names n ON n.manufacturer_id <=> p.manufacturer_id
GROUP BY p.program_year, p.manufacturer_id, n.manufacturer_name, p.nature_of_payment
