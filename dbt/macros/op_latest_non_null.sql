{#
  The most recent non-null value of an attribute within a group, given a recency rank (1 = most
  recent). min_by ignores rows whose ordering value is null, so a null attribute in a newer row
  never hides an older known value. min_by exists in both DuckDB and Athena (Trino).
#}
{% macro op_latest_non_null(attribute, recency_rank='recency_rank') -%}
    min_by({{ attribute }}, case when {{ attribute }} is not null then {{ recency_rank }} end)
{%- endmacro %}
