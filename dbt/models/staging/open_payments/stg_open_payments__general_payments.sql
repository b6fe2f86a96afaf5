-- General payments (one row per record and program year), renamed to short analytic names.
-- The curated table is already typed and validated by the Spark transform; product columns
-- (up to five per payment) stay in the source for ad-hoc use.
with

source as (

    select * from {{ source('open_payments', 'general') }}

),

renamed as (

    select
        -- ids
        record_id,
        cast(program_year as integer) as program_year,
        covered_recipient_profile_id as recipient_profile_id,
        covered_recipient_npi as recipient_npi,
        teaching_hospital_id,
        teaching_hospital_ccn,
        applicable_manufacturer_or_applicable_gpo_making_payment_id as company_id,

        -- recipient
        covered_recipient_type as recipient_type,
        teaching_hospital_name,
        covered_recipient_first_name as recipient_first_name,
        covered_recipient_middle_name as recipient_middle_name,
        covered_recipient_last_name as recipient_last_name,
        covered_recipient_name_suffix as recipient_name_suffix,
        recipient_city,
        recipient_state,
        recipient_zip_code,
        recipient_country,
        covered_recipient_primary_type_1 as recipient_primary_type,
        covered_recipient_specialty_1 as recipient_specialty,

        -- company
        applicable_manufacturer_or_applicable_gpo_making_payment_name as company_name,
        applicable_manufacturer_or_applicable_gpo_making_payment_state as company_state,
        applicable_manufacturer_or_applicable_gpo_making_payment_country as company_country,
        submitting_applicable_manufacturer_or_applicable_gpo_name as submitting_company_name,

        -- payment
        change_type,
        cast(total_amount_of_payment_usdollars as decimal(18, 2)) as amount_usd,
        date_of_payment as payment_date,
        number_of_payments_included_in_total_amount as number_of_payments,
        form_of_payment_or_transfer_of_value as form_of_payment,
        nature_of_payment_or_transfer_of_value as nature_of_payment,
        city_of_travel,
        state_of_travel,
        country_of_travel,
        related_product_indicator,
        physician_ownership_indicator as has_physician_ownership,
        charity_indicator as is_charity,
        dispute_status_for_publication as is_disputed,
        delay_in_publication_indicator as is_publication_delayed,
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
