{#
  A compound key is unique: no combination of the columns occurs twice. Written here rather than
  taken from dbt_utils because `dbt deps` needs the network.
#}
{% test op_unique_combination_of_columns(model, combination_of_columns) %}

select
    {{ combination_of_columns | join(', ') }},
    count(*) as occurrences
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1

{% endtest %}
