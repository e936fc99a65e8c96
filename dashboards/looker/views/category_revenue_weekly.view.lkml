# marts.category_revenue_weekly: per ISO week and product category (each product's latest; NULL
# when the product is not in dw.dim_product): the products with a view, add-to-cart or purchase
# that week and their revenue. Equals product_popularity_weekly summed by week and category,
# read from a table of weeks x categories instead of weeks x products.
view: category_revenue_weekly {
  sql_table_name: marts.category_revenue_weekly ;;

  dimension: week_category_key {
    primary_key: yes
    hidden: yes
    type: string
    sql: ${TABLE}.week_start::text || '/' || coalesce(${TABLE}.category, '') || '/' || (${TABLE}.category IS NULL)::text ;;
  }

  dimension_group: week_start {
    label: "Week"
    type: time
    timeframes: [raw, date, week, month, quarter, year]
    datatype: date
    convert_tz: no
    sql: ${TABLE}.week_start ;;
  }

  dimension: category {
    type: string
    sql: coalesce(${TABLE}.category, 'unknown') ;;
  }

  measure: revenue {
    type: sum
    value_format_name: usd
    sql: ${TABLE}.revenue ;;
  }

  measure: products {
    description: "Product-weeks: products with a view, add-to-cart or purchase, summed over the weeks."
    type: sum
    sql: ${TABLE}.products ;;
  }
}
