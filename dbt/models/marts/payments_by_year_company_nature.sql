-- Who pays what, each year: payment count, total and median amount per program year × company ×
-- nature of payment. Research and ownership records carry no nature: their payment type stands in
-- ("Research Payment", "Ownership or Investment Interest"), as does "General Payment" for a
-- general record whose nature was missing.
with

payments as (

    select * from {{ ref('fct_payments') }}

),

companies as (

    select * from {{ ref('dim_companies') }}

),

payments_with_nature as (

    select
        program_year,
        company_key,
        coalesce(nature_of_payment, payment_type) as nature_of_payment,
        amount_usd
    from payments

),

summarised as (

    select
        program_year,
        company_key,
        nature_of_payment,
        count(*) as payment_count,
        sum(amount_usd) as total_amount_usd,
        {{ op_median('amount_usd') }} as median_amount_usd
    from payments_with_nature
    group by program_year, company_key, nature_of_payment

),

final as (

    select
        summarised.program_year,
        summarised.company_key,
        companies.company_name,
        summarised.nature_of_payment,
        summarised.payment_count,
        cast(summarised.total_amount_usd as decimal(18, 2)) as total_amount_usd,
        cast(summarised.median_amount_usd as decimal(18, 2)) as median_amount_usd
    from summarised
    left join companies
        on summarised.company_key = companies.company_key

)

select * from final
