//! What the report shows, read from the marts, `ops` and `quarantine`: plain rows, one
//! query per section (the SQL is in `sql/`), so rendering is a pure function of this data.

use chrono::NaiveDate;
use tokio_postgres::{Client, Row, types::ToSql};

use crate::{Error, Result};

/// The days a report covers (both inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
}

/// Events, users and revenue of the period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Headline {
    /// Fact events dated in the period.
    pub events: i64,
    /// Distinct users with a fact event in the period.
    pub users: i64,
    /// Revenue of the period's purchase events.
    pub revenue: f64,
}

/// One cell of the retention matrix (`marts.retention_cohorts`).
#[derive(Debug, Clone, PartialEq)]
pub struct CohortCell {
    /// Monday of the signup week.
    pub cohort_week: NaiveDate,
    /// Weeks since the signup week.
    pub week_offset: i32,
    /// Users who signed up that week.
    pub cohort_size: i64,
    /// Of them, users active in week `cohort_week + week_offset`.
    pub retained: i64,
    /// `retained / cohort_size`.
    pub rate: f64,
}

/// The funnel of one device (or `all`) summed over the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunnelRow {
    /// `all`, or the session's device.
    pub device: String,
    /// Sessions.
    pub sessions: i64,
    /// Sessions with a page view.
    pub views: i64,
    /// ... and an add-to-cart.
    pub carts: i64,
    /// ... and a purchase.
    pub purchases: i64,
}

/// Sales of one week or month.
#[derive(Debug, Clone, PartialEq)]
pub struct SalesRow {
    /// First day of the week (Monday) or month.
    pub start: NaiveDate,
    /// Distinct orders.
    pub orders: i64,
    /// Units sold.
    pub units: i64,
    /// Revenue.
    pub revenue: f64,
    /// Average order value (revenue / orders).
    pub aov: f64,
}

/// Active users on one day.
#[derive(Debug, Clone, PartialEq)]
pub struct EngagementRow {
    /// The day.
    pub date: NaiveDate,
    /// Daily active users.
    pub dau: i64,
    /// Users active in the 7 days to this one.
    pub wau: i64,
    /// Users active in the 30 days to this one.
    pub mau: i64,
    /// DAU / MAU (none when MAU is 0).
    pub stickiness: Option<f64>,
}

/// One product of the latest week's ranking.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductRow {
    /// Rank by revenue, then units.
    pub rank: i64,
    /// The product's id.
    pub product_id: i64,
    /// Its name (latest version), when known.
    pub name: Option<String>,
    /// Its category, when known.
    pub category: Option<String>,
    /// Product-view events.
    pub views: i64,
    /// Add-to-cart events.
    pub carts: i64,
    /// Purchase events.
    pub purchases: i64,
    /// Units sold.
    pub units: i64,
    /// Revenue.
    pub revenue: f64,
}

/// Failed expectations of one day's latest validation, by severity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualityRow {
    /// The batch day.
    pub date: NaiveDate,
    /// Failed critical expectations.
    pub critical: i64,
    /// Failed warnings.
    pub warning: i64,
    /// Failed informational expectations.
    pub info: i64,
    /// Expectations evaluated.
    pub evaluated: i64,
}

/// Quarantined rows of one reason and stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectRow {
    /// The reason code.
    pub reason: String,
    /// `load` or `transform`.
    pub stage: String,
    /// Rows.
    pub rows: i64,
}

/// One day's latest successful run of one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRow {
    /// The batch day.
    pub date: NaiveDate,
    /// The step.
    pub step: String,
    /// How long it took.
    pub duration_ms: i64,
    /// Rows in.
    pub rows_in: i64,
    /// Rows out.
    pub rows_out: i64,
    /// Rows rejected.
    pub rows_rejected: i64,
}

/// Everything a report shows, for one period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportData {
    /// The period; `None` when the warehouse holds no data at all.
    pub period: Option<Period>,
    /// Headline numbers.
    pub headline: Headline,
    /// The retention matrix of the cohorts that signed up in the period.
    pub cohorts: Vec<CohortCell>,
    /// The funnel, overall first.
    pub funnel: Vec<FunnelRow>,
    /// Weekly sales.
    pub sales_weekly: Vec<SalesRow>,
    /// Monthly sales.
    pub sales_monthly: Vec<SalesRow>,
    /// Daily engagement.
    pub engagement: Vec<EngagementRow>,
    /// Monday of the week the top products are of.
    pub top_week: Option<NaiveDate>,
    /// The top products of that week.
    pub top_products: Vec<ProductRow>,
    /// Data quality per day.
    pub quality: Vec<QualityRow>,
    /// Rejected rows by reason.
    pub rejects: Vec<RejectRow>,
    /// Step runs per day.
    pub steps: Vec<StepRow>,
}

