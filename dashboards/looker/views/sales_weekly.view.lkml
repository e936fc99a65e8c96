# marts.sales_weekly: one row per ISO week (Monday, UTC) with at least one purchase.
# docs/kpis.md#sales: revenue = sum of quantity x unit_price over purchase events, orders = distinct
# order_id, units = sum of quantity, AOV = revenue / orders.
view: sales_weekly {
  sql_table_name: marts.sales_weekly ;;

  dimension: week_key {
    primary_key: yes
    hidden: yes
    type: string
    sql: ${TABLE}.week_start::text ;;
  }

  dimension_group: week_start {
    label: "Week"
    description: "Monday of the ISO week (UTC)."
    type: time
    timeframes: [raw, date, week, month, quarter, year]
    datatype: date
    convert_tz: no
    sql: ${TABLE}.week_start ;;
  }

  dimension: iso_year {
    type: number
    value_format_name: id
    sql: ${TABLE}.iso_year ;;
  }

  dimension: iso_week {
    type: number
    sql: ${TABLE}.iso_week ;;
  }

  dimension: revenue {
    description: "The week's revenue (a row value; use Total revenue to aggregate)."
    type: number
    value_format_name: usd
    sql: ${TABLE}.revenue ;;
  }

  dimension: orders {
    type: number
    sql: ${TABLE}.orders ;;
  }

  measure: total_revenue {
    type: sum
    value_format_name: usd
    sql: ${TABLE}.revenue ;;
  }

  measure: total_orders {
    description: "Orders (distinct order_id per week), summed over weeks."
    type: sum
    sql: ${TABLE}.orders ;;
  }

  measure: total_units {
    type: sum
    sql: ${TABLE}.units ;;
  }

  measure: average_order_value {
    description: "Total revenue / total orders; on one week it equals the mart's avg_order_value (up to its rounding to cents)."
    type: number
    value_format_name: usd
    sql: ${total_revenue} / NULLIF(${total_orders}, 0) ;;
  }

  measure: purchase_events {
    type: sum
    sql: ${TABLE}.purchase_events ;;
  }

  measure: buyers {
    description: "Distinct buyers of each week, summed over weeks (a buyer of two weeks counts twice)."
    type: sum
    sql: ${TABLE}.buyers ;;
  }
}
