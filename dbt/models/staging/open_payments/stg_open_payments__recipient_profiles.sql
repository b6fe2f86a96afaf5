-- Covered recipient profile supplement: one snapshot per program year's publication, one row per
-- profile id in each snapshot. Before 2021 the profiles were physicians only (no type, no NPI).
with

source as (

    select * from {{ source('open_payments', 'profiles') }}

),

renamed as (

    select
        -- ids
        covered_recipient_profile_id as recipient_profile_id,
        cast(program_year as integer) as program_year,
        covered_recipient_npi as recipient_npi,

        -- attributes
        covered_recipient_profile_type as recipient_type,
        covered_recipient_profile_first_name as recipient_first_name,
        covered_recipient_profile_middle_name as recipient_middle_name,
        covered_recipient_profile_last_name as recipient_last_name,
        covered_recipient_profile_suffix as recipient_name_suffix,
        covered_recipient_profile_city as recipient_city,
        covered_recipient_profile_state as recipient_state,
        covered_recipient_profile_zipcode as recipient_zip_code,
        covered_recipient_profile_country_name as recipient_country,
        covered_recipient_profile_primary_specialty as recipient_specialty,
        covered_recipient_profile_license_state_code_1 as recipient_license_state,

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
