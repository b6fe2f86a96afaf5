-- Every sighting of a recipient's attributes: each profile-supplement snapshot and each payment
-- record that names the recipient. dim_recipients keeps the latest known value of each attribute.
with

profiles as (

    select * from {{ ref('stg_open_payments__recipient_profiles') }}

),

payments as (

    select * from {{ ref('int_payments_unioned') }}

),

from_profiles as (

    select
        {{ op_recipient_key('recipient_profile_id', 'cast(null as varchar)') }} as recipient_key,
        recipient_profile_id,
        cast(null as varchar) as teaching_hospital_id,
        recipient_type,
        recipient_npi,
        recipient_first_name,
        recipient_middle_name,
        recipient_last_name,
        cast(null as varchar) as teaching_hospital_name,
        cast(null as varchar) as teaching_hospital_ccn,
        recipient_city,
        recipient_state,
        recipient_specialty,
        program_year,
        published_on,
        -- The supplement is CMS's description of the profile: it wins over payment records of the
        -- same publication.
        1 as source_priority,
        source_file,
        source_row_number
    from profiles

),

from_payments as (

    select
        recipient_key,
        recipient_profile_id,
        teaching_hospital_id,
        recipient_type,
        recipient_npi,
        recipient_first_name,
        recipient_middle_name,
        recipient_last_name,
        teaching_hospital_name,
        teaching_hospital_ccn,
        recipient_city,
        recipient_state,
        recipient_specialty,
        program_year,
        published_on,
        2 as source_priority,
        source_file,
        source_row_number
    from payments
    where recipient_key is not null

),

unioned as (

    select * from from_profiles
    union all
    select * from from_payments

)

select * from unioned
