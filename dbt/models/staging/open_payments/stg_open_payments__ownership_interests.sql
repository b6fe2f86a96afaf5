-- Ownership and investment interests held by physicians (or their family) in a manufacturer/GPO.
with

source as (

    select * from {{ source('open_payments', 'ownership') }}

),

renamed as (

    select
        -- ids
        record_id,
        cast(program_year as integer) as program_year,
        physician_profile_id as recipient_profile_id,
        physician_npi as recipient_npi,
        applicable_manufacturer_or_applicable_gpo_making_payment_id as company_id,

        -- recipient (always a physician in this file)
        physician_first_name as recipient_first_name,
        physician_middle_name as recipient_middle_name,
        physician_last_name as recipient_last_name,
        physician_name_suffix as recipient_name_suffix,
        recipient_city,
        recipient_state,
        recipient_zip_code,
        recipient_country,
        physician_primary_type as recipient_primary_type,
        physician_specialty as recipient_specialty,

        -- company
        applicable_manufacturer_or_applicable_gpo_making_payment_name as company_name,
        applicable_manufacturer_or_applicable_gpo_making_payment_state as company_state,
        applicable_manufacturer_or_applicable_gpo_making_payment_country as company_country,
        submitting_applicable_manufacturer_or_applicable_gpo_name as submitting_company_name,

        -- interest
        change_type,
        cast(total_amount_invested_usdollars as decimal(18, 2)) as amount_invested_usd,
        cast(value_of_interest as decimal(18, 2)) as value_of_interest_usd,
        terms_of_interest,
        interest_held_by_physician_or_an_immediate_family_member as interest_held_by,
        dispute_status_for_publication as is_disputed,
        payment_publication_date,

        -- lineage
        _publication_date as published_on,
        _source_file as source_file,
        _ingest_run_id as ingest_run_id,
        _era as source_era,
        _row_number as source_row_number,
        _dq_flags as dq_flags

    from source

)

select * from renamed
