-- Applicable manufacturers and GPOs: one row per company id, named by the latest name it
-- reported. "Latest" = the most recent program year in which the company was named; within that
-- year its most frequent spelling (companies spell themselves differently from record to record),
-- ties broken alphabetically so the choice is deterministic. An id that was never reported with a
-- name is not a company we can describe: it is absent, and fct_payments' relationships test fails.
with

payments as (

    select * from {{ ref('int_payments_unioned') }}

),

name_counts as (

    select
        company_id,
        program_year,
        company_name,
        count(*) as records
    from payments
    where company_name is not null
    group by company_id, program_year, company_name

),

ranked_names as (

    select
        *,
        row_number() over (
            partition by company_id
            order by program_year desc, records desc, company_name asc
        ) as name_rank
    from name_counts

),

company_years as (

    select
        company_id,
        min(program_year) as first_program_year,
        max(program_year) as last_program_year,
        count(distinct company_name) as distinct_names
    from name_counts
    group by company_id

),

final as (

    select
        company_years.company_id as company_key,
        ranked_names.company_name,
        company_years.distinct_names,
        company_years.first_program_year,
        company_years.last_program_year
    from company_years
    inner join ranked_names
        on
            company_years.company_id = ranked_names.company_id
            and ranked_names.name_rank = 1

)

select * from final
