-- General, research and ownership records in one shape: the grain of fct_payments, with the
-- recipient and company attributes each record carries (the dimensions are built from them).
with

general_payments as (

    select * from {{ ref('stg_open_payments__general_payments') }}

),

research_payments as (

    select * from {{ ref('stg_open_payments__research_payments') }}

),

ownership_interests as (

    select * from {{ ref('stg_open_payments__ownership_interests') }}

),

general as (

    select
        'General Payment' as payment_type,
        program_year,
        record_id,
        amount_usd,
        payment_date,
        nature_of_payment,
        form_of_payment,
        recipient_type,
        recipient_profile_id,
        recipient_npi,
        teaching_hospital_id,
        teaching_hospital_ccn,
        teaching_hospital_name,
        recipient_first_name,
        recipient_middle_name,
        recipient_last_name,
        recipient_city,
        recipient_state,
        recipient_specialty,
        company_id,
        company_name,
        published_on,
        source_file,
        source_row_number
    from general_payments

),

research as (

    select
        'Research Payment' as payment_type,
        program_year,
        record_id,
        amount_usd,
        payment_date,
        -- Research records have no nature of payment: their payment type is their nature.
        cast(null as varchar) as nature_of_payment,
        form_of_payment,
        recipient_type,
        recipient_profile_id,
        recipient_npi,
        teaching_hospital_id,
        teaching_hospital_ccn,
        teaching_hospital_name,
        recipient_first_name,
        recipient_middle_name,
        recipient_last_name,
        recipient_city,
        recipient_state,
        recipient_specialty,
        company_id,
        company_name,
        published_on,
        source_file,
        source_row_number
    from research_payments

),

ownership as (

    select
        -- The removed/deleted file's spelling, so removed records can be matched on it.
        'Ownership or Investment Interest' as payment_type,
        program_year,
        record_id,
        amount_invested_usd as amount_usd,
        -- An interest is held over the year: no payment date, nature or form.
        cast(null as date) as payment_date,
        cast(null as varchar) as nature_of_payment,
        cast(null as varchar) as form_of_payment,
        -- The ownership file reports physicians only and has no recipient type column.
        'Covered Recipient Physician' as recipient_type,
        recipient_profile_id,
        recipient_npi,
        cast(null as varchar) as teaching_hospital_id,
        cast(null as varchar) as teaching_hospital_ccn,
        cast(null as varchar) as teaching_hospital_name,
        recipient_first_name,
        recipient_middle_name,
        recipient_last_name,
        recipient_city,
        recipient_state,
        recipient_specialty,
        company_id,
        company_name,
        published_on,
        source_file,
        source_row_number
    from ownership_interests

),

unioned as (

    select * from general
    union all
    select * from research
    union all
    select * from ownership

),

keyed as (

    select
        *,
        {{ op_recipient_key('recipient_profile_id', 'teaching_hospital_id') }} as recipient_key
    from unioned

)

select * from keyed
