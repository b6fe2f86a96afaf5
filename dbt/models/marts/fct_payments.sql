-- One row per payment record: (payment_type, program_year, record_id) across general payments,
-- research payments and ownership interests, keyed to dim_recipients and dim_companies.
-- Removed/deleted records are not here: the transform excluded them from the curated tables.
with

payments as (

    select * from {{ ref('int_payments_unioned') }}

),

final as (

    select
        payment_type || ':' || cast(program_year as varchar) || ':' || record_id as payment_key,
        payment_type,
        program_year,
        record_id,
        recipient_key,
        company_id as company_key,
        amount_usd,
        payment_date,
        nature_of_payment,
        form_of_payment,
        recipient_type,
        published_on
    from payments

)

select * from final
