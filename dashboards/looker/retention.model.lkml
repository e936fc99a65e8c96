# The retention warehouse's marts for Looker: one explore per mart. The connection is a
# PostgreSQL connection named "retention_warehouse" (Admin > Connections) that logs in as a
# member of the read-only role retention_bi (SELECT on the marts and ops schemas only).
connection: "retention_warehouse"

include: "/views/*.view.lkml"
include: "/*.dashboard.lookml"

# The marts change when the transform step finishes a day: cache until the newest transformed
# day changes (ops.task_runs is readable by retention_bi).
datagroup: retention_transform {
  sql_trigger: SELECT max(batch_date) FROM ops.task_runs WHERE step = 'transform' AND status = 'ok' ;;
  max_cache_age: "24 hours"
}

persist_with: retention_transform

explore: sales_weekly {
  label: "Sales (weekly)"
}

explore: sales_monthly {
  label: "Sales (monthly)"
}

explore: retention_cohorts {
  label: "Retention cohorts"
}

explore: funnel_daily {
  label: "Session funnel"
  always_filter: {
    filters: [funnel_daily.by_device: "Yes"]
  }
}

explore: product_popularity_weekly {
  label: "Product popularity (weekly)"
}

# Each week's n best products within a selection of categories (a derived table over the
# function marts.top_products_weekly, built from the view's filters; see its view file).
explore: top_products_weekly {
  label: "Top products (weekly)"
  always_filter: {
    filters: [top_products_weekly.week_range: "90 days"]
  }
}

explore: category_revenue_weekly {
  label: "Revenue by product category (weekly)"
}

explore: engagement_daily {
  label: "Engagement (DAU/WAU/MAU)"

  # The day's overall funnel beside its engagement (one overall funnel row per day).
  join: funnel_daily {
    type: left_outer
    relationship: one_to_one
    sql_on: ${funnel_daily.event_date} = ${engagement_daily.event_date} AND NOT ${funnel_daily.by_device} ;;
  }
}
