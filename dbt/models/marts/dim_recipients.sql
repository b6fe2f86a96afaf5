-- Covered recipients: physicians and non-physician practitioners (by Open Payments profile id) and
-- teaching hospitals (by CMS teaching hospital id). Each attribute is its latest known value:
-- most recent program year first, then the most recent publication, then the profile supplement
-- before payment records, then source position. A newer sighting without a value (older layouts
-- lack NPI, profile type) does not erase an older known one.
with

observations as (

    select * from {{ ref('int_recipient_observations') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by recipient_key
            order by
                program_year desc,
                published_on desc,
                source_priority asc,
                source_file asc,
                source_row_number asc
        ) as recency_rank
    from observations

),

latest as (

    select
        recipient_key,
        {{ op_latest_non_null('recipient_profile_id') }} as recipient_profile_id,
        {{ op_latest_non_null('teaching_hospital_id') }} as teaching_hospital_id,
        {{ op_latest_non_null('recipient_type') }} as recipient_type,
        {{ op_latest_non_null('recipient_npi') }} as recipient_npi,
        {{ op_latest_non_null('recipient_first_name') }} as first_name,
        {{ op_latest_non_null('recipient_middle_name') }} as middle_name,
        {{ op_latest_non_null('recipient_last_name') }} as last_name,
        {{ op_latest_non_null('teaching_hospital_name') }} as teaching_hospital_name,
        {{ op_latest_non_null('teaching_hospital_ccn') }} as teaching_hospital_ccn,
        {{ op_latest_non_null('recipient_city') }} as city,
        {{ op_latest_non_null('recipient_state') }} as state,
        {{ op_latest_non_null('recipient_specialty') }} as specialty,
        min(program_year) as first_program_year,
        max(program_year) as last_program_year
    from ranked
    group by recipient_key

),

final as (

    select
        recipient_key,
        case
            when recipient_key like 'teaching_hospital:%' then 'Teaching Hospital'
            when recipient_type like '%Non-Physician Practitioner%' then 'Non-Physician Practitioner'
            -- Before 2021 every profile was a physician, and the older layouts had no type column.
            else 'Physician'
        end as recipient_category,
        recipient_type,
        recipient_profile_id,
        recipient_npi,
        teaching_hospital_id,
        teaching_hospital_ccn,
        teaching_hospital_name,
        first_name,
        middle_name,
        last_name,
        city,
        state,
        specialty,
        first_program_year,
        last_program_year
    from latest

)

select * from final
