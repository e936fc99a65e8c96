//! `retention report` after a fixed run: every number in the report's tables equals the
//! marts queried directly, and the report's structure (sections, headers, row counts) is
//! pinned by a snapshot. The report is also kept under `CARGO_TARGET_TMPDIR/report/` for
//! `scripts/check-report.py` (headless Chromium).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns panic by design

use std::collections::BTreeMap;

use retention_testing::TestDb;
use scraper::{Html, Selector};
use tokio_postgres::Client;

mod common;

use common::{last_json_line, retention, stderr};

/// A section's table as shown: headers and rows of cell texts.
struct Shown {
    title: String,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    has_chart: bool,
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

fn sections(html: &Html) -> BTreeMap<String, Shown> {
    let mut out = BTreeMap::new();
    for s in html.select(&sel("section")) {
        let text = |e: scraper::ElementRef<'_>| e.text().collect::<String>().trim().to_owned();
        let id = s.value().id().unwrap().to_owned();
        let title = s.select(&sel("h2")).next().map(text).unwrap();
        let headers = s.select(&sel("thead th")).map(text).collect();
        let rows = s
            .select(&sel("tbody tr"))
            .map(|r| r.select(&sel("td")).map(text).collect())
            .collect();
        let has_chart = s.select(&sel("figure.chart svg")).next().is_some();
        out.insert(
            id,
            Shown {
                title,
                headers,
                rows,
                has_chart,
            },
        );
    }
    out
}

/// A shown number: separators and a trailing `%` removed.
fn num(cell: &str) -> f64 {
    cell.replace(',', "")
        .trim_end_matches('%')
        .parse()
        .unwrap_or_else(|e| panic!("{cell:?} is not a number: {e}"))
}

fn close(shown: &str, expected: f64, tolerance: f64) {
    let v = num(shown);
    assert!(
        (v - expected).abs() <= tolerance,
        "shown {shown:?}, the mart says {expected}"
    );
}

async fn q(client: &Client, sql: &str) -> Vec<tokio_postgres::Row> {
    client.query(sql, &[]).await.unwrap()
}

#[tokio::test]
async fn report_numbers_equal_the_marts_and_its_structure_is_pinned() {
    let db = TestDb::empty().await;
    let url = db.url();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("landing");
    let out = retention(&[
        "run",
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-24",
        "--seed",
        "42",
        "--database-url",
        &url,
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let file = dir.path().join("report.html");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_retention"))
        .args(["report", "--database-url", &url, "--out"])
        .arg(&file)
        .env("SOURCE_DATE_EPOCH", "1798761600")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json = last_json_line(&out);
    assert_eq!(json["step"], "report", "{json}");
    assert_eq!(json["status"], "ok", "{json}");
    let text = std::fs::read_to_string(&file).unwrap();
    let kept = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("report");
    std::fs::create_dir_all(&kept).unwrap();
    std::fs::write(kept.join("retention-report.html"), &text).unwrap();

    // Self-contained: nothing is fetched, no script runs.
    for needle in ["<script", "src=", "href=\"http", "@import", "url("] {
        assert!(!text.contains(needle), "the report contains {needle:?}");
    }
    let html = Html::parse_document(&text);
    let header = |id: &str| {
        html.select(&sel(&format!("#{id}")))
            .next()
            .map(|e| e.text().collect::<String>())
            .unwrap()
    };
    assert_eq!(header("period"), "2026-01-01 to 2026-01-24");
    assert_eq!(header("made-at"), "2027-01-01 00:00 UTC");
    assert!(header("warehouse").contains(db.name()));

    let client = db.client().await;
    let shown = sections(&html);

    // Headline.
    let facts = &q(
        &client,
        "SELECT count(*), count(DISTINCT user_id), sum(quantity * unit_price) FILTER (WHERE event_type = 'purchase')::float8 FROM dw.fact_user_events",
    )
    .await[0];
    let figure = |id: &str| {
        html.select(&sel(&format!("#{id} .value")))
            .next()
            .map(|e| e.text().collect::<String>())
            .unwrap()
    };
    close(&figure("events"), facts.get::<_, i64>(0) as f64, 0.0);
    close(&figure("users"), facts.get::<_, i64>(1) as f64, 0.0);
    close(&figure("revenue"), facts.get(2), 0.005);

    // Weekly and monthly sales.
    for (id, sql) in [
        (
            "sales-weekly",
            "SELECT week_start::text, orders, units, revenue::float8, avg_order_value::float8 FROM marts.sales_weekly ORDER BY 1",
        ),
        (
            "sales-monthly",
            "SELECT to_char(month_start, 'YYYY-MM'), orders, units, revenue::float8, avg_order_value::float8 FROM marts.sales_monthly ORDER BY 1",
        ),
    ] {
        let rows = q(&client, sql).await;
        let table = &shown[id].rows;
        assert_eq!(table.len(), rows.len(), "{id}");
        for (t, r) in table.iter().zip(&rows) {
            assert_eq!(t[0], r.get::<_, String>(0), "{id}");
            close(&t[1], r.get::<_, i64>(1) as f64, 0.0);
            close(&t[2], r.get::<_, i64>(2) as f64, 0.0);
            close(&t[3], r.get(3), 0.005);
            close(&t[4], r.get(4), 0.005);
        }
    }

    // Retention: every cell of the matrix.
    let cells = q(
        &client,
        "SELECT cohort_week::text, week_offset, cohort_size, retention_rate FROM marts.retention_cohorts WHERE cohort_week >= '2025-12-29' AND activity_week <= '2026-01-24' ORDER BY 1, 2",
    )
    .await;
    let matrix = &shown["retention"];
    assert!(!cells.is_empty());
    for c in &cells {
        let week: String = c.get(0);
        let row = matrix.rows.iter().find(|r| r[0] == week).unwrap();
        close(&row[1], c.get::<_, i64>(2) as f64, 0.0);
        let offset = usize::try_from(c.get::<_, i32>(1)).unwrap();
        close(&row[offset + 2], c.get::<_, f64>(3) * 100.0, 0.05);
    }
    let filled: usize = matrix
        .rows
        .iter()
        .map(|r| r.iter().skip(2).filter(|c| !c.is_empty()).count())
        .sum();
    assert_eq!(filled, cells.len(), "one shown share per mart cell");

    // Funnel over the period, overall first.
    let funnel = q(
        &client,
        "SELECT device, sum(sessions)::bigint, sum(views)::bigint, sum(carts)::bigint, sum(purchases)::bigint FROM marts.funnel_daily GROUP BY device ORDER BY device <> 'all', device",
    )
    .await;
    let table = &shown["funnel"].rows;
    assert_eq!(table.len(), funnel.len());
    assert_eq!(table[0][0], "all");
    for (t, r) in table.iter().zip(&funnel) {
        assert_eq!(t[0], r.get::<_, String>(0));
        for (k, cell) in t.iter().enumerate().take(5).skip(1) {
            close(cell, r.get::<_, i64>(k) as f64, 0.0);
        }
        let (views, carts) = (r.get::<_, i64>(2) as f64, r.get::<_, i64>(3) as f64);
        close(&t[5], carts / views * 100.0, 0.05);
    }

    // Engagement, day by day.
    let days = q(
        &client,
        "SELECT event_date::text, dau, wau, mau, stickiness FROM marts.engagement_daily WHERE event_date BETWEEN '2026-01-01' AND '2026-01-24' ORDER BY 1",
    )
    .await;
    let table = &shown["engagement"].rows;
    assert_eq!(table.len(), days.len());
    for (t, r) in table.iter().zip(&days) {
        assert_eq!(t[0], r.get::<_, String>(0));
        for (k, cell) in t.iter().enumerate().take(4).skip(1) {
            close(cell, r.get::<_, i64>(k) as f64, 0.0);
        }
        close(&t[4], r.get::<_, f64>(4) * 100.0, 0.05);
    }

    // Top products of the last week.
    let top = q(
        &client,
        "SELECT rank, units, revenue::float8 FROM marts.product_popularity_weekly WHERE week_start = '2026-01-19' AND rank <= 10 ORDER BY rank, product_id",
    )
    .await;
    let table = &shown["top-products"].rows;
    assert_eq!(table.len(), top.len());
    for (t, r) in table.iter().zip(&top) {
        close(&t[0], r.get::<_, i64>(0) as f64, 0.0);
        close(&t[6], r.get::<_, i64>(1) as f64, 0.0);
        close(&t[7], r.get(2), 0.005);
    }

    // Rejects by reason.
    let rejects = q(
        &client,
        "SELECT reason, stage, count(*) FROM quarantine.rejected_rows GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2",
    )
    .await;
    let table = &shown["rejects"].rows;
    assert_eq!(table.len(), rejects.len());
    for (t, r) in table.iter().zip(&rejects) {
        assert_eq!(t[0], r.get::<_, String>(0));
        assert_eq!(t[1], r.get::<_, String>(1));
        close(&t[2], r.get::<_, i64>(2) as f64, 0.0);
    }

    // Pipeline: one row per batch day.
    assert_eq!(shown["step-times"].rows.len(), 24);
    assert_eq!(shown["step-rows"].rows.len(), 24);
    assert_eq!(shown["quality"].rows.len(), 24);

    let structure: String = shown
        .iter()
        .map(|(id, s)| {
            format!(
                "{id}: {} | chart: {} | rows: {} | {}\n",
                s.title,
                s.has_chart,
                s.rows.len(),
                s.headers.join(", ")
            )
        })
        .collect();
    insta::assert_snapshot!("report_structure", structure);
}

#[tokio::test]
async fn report_of_an_empty_warehouse_says_so_without_charts() {
    let db = TestDb::migrated().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("empty.html");
    let out = retention(&[
        "report",
        "--database-url",
        &db.url(),
        "--out",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("id=\"no-data\""), "{text}");
    assert!(!text.contains("<svg"));
    assert!(!text.contains("<section"));
}

#[tokio::test]
async fn report_with_from_after_to_is_a_usage_error() {
    let db = TestDb::migrated().await;
    let out = retention(&[
        "report",
        "--database-url",
        &db.url(),
        "--from",
        "2026-02-01",
        "--to",
        "2026-01-01",
        "--out",
        "/nonexistent/never.html",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(last_json_line(&out)["status"], "error");
}