impl ReportData {
    /// Reads everything for `from..=to`; a bound left out defaults to the warehouse's first or
    /// last day.
    pub async fn load(
        client: &Client,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Self> {
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            return Err(Error::Period { from, to });
        }
        let bounds = rows(
            client,
            "period",
            include_str!("../sql/period.sql"),
            &[],
            |r| Ok((r.try_get(0)?, r.try_get(1)?)),
        )
        .await?;
        let (first, last): (Option<NaiveDate>, Option<NaiveDate>) =
            bounds.first().copied().unwrap_or((None, None));
        let period = match (from.or(first), to.or(last)) {
            (Some(from), Some(to)) if from <= to => Period { from, to },
            (Some(_), Some(_)) | (None, _) | (_, None) => return Ok(Self::default()),
        };
        let p: [&(dyn ToSql + Sync); 2] = [&period.from, &period.to];
        let headline = rows(
            client,
            "headline",
            include_str!("../sql/headline.sql"),
            &p,
            |r| {
                Ok(Headline {
                    events: r.try_get(0)?,
                    users: r.try_get(1)?,
                    revenue: r.try_get(2)?,
                })
            },
        )
        .await?
        .pop()
        .unwrap_or_default();
        let cohorts = rows(
            client,
            "cohorts",
            include_str!("../sql/cohorts.sql"),
            &p,
            |r| {
                Ok(CohortCell {
                    cohort_week: r.try_get(0)?,
                    week_offset: r.try_get(1)?,
                    cohort_size: r.try_get(2)?,
                    retained: r.try_get(3)?,
                    rate: r.try_get(4)?,
                })
            },
        )
        .await?;
        let funnel = rows(
            client,
            "funnel",
            include_str!("../sql/funnel.sql"),
            &p,
            |r| {
                Ok(FunnelRow {
                    device: r.try_get(0)?,
                    sessions: r.try_get(1)?,
                    views: r.try_get(2)?,
                    carts: r.try_get(3)?,
                    purchases: r.try_get(4)?,
                })
            },
        )
        .await?;
        let sales = |r: &Row| {
            Ok(SalesRow {
                start: r.try_get(0)?,
                orders: r.try_get(1)?,
                units: r.try_get(2)?,
                revenue: r.try_get(3)?,
                aov: r.try_get(4)?,
            })
        };
        let sales_weekly = rows(
            client,
            "weekly sales",
            include_str!("../sql/sales_weekly.sql"),
            &p,
            sales,
        )
        .await?;
        let sales_monthly = rows(
            client,
            "monthly sales",
            include_str!("../sql/sales_monthly.sql"),
            &p,
            sales,
        )
        .await?;
        let engagement = rows(
            client,
            "engagement",
            include_str!("../sql/engagement.sql"),
            &p,
            |r| {
                Ok(EngagementRow {
                    date: r.try_get(0)?,
                    dau: r.try_get(1)?,
                    wau: r.try_get(2)?,
                    mau: r.try_get(3)?,
                    stickiness: r.try_get(4)?,
                })
            },
        )
        .await?;
        let last: [&(dyn ToSql + Sync); 1] = [&period.to];
        let top = rows(
            client,
            "top products",
            include_str!("../sql/top_products.sql"),
            &last,
            |r| {
                let row = ProductRow {
                    rank: r.try_get(1)?,
                    product_id: r.try_get(2)?,
                    name: r.try_get(3)?,
                    category: r.try_get(4)?,
                    views: r.try_get(5)?,
                    carts: r.try_get(6)?,
                    purchases: r.try_get(7)?,
                    units: r.try_get(8)?,
                    revenue: r.try_get(9)?,
                };
                Ok((r.try_get::<_, NaiveDate>(0)?, row))
            },
        )
        .await?;
        let top_week = top.first().map(|(week, _)| *week);
        let top_products = top.into_iter().map(|(_, row)| row).collect();
        let quality = rows(
            client,
            "quality",
            include_str!("../sql/quality.sql"),
            &p,
            |r| {
                Ok(QualityRow {
                    date: r.try_get(0)?,
                    critical: r.try_get(1)?,
                    warning: r.try_get(2)?,
                    info: r.try_get(3)?,
                    evaluated: r.try_get(4)?,
                })
            },
        )
        .await?;
        let rejects = rows(
            client,
            "rejects",
            include_str!("../sql/rejects.sql"),
            &p,
            |r| {
                Ok(RejectRow {
                    reason: r.try_get(0)?,
                    stage: r.try_get(1)?,
                    rows: r.try_get(2)?,
                })
            },
        )
        .await?;
        let steps = rows(
            client,
            "step runs",
            include_str!("../sql/steps.sql"),
            &p,
            |r| {
                Ok(StepRow {
                    date: r.try_get(0)?,
                    step: r.try_get(1)?,
                    duration_ms: r.try_get(2)?,
                    rows_in: r.try_get(3)?,
                    rows_out: r.try_get(4)?,
                    rows_rejected: r.try_get(5)?,
                })
            },
        )
        .await?;
        Ok(Self {
            period: Some(period),
            headline,
            cohorts,
            funnel,
            sales_weekly,
            sales_monthly,
            engagement,
            top_week,
            top_products,
            quality,
            rejects,
            steps,
        })
    }

    /// Whether the period holds no facts and no run history: nothing to chart.
    pub fn is_empty(&self) -> bool {
        self.headline.events == 0
            && self.quality.is_empty()
            && self.rejects.is_empty()
            && self.steps.is_empty()
    }
}

async fn rows<T>(
    client: &Client,
    name: &'static str,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
    map: impl Fn(&Row) -> std::result::Result<T, tokio_postgres::Error>,
) -> Result<Vec<T>> {
    let fail = |source| Error::Query {
        query: name,
        source,
    };
    client
        .query(sql, params)
        .await
        .map_err(fail)?
        .iter()
        .map(|r| map(r).map_err(fail))
        .collect()
}
