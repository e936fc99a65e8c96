# marts.product_popularity_weekly: per ISO week and product with product_view, add_to_cart or
# purchase events; rank within the week by revenue, then units (ties share a rank). Name,
# category and brand from the product's latest version.
view: product_popularity_weekly {
  sql_table_name: marts.product_popularity_weekly ;;

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

  dimension: product_id {
    type: number
    value_format_name: id
    sql: ${TABLE}.product_id ;;
  }

  dimension: product_name {
    type: string
    sql: ${TABLE}.product_name ;;
  }

  dimension: category {
    type: string
    sql: coalesce(${TABLE}.category, 'unknown') ;;
  }

  dimension: brand {
    type: string
    sql: ${TABLE}.brand ;;
  }

  dimension: weekly_rank {
    description: "Rank of the product within its week over all products (1 = most revenue)."
    type: number
    sql: ${TABLE}.rank ;;
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

  measure: view_to_purchase_rate {
    description: "Purchase events per product view."
    type: number
    value_format_name: percent_1
    sql: ${purchases}::double precision / NULLIF(${product_views}, 0) ;;
  }
}
