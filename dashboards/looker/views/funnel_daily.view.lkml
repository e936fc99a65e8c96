# marts.funnel_daily: the session funnel per day, overall (by_device = no, device 'all') and per
# device. A session is dated and attributed by its earliest event; views = sessions with a
# page_view, carts = also an add_to_cart, purchases = also a purchase. Filter on by_device:
# summing both kinds of rows counts every session twice.
view: funnel_daily {
  sql_table_name: marts.funnel_daily ;;

  dimension: day_device_key {
    primary_key: yes
    hidden: yes
    type: string
    sql: ${TABLE}.event_date::text || '/' || ${TABLE}.device ;;
  }

  dimension_group: event {
    label: "Session"
    description: "Day of the session's earliest event (UTC)."
    type: time
    timeframes: [raw, date, week, month, quarter, year]
    datatype: date
    convert_tz: no
    sql: ${TABLE}.event_date ;;
  }

  dimension: by_device {
    description: "Yes: a per-device row; No: the overall row (device 'all')."
    type: yesno
    sql: ${TABLE}.by_device ;;
  }

  dimension: device {
    description: "The session's device; 'all' on overall rows, 'unknown' when the earliest event had none."
    type: string
    sql: ${TABLE}.device ;;
  }

  measure: sessions {
    type: sum
    sql: ${TABLE}.sessions ;;
  }

  measure: views {
    type: sum
    sql: ${TABLE}.views ;;
  }

  measure: carts {
    type: sum
    sql: ${TABLE}.carts ;;
  }

  measure: purchases {
    type: sum
    sql: ${TABLE}.purchases ;;
  }

  measure: view_to_cart_rate {
    type: number
    value_format_name: percent_1
    sql: ${carts}::double precision / NULLIF(${views}, 0) ;;
  }

  measure: cart_to_purchase_rate {
    type: number
    value_format_name: percent_1
    sql: ${purchases}::double precision / NULLIF(${carts}, 0) ;;
  }

  measure: view_to_purchase_rate {
    type: number
    value_format_name: percent_1
    sql: ${purchases}::double precision / NULLIF(${views}, 0) ;;
  }
}
