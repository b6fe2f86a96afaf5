{#
  Every row satisfies a SQL boolean expression (rows where it is false or null fail), optionally
  only rows matching `where` (dbt's own `where` config works too).
#}
{% test op_expression_is_true(model, expression, column_name=none) %}

select *
from {{ model }}
where not coalesce({{ expression }}, false)

{% endtest %}
