{#
  A nullable key column stays under its null-rate ceiling in every program year (the contract's
  maxNullRate): one failing row per partition over it, with the rate it has. Plain SQL that DuckDB
  and Athena both run.
#}
{% test op_null_rate_at_most(model, column_name, max_rate) %}

select
    program_year,
    count(*) as rows_total,
    sum(case when {{ column_name }} is null then 1 else 0 end) as null_rows
from {{ model }}
group by program_year
having sum(case when {{ column_name }} is null then 1 else 0 end) > {{ max_rate }} * count(*)

{% endtest %}
