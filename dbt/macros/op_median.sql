{#
  Median of a numeric expression, per adapter: DuckDB computes it exactly; Athena (Trino) has no
  exact median, so it uses approx_percentile (the same trade-off the Spark yearly_summary job makes).
#}
{% macro op_median(expression) -%}
    {{ return(adapter.dispatch('op_median', 'open_payments')(expression)) }}
{%- endmacro %}

{% macro default__op_median(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__op_median(expression) -%}
    median({{ expression }})
{%- endmacro %}

{% macro athena__op_median(expression) -%}
    approx_percentile({{ expression }}, 0.5)
{%- endmacro %}
