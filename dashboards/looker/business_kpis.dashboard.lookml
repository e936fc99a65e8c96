# The business KPIs of Grafana's "Retention — business KPIs" dashboard, as a LookML dashboard
# over the explores of retention.model.lkml. Dates are UTC; weeks are ISO weeks (Monday).
- dashboard: business_kpis
  title: "Retention — business KPIs"
  description: "Sales, engagement, retention cohorts, the session funnel and product popularity (definitions: docs/kpis.md)."
  layout: newspaper
  preferred_viewer: dashboards-next
  crossfilter_enabled: false

  filters:
  - name: date_range
    title: Date range
    type: date_filter
    default_value: 90 days
    allow_multiple_values: true
    required: false
  - name: device
    title: Device
    type: field_filter
    model: retention
    explore: funnel_daily
    field: funnel_daily.device
    default_value: ""
    allow_multiple_values: true
    required: false
  - name: category
    title: Category
    type: field_filter
    model: retention
    explore: category_revenue_weekly
    field: category_revenue_weekly.category
    default_value: ""
    allow_multiple_values: true
    required: false

  elements:
  - name: weekly_revenue
    title: Weekly revenue and average order value
    model: retention
    explore: sales_weekly
    type: looker_column
    fields: [sales_weekly.week_start_week, sales_weekly.total_revenue, sales_weekly.average_order_value]
    sorts: [sales_weekly.week_start_week]
    listen:
      date_range: sales_weekly.week_start_date
    row: 0
    col: 0
    width: 12
    height: 8

  - name: weekly_orders_units
    title: Weekly orders and units
    model: retention
    explore: sales_weekly
    type: looker_column
    fields: [sales_weekly.week_start_week, sales_weekly.total_orders, sales_weekly.total_units]
    sorts: [sales_weekly.week_start_week]
    listen:
      date_range: sales_weekly.week_start_date
    row: 0
    col: 12
    width: 12
    height: 8

  - name: monthly_revenue
    title: Monthly revenue and average order value
    model: retention
    explore: sales_monthly
    type: looker_column
    fields: [sales_monthly.month_start_month, sales_monthly.total_revenue, sales_monthly.average_order_value]
    sorts: [sales_monthly.month_start_month]
    listen:
      date_range: sales_monthly.month_start_date
    row: 8
    col: 0
    width: 12
    height: 8

  - name: monthly_sales
    title: Monthly sales
    model: retention
    explore: sales_monthly
    type: looker_grid
    fields: [sales_monthly.month_start_month, sales_monthly.total_revenue, sales_monthly.total_orders,
      sales_monthly.total_units, sales_monthly.average_order_value, sales_monthly.buyers]
    sorts: [sales_monthly.month_start_month]
    listen:
      date_range: sales_monthly.month_start_date
    row: 8
    col: 12
    width: 12
    height: 8

  - name: dau_wau_mau
    title: DAU / WAU / MAU
    model: retention
    explore: engagement_daily
    type: looker_line
    fields: [engagement_daily.event_date, engagement_daily.average_dau, engagement_daily.average_wau,
      engagement_daily.average_mau]
    sorts: [engagement_daily.event_date]
    listen:
      date_range: engagement_daily.event_date
    row: 16
    col: 0
    width: 12
    height: 8

  - name: stickiness
    title: Stickiness (DAU / MAU)
    model: retention
    explore: engagement_daily
    type: looker_line
    fields: [engagement_daily.event_date, engagement_daily.average_stickiness]
    sorts: [engagement_daily.event_date]
    listen:
      date_range: engagement_daily.event_date
    row: 16
    col: 12
    width: 12
    height: 8

  - name: new_users_per_week
    title: New users per week
    model: retention
    explore: retention_cohorts
    type: looker_column
    fields: [retention_cohorts.cohort_week, retention_cohorts.new_users]
    filters:
      retention_cohorts.week_offset: "0"
    sorts: [retention_cohorts.cohort_week]
    listen:
      date_range: retention_cohorts.cohort_date
    row: 24
    col: 16
    width: 8
    height: 10

  - name: retention_heatmap
    title: Retention by signup cohort (share of the cohort active in week k)
    model: retention
    explore: retention_cohorts
    type: looker_grid
    fields: [retention_cohorts.cohort_week, retention_cohorts.week_offset, retention_cohorts.weighted_retention_rate]
    pivots: [retention_cohorts.week_offset]
    sorts: [retention_cohorts.cohort_week, retention_cohorts.week_offset]
    listen:
      date_range: retention_cohorts.cohort_date
    conditional_formatting:
    - type: along a scale...
      value:
      background_color:
      font_color:
      color_application:
        collection_id: legacy
        palette_id: legacy_diverging1
      bold: false
      italic: false
      strikethrough: false
      fields: [retention_cohorts.weighted_retention_rate]
    row: 24
    col: 0
    width: 16
    height: 10

  - name: funnel_by_device
    title: "Funnel by device: view → cart → purchase"
    model: retention
    explore: funnel_daily
    type: looker_bar
    fields: [funnel_daily.device, funnel_daily.views, funnel_daily.carts, funnel_daily.purchases]
    filters:
      funnel_daily.by_device: "Yes"
    sorts: [funnel_daily.device]
    listen:
      date_range: funnel_daily.event_date
      device: funnel_daily.device
    row: 34
    col: 0
    width: 12
    height: 9

  - name: funnel_conversion
    title: Funnel conversion by device
    model: retention
    explore: funnel_daily
    type: looker_grid
    fields: [funnel_daily.device, funnel_daily.views, funnel_daily.carts, funnel_daily.purchases,
      funnel_daily.view_to_cart_rate, funnel_daily.cart_to_purchase_rate, funnel_daily.view_to_purchase_rate]
    filters:
      funnel_daily.by_device: "Yes"
    sorts: [funnel_daily.device]
    listen:
      date_range: funnel_daily.event_date
      device: funnel_daily.device
    row: 34
    col: 12
    width: 12
    height: 9

  - name: view_to_purchase_by_device
    title: View → purchase rate per day by device
    model: retention
    explore: funnel_daily
    type: looker_line
    fields: [funnel_daily.event_date, funnel_daily.device, funnel_daily.view_to_purchase_rate]
    pivots: [funnel_daily.device]
    filters:
      funnel_daily.by_device: "Yes"
    sorts: [funnel_daily.event_date, funnel_daily.device]
    listen:
      date_range: funnel_daily.event_date
      device: funnel_daily.device
    row: 43
    col: 0
    width: 24
    height: 8

  - name: top_products
    title: Top products by week
    model: retention
    explore: top_products_weekly
    type: looker_grid
    fields: [top_products_weekly.week_start_week, top_products_weekly.rank_in_selection,
      top_products_weekly.product_name, top_products_weekly.product_category, top_products_weekly.brand,
      top_products_weekly.revenue, top_products_weekly.units, top_products_weekly.purchases,
      top_products_weekly.add_to_carts, top_products_weekly.product_views]
    sorts: [top_products_weekly.week_start_week desc, top_products_weekly.rank_in_selection]
    listen:
      date_range: top_products_weekly.week_range
      category: top_products_weekly.category
    row: 51
    col: 0
    width: 16
    height: 10

  - name: revenue_by_category
    title: Revenue per week by category
    model: retention
    explore: category_revenue_weekly
    type: looker_column
    fields: [category_revenue_weekly.week_start_week, category_revenue_weekly.category, category_revenue_weekly.revenue]
    pivots: [category_revenue_weekly.category]
    stacking: normal
    sorts: [category_revenue_weekly.week_start_week, category_revenue_weekly.category]
    listen:
      date_range: category_revenue_weekly.week_start_date
      category: category_revenue_weekly.category
    row: 51
    col: 16
    width: 8
    height: 10
