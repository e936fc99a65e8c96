# marts.engagement_daily: one row per day from the first to the last day with facts.
# DAU = users with a fact event on the day, WAU = in [d-6, d], MAU = in [d-29, d],
# stickiness = DAU / MAU. Not additive over days: the measures average them.
view: engagement_daily {
  sql_table_name: marts.engagement_daily ;;

  dimension: date_key {
    primary_key: yes
    hidden: yes
    type: number
    sql: ${TABLE}.date_key ;;
  }

  dimension_group: event {
    label: "Activity"
    type: time
    timeframes: [raw, date, week, month, quarter, year]
    datatype: date
    convert_tz: no
    sql: ${TABLE}.event_date ;;
  }

  dimension: dau {
    label: "DAU"
    type: number
    sql: ${TABLE}.dau ;;
  }

  dimension: wau {
    label: "WAU"
    type: number
    sql: ${TABLE}.wau ;;
  }

  dimension: mau {
    label: "MAU"
    type: number
    sql: ${TABLE}.mau ;;
  }

  dimension: stickiness {
    type: number
    value_format_name: percent_1
    sql: ${TABLE}.stickiness ;;
  }

  measure: average_dau {
    label: "Average DAU"
    description: "On one day: that day's DAU."
    type: average
    value_format_name: decimal_0
    sql: ${TABLE}.dau ;;
  }

  measure: average_wau {
    label: "Average WAU"
    type: average
    value_format_name: decimal_0
    sql: ${TABLE}.wau ;;
  }

  measure: average_mau {
    label: "Average MAU"
    type: average
    value_format_name: decimal_0
    sql: ${TABLE}.mau ;;
  }

  measure: average_stickiness {
    description: "Average of the days' DAU / MAU."
    type: average
    value_format_name: percent_1
    sql: ${TABLE}.stickiness ;;
  }
}
