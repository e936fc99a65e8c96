# Each ISO week's best products within the chosen categories, from the function
# marts.top_products_weekly(from, to, categories, n): it reads an index in revenue order and stops
# at n products a week, so its cost is the weeks in range, not the products (the window behind
# product_popularity_weekly's weekly_rank reads every product of every week in range).
#
# A derived table built from templated filters, since an explore cannot call a table function
# otherwise; Looker does not persist such a table (it runs per query; the model's datagroup still
# caches the results). The filters:
# - week_range: the weeks whose Monday lies in the range, as a filter on week_start would keep
#   them (date_end is exclusive; a range starting mid-week starts at the next Monday). Unset or
#   open-ended: from the first or up to the last week of the marts.
# - category: the categories as category_revenue_weekly names them ('unknown' = the products
#   without a category); unset: every product.
# - top_n: products per week, 1 to 100 (default 10).
view: top_products_weekly {
  derived_table: {
    sql:
      SELECT t.*
      FROM marts.top_products_weekly(
        COALESCE(date_trunc('week', ({% date_start week_range %})::date::timestamp + interval '6 days')::date,
                 (SELECT min(c.week_start) FROM marts.category_revenue_weekly c)),
        COALESCE(({% date_end week_range %})::date - 1,
                 (SELECT max(c.week_start) FROM marts.category_revenue_weekly c)),
        {% if top_products_weekly.category._is_filtered %}
        ARRAY(SELECT DISTINCT c.category FROM marts.category_revenue_weekly c
              WHERE {% condition category %} coalesce(c.category, 'unknown') {% endcondition %})
        {% else %}
        NULL
        {% endif %},
        LEAST(GREATEST(COALESCE(NULLIF('{% parameter top_n %}', '')::integer, 10), 1), 100)
      ) t ;;
  }

  filter: week_range {
    label: "Weeks"
    description: "The weeks whose Monday lies in this range (UTC)."
    type: date
    convert_tz: no
  }

  filter: category {
    label: "Category"
    description: "Product categories ('unknown': products without one); unset: every product."
    type: string
    suggest_explore: category_revenue_weekly
    suggest_dimension: category_revenue_weekly.category
  }

  parameter: top_n {
    label: "Products per week"
    type: number
    default_value: "10"
  }

  dimension: week_product_key {
    primary_key: yes
    hidden: yes
    type: string
    sql: ${TABLE}.week_start::text || '/' || ${TABLE}.product_id::text ;;
  }

  dimension_group: week_start {
    label: "Week"
    type: time
    timeframes: [raw, date, week, month, quarter, year]
    datatype: date
    convert_tz: no
    sql: ${TABLE}.week_start ;;
  }

  dimension: rank_in_selection {
    description: "1 + the products of the selection that week with more revenue (then units): ties share a rank."
    type: number
    sql: ${TABLE}.rank_in_selection ;;
  }

  dimension: product_id {
    type: number
    value_format_name: id
    sql: ${TABLE}.product_id ;;
  }

  dimension: product_name {
    type: string
    sql: ${TABLE}.product_name ;;
  }

  dimension: product_category {
    label: "Category"
    type: string
    sql: coalesce(${TABLE}.category, 'unknown') ;;
  }

  dimension: brand {
    type: string
    sql: ${TABLE}.brand ;;
  }

  measure: revenue {
    type: sum
    value_format_name: usd
    sql: ${TABLE}.revenue ;;
  }

  measure: units {
    type: sum
    sql: ${TABLE}.units ;;
  }

  measure: purchases {
    type: sum
    sql: ${TABLE}.purchases ;;
  }

  measure: add_to_carts {
    type: sum
    sql: ${TABLE}.add_to_carts ;;
  }

  measure: product_views {
    type: sum
    sql: ${TABLE}.product_views ;;
  }
}
