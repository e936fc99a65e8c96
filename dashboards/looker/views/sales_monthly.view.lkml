# marts.sales_monthly: one row per calendar month (UTC) with at least one purchase; the same
# measures as sales_weekly.
view: sales_monthly {
  sql_table_name: marts.sales_monthly ;;

  dimension: month_key {
    primary_key: yes
    hidden: yes
    type: string
    sql: ${TABLE}.month_start::text ;;
  }

  dimension_group: month_start {
    label: "Month"
    description: "First day of the month (UTC)."
    type: time
    timeframes: [raw, date, month, quarter, year]
    datatype: date
    convert_tz: no
    sql: ${TABLE}.month_start ;;
  }

  measure: total_revenue {
    type: sum
    value_format_name: usd
    sql: ${TABLE}.revenue ;;
  }

  measure: total_orders {
    type: sum
    sql: ${TABLE}.orders ;;
  }

  measure: total_units {
    type: sum
    sql: ${TABLE}.units ;;
  }

  measure: average_order_value {
    type: number
    value_format_name: usd
    sql: ${total_revenue} / NULLIF(${total_orders}, 0) ;;
  }

  measure: purchase_events {
    type: sum
    sql: ${TABLE}.purchase_events ;;
  }

  measure: buyers {
    description: "Distinct buyers of each month, summed over months."
    type: sum
    sql: ${TABLE}.buyers ;;
  }
}
