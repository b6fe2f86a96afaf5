-- Records CMS removed or deleted from a program year's detail files. The transform already
-- excluded them from the curated payment tables; kept here for the reconciliation test and audits.
with

source as (

    select * from {{ source('open_payments', 'removed_deleted') }}

),

renamed as (

    select
        record_id,
        cast(program_year as integer) as program_year,
        payment_type,
        change_type,

        -- lineage
        _publication_date as published_on,
        _source_file as source_file,
        _ingest_run_id as ingest_run_id

    from source

)

select * from renamed
