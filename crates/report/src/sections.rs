//! The report's sections: for each, a chart, its caption and the numbers as a table, built
//! from [`ReportData`] alone.

use chrono::NaiveDate;

use crate::{
    Result,
    charts::{self, Axes, Kind, Secondary, Series},
    data::{ReportData, SalesRow},
    page::fmt,
};

/// One section of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// The HTML id (stable: tests and links use it).
    pub id: &'static str,
    /// The title.
    pub title: String,
    /// One line: what the chart shows and how it is defined.
    pub caption: String,
    /// The chart as inline SVG; none when there is nothing to draw.
    pub svg: Option<String>,
    /// What is shown instead of a chart when there is nothing to draw.
    pub note: Option<String>,
    /// The numbers under the chart.
    pub table: Table,
}

/// The numbers of a section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    /// Column headers.
    pub headers: Vec<String>,
    /// Whether each column holds numbers (right-aligned).
    pub numeric: Vec<bool>,
    /// The cells, as shown.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    fn new(headers: &[(&str, bool)]) -> Self {
        Self {
            headers: headers.iter().map(|(h, _)| (*h).to_owned()).collect(),
            numeric: headers.iter().map(|(_, n)| *n).collect(),
            rows: Vec::new(),
        }
    }
}

mod pipeline;

const NO_DATA: &str = "No data in this period.";

fn section(
    id: &'static str,
    title: String,
    caption: &str,
    svg: Option<String>,
    table: Table,
) -> Section {
    let note = match (&svg, table.rows.is_empty()) {
        (None, true) => Some(NO_DATA.to_owned()),
        _ => None,
    };
    Section {
        id,
        title,
        caption: caption.to_owned(),
        svg,
        note,
        table,
    }
}

