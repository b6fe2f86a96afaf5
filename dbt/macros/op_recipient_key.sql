{#
  The key of a payment's recipient: a person by their Open Payments profile id, a teaching hospital
  by its CMS teaching hospital id (hospitals have no profile). Prefixed, because the two id spaces
  are separate and could overlap. Null when the row names neither (e.g. a non-covered entity in
  research payments).
#}
{% macro op_recipient_key(profile_id, teaching_hospital_id) -%}
    case
        when {{ profile_id }} is not null then 'profile:' || {{ profile_id }}
        when {{ teaching_hospital_id }} is not null then 'teaching_hospital:' || {{ teaching_hospital_id }}
    end
{%- endmacro %}
