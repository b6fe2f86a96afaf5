-- No payment CMS removed or deleted is in fct_payments: each listed (payment type, program year,
-- record id) must be absent. Rows returned are removed records that are still counted.
with

removed as (

    select * from {{ ref('stg_open_payments__removed_records') }}

),

facts as (

    select * from {{ ref('fct_payments') }}

)

select
    facts.payment_key,
    removed.change_type
from facts
inner join removed
    on
        facts.payment_type = removed.payment_type
        and facts.program_year = removed.program_year
        and facts.record_id = removed.record_id
