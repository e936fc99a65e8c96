# marts.retention_cohorts: one row per signup cohort (ISO week of signup_date) and week offset
# k >= 0 with facts. retained = distinct cohort users active in week cohort + k; cohort_size =
# every user who signed up in the cohort week (deleted users included).
view: retention_cohorts {
  sql_table_name: marts.retention_cohorts ;;

  dimension: cohort_offset_key {
    primary_key: yes
    hidden: yes
    type: string
    sql: ${TABLE}.cohort_week::text || '/' || ${TABLE}.week_offset::text ;;
  }

  dimension_group: cohort {
    label: "Cohort"
    description: "Monday of the signup week."
    type: time
    timeframes: [raw, date, week, month, year]
    datatype: date
    convert_tz: no
    sql: ${TABLE}.cohort_week ;;
  }

  dimension_group: activity {
    description: "Monday of the week the activity is counted in (cohort week + 7 x week offset)."
    type: time
    timeframes: [raw, date, week, month, year]
    datatype: date
    convert_tz: no
    sql: ${TABLE}.activity_week ;;
  }

  dimension: week_offset {
    description: "Weeks since the signup week (0 = the signup week)."
    type: number
    sql: ${TABLE}.week_offset ;;
  }

  dimension: cohort_size {
    type: number
    sql: ${TABLE}.cohort_size ;;
  }

  dimension: retention_rate {
    description: "retained / cohort_size of this cohort and offset."
    type: number
    value_format_name: percent_1
    sql: ${TABLE}.retention_rate ;;
  }

  measure: retained_users {
    type: sum
    sql: ${TABLE}.retained ;;
  }

  measure: cohort_users {
    description: "Sum of cohort sizes (per week offset: the users of the cohorts shown)."
    type: sum
    sql: ${TABLE}.cohort_size ;;
  }

  measure: weighted_retention_rate {
    description: "Retained users / cohort users: per cohort and offset, the mart's retention_rate; over several cohorts, their weighted average."
    type: number
    value_format_name: percent_1
    sql: ${retained_users} / NULLIF(${cohort_users}, 0) ;;
  }

  measure: new_users {
    description: "Users who signed up in the week: the cohort size on the week-offset-0 row."
    type: sum
    sql: CASE WHEN ${TABLE}.week_offset = 0 THEN ${TABLE}.cohort_size END ;;
  }
}
