-- Reconciliation: fct_payments holds, per payment type and program year, exactly the rows of the
-- curated table. The curated tables already exclude removed/deleted records (the transform drops
-- them and counts them as `removed`, so rows_in = curated + rejected + removed), so "curated rows
-- minus removed" is the curated count itself: subtracting the removed list again would count them
-- twice. assert_fct_payments_excludes_removed_records checks the exclusion itself.
-- Counts are read from the sources, not the staging models, so a model that drops or duplicates
-- rows cannot hide it. Any row returned is a (type, year) that does not reconcile.
with

curated as (

    select
        'General Payment' as payment_type,
        cast(program_year as integer) as program_year,
        count(*) as curated_rows
    from {{ source('open_payments', 'general') }}
    group by 1, 2

    union all

    select
        'Research Payment' as payment_type,
        cast(program_year as integer) as program_year,
        count(*) as curated_rows
    from {{ source('open_payments', 'research') }}
    group by 1, 2

    union all

    select
        'Ownership or Investment Interest' as payment_type,
        cast(program_year as integer) as program_year,
        count(*) as curated_rows
    from {{ source('open_payments', 'ownership') }}
    group by 1, 2

),

facts as (

    select
        payment_type,
        program_year,
        count(*) as fact_rows
    from {{ ref('fct_payments') }}
    group by 1, 2

)

select
    coalesce(curated.payment_type, facts.payment_type) as payment_type,
    coalesce(curated.program_year, facts.program_year) as program_year,
    coalesce(curated.curated_rows, 0) as curated_rows,
    coalesce(facts.fact_rows, 0) as fact_rows
from curated
full outer join facts
    on
        curated.payment_type = facts.payment_type
        and curated.program_year = facts.program_year
where coalesce(curated.curated_rows, 0) <> coalesce(facts.fact_rows, 0)