fn day(d: &NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Every section, in the page's order.
pub fn build(data: &ReportData) -> Result<Vec<Section>> {
    Ok(vec![
        retention(data)?,
        funnel(data)?,
        sales(data, true)?,
        sales(data, false)?,
        engagement(data)?,
        top_products(data)?,
        pipeline::quality(data)?,
        pipeline::rejects(data)?,
        pipeline::step_times(data)?,
        pipeline::step_rows(data)?,
    ])
}

fn retention(data: &ReportData) -> Result<Section> {
    let weeks: Vec<NaiveDate> = data
        .cohorts
        .iter()
        .map(|c| c.cohort_week)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let offsets = data
        .cohorts
        .iter()
        .map(|c| usize::try_from(c.week_offset).unwrap_or(0) + 1)
        .max()
        .unwrap_or(0);
    let mut headers = vec![
        ("Cohort (week of)".to_owned(), false),
        ("Users".to_owned(), true),
    ];
    headers.extend((0..offsets).map(|k| (format!("Week {k}"), true)));
    let mut table = Table {
        headers: headers.iter().map(|(h, _)| h.clone()).collect(),
        numeric: headers.iter().map(|(_, n)| *n).collect(),
        rows: Vec::new(),
    };
    let mut cells = Vec::new();
    for (row, week) in weeks.iter().enumerate() {
        let mut line = vec![day(week), String::new()];
        line.resize(offsets + 2, String::new());
        for c in data.cohorts.iter().filter(|c| c.cohort_week == *week) {
            let col = usize::try_from(c.week_offset).unwrap_or(0);
            line[1] = fmt::int(c.cohort_size);
            line[col + 2] = charts::percent(&c.rate);
            cells.push((row, col, c.rate));
        }
        table.rows.push(line);
    }
    let later = data
        .cohorts
        .iter()
        .filter(|c| c.week_offset >= 1)
        .map(|c| c.rate);
    let scale = later.fold(0.0, f64::max);
    let scale = if scale > 0.0 { scale } else { 1.0 };
    let svg = match weeks.is_empty() {
        true => None,
        false => Some(charts::heatmap(
            &weeks.iter().map(day).collect::<Vec<_>>(),
            offsets,
            &cells,
            scale,
        )?),
    };
    Ok(section(
        "retention",
        "Retention by signup cohort".to_owned(),
        &format!(
            "Share of each weekly signup cohort (users whose signup_date falls in the ISO week) active in each later week; colour from 0 to {} (week 0 clipped), the table has every share.",
            charts::percent(&scale)
        ),
        svg,
        table,
    ))
}

fn rate(num: i64, den: i64) -> String {
    if den == 0 {
        "—".to_owned()
    } else {
        charts::percent(&(num as f64 / den as f64))
    }
}

fn funnel(data: &ReportData) -> Result<Section> {
    let mut table = Table::new(&[
        ("Device", false),
        ("Sessions", true),
        ("Views", true),
        ("Carts", true),
        ("Purchases", true),
        ("View → cart", true),
        ("Cart → purchase", true),
        ("View → purchase", true),
    ]);
    for f in &data.funnel {
        table.rows.push(vec![
            f.device.clone(),
            fmt::int(f.sessions),
            fmt::int(f.views),
            fmt::int(f.carts),
            fmt::int(f.purchases),
            rate(f.carts, f.views),
            rate(f.purchases, f.carts),
            rate(f.purchases, f.views),
        ]);
    }
    let svg = if data.funnel.is_empty() {
        None
    } else {
        let labels: Vec<String> = data.funnel.iter().map(|f| f.device.clone()).collect();
        let stage = |name: &str, k: usize, v: fn(&crate::FunnelRow) -> i64| {
            Series::of(name, k, &data.funnel, |f| v(f) as f64)
        };
        Some(charts::xy(
            &labels,
            &Axes {
                x: "Device of the session".to_owned(),
                y: "Sessions".to_owned(),
                y_fmt: fmt::axis_int,
            },
            Kind::Grouped,
            &[
                stage("viewed a page", 0, |f| f.views),
                stage("… and added to cart", 1, |f| f.carts),
                stage("… and purchased", 2, |f| f.purchases),
            ],
            None,
        )?)
    };
    Ok(section(
        "funnel",
        "Funnel: page view → cart → purchase".to_owned(),
        "Sessions of the period with a page view, with a page view and an add-to-cart, and with all three and a purchase; overall and by the device of the session's first event.",
        svg,
        table,
    ))
}

fn sales(data: &ReportData, weekly: bool) -> Result<Section> {
    let (rows, id, title, period, caption): (&[SalesRow], _, _, _, _) = if weekly {
        (
            &data.sales_weekly,
            "sales-weekly",
            "Weekly revenue and orders",
            "Week starting",
            "Revenue (Σ quantity × unit price of purchase events, bars) and orders (distinct order ids, line) per ISO week overlapping the period.",
        )
    } else {
        (
            &data.sales_monthly,
            "sales-monthly",
            "Monthly revenue and average order value",
            "Month",
            "Revenue (bars) and average order value (revenue / orders, line) per calendar month overlapping the period.",
        )
    };
    let label = |r: &SalesRow| {
        if weekly {
            day(&r.start)
        } else {
            r.start.format("%Y-%m").to_string()
        }
    };
    let mut table = Table::new(&[
        (period, false),
        ("Orders", true),
        ("Units", true),
        ("Revenue", true),
        ("Avg order value", true),
    ]);
    for r in rows {
        table.rows.push(vec![
            label(r),
            fmt::int(r.orders),
            fmt::int(r.units),
            fmt::money(r.revenue),
            fmt::money(r.aov),
        ]);
    }
    let svg = if rows.is_empty() {
        None
    } else {
        let secondary = if weekly {
            Secondary {
                series: Series::of("orders", 3, rows, |r| r.orders as f64),
                y: "Orders".to_owned(),
                y_fmt: fmt::axis_int,
                cap: None,
            }
        } else {
            Secondary {
                series: Series::of("average order value", 3, rows, |r| r.aov),
                y: "Average order value (currency units)".to_owned(),
                y_fmt: fmt::axis_money,
                cap: None,
            }
        };
        Some(charts::xy(
            &rows.iter().map(label).collect::<Vec<_>>(),
            &Axes {
                x: period.to_owned(),
                y: "Revenue (currency units)".to_owned(),
                y_fmt: fmt::axis_money,
            },
            Kind::Grouped,
            &[Series::of("revenue", 0, rows, |r| r.revenue)],
            Some(&secondary),
        )?)
    };
    Ok(section(id, title.to_owned(), caption, svg, table))
}

fn engagement(data: &ReportData) -> Result<Section> {
    let rows = &data.engagement;
    let mut table = Table::new(&[
        ("Day", false),
        ("DAU", true),
        ("WAU", true),
        ("MAU", true),
        ("Stickiness", true),
    ]);
    for r in rows {
        table.rows.push(vec![
            day(&r.date),
            fmt::int(r.dau),
            fmt::int(r.wau),
            fmt::int(r.mau),
            r.stickiness
                .map_or_else(|| "—".to_owned(), |s| charts::percent(&s)),
        ]);
    }
    let svg = if rows.is_empty() {
        None
    } else {
        let line = |name: &str, k: usize, v: fn(&crate::EngagementRow) -> i64| {
            Series::of(name, k, rows, |r| v(r) as f64)
        };
        Some(charts::xy(
            &rows.iter().map(|r| day(&r.date)).collect::<Vec<_>>(),
            &Axes {
                x: "Day (UTC)".to_owned(),
                y: "Active users".to_owned(),
                y_fmt: fmt::axis_int,
            },
            Kind::Lines,
            &[
                line("DAU", 0, |r| r.dau),
                line("WAU", 1, |r| r.wau),
                line("MAU", 2, |r| r.mau),
            ],
            Some(&Secondary {
                series: Series::of("stickiness (DAU / MAU)", 5, rows, |r| {
                    r.stickiness.unwrap_or(0.0)
                }),
                y: "Stickiness (%)".to_owned(),
                y_fmt: charts::percent,
                cap: Some(1.0),
            }),
        )?)
    };
    Ok(section(
        "engagement",
        "Active users: DAU, WAU, MAU and stickiness".to_owned(),
        "Users with a fact event on the day (DAU), in the 7 days (WAU) and the 30 days (MAU) ending that day; stickiness = DAU / MAU (right axis).",
        svg,
        table,
    ))
}

fn top_products(data: &ReportData) -> Result<Section> {
    let rows = &data.top_products;
    let mut table = Table::new(&[
        ("Rank", true),
        ("Product", false),
        ("Category", false),
        ("Views", true),
        ("Add-to-carts", true),
        ("Purchases", true),
        ("Units", true),
        ("Revenue", true),
    ]);
    let name = |p: &crate::ProductRow| {
        p.name
            .clone()
            .unwrap_or_else(|| format!("product {}", p.product_id))
    };
    for p in rows {
        table.rows.push(vec![
            p.rank.to_string(),
            name(p),
            p.category.clone().unwrap_or_default(),
            fmt::int(p.views),
            fmt::int(p.carts),
            fmt::int(p.purchases),
            fmt::int(p.units),
            fmt::money(p.revenue),
        ]);
    }
    let svg = if rows.is_empty() {
        None
    } else {
        Some(charts::hbars(
            &rows
                .iter()
                .map(|p| format!("{}. {}", p.rank, name(p)))
                .collect::<Vec<_>>(),
            "Revenue (currency units)",
            fmt::axis_money,
            &rows.iter().map(|p| p.revenue).collect::<Vec<_>>(),
        )?)
    };
    let week = data.top_week.or(data.period.map(|p| p.to));
    Ok(section(
        "top-products",
        match week {
            Some(w) => format!("Top products of the week of {}", day(&w)),
            None => "Top products of the latest week".to_owned(),
        },
        "The ten products with the most revenue in the ISO week holding the period's last day (ties: more units first), with their views, add-to-carts and purchases.",
        svg,
        table,
    ))
}
