//! Rendering without a database: text from the warehouse is escaped in the tables and inside
//! the SVG, the page is self-contained, the generation time is the one given, and an empty
//! warehouse gets a page that says so.

use chrono::{DateTime, NaiveDate};
use retention_report::{
    FunnelRow, Headline, Period, ProductRow, RejectRow, ReportData, ReportOptions, render,
};

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap_or_default()
}

fn options() -> ReportOptions {
    ReportOptions {
        from: None,
        to: None,
        warehouse: "db.example:5432, database \"w<h>\"".to_owned(),
        made_at: DateTime::from_timestamp(1_798_761_600, 0).unwrap_or_default(),
    }
}

fn hostile() -> ReportData {
    let evil = "<script>alert(\"x\")</script> & co";
    ReportData {
        period: Some(Period {
            from: date("2026-01-01"),
            to: date("2026-01-07"),
        }),
        headline: Headline {
            events: 1234,
            users: 56,
            revenue: 789.5,
        },
        funnel: vec![FunnelRow {
            device: evil.to_owned(),
            sessions: 10,
            views: 9,
            carts: 3,
            purchases: 1,
        }],
        top_week: Some(date("2026-01-05")),
        top_products: vec![ProductRow {
            rank: 1,
            product_id: 7,
            name: Some(evil.to_owned()),
            category: Some(evil.to_owned()),
            views: 5,
            carts: 2,
            purchases: 1,
            units: 1,
            revenue: 19.99,
        }],
        rejects: vec![RejectRow {
            reason: "bad_number".to_owned(),
            stage: "load".to_owned(),
            rows: 3,
        }],
        ..ReportData::default()
    }
}

#[test]
fn text_from_the_warehouse_is_escaped_in_tables_and_charts() {
    let html = render(&hostile(), &options()).unwrap_or_default();
    assert!(!html.contains("<script"), "unescaped markup in the page");
    assert!(html.contains("&lt;script&gt;"), "escaped text missing");
    // The product chart (SVG text) and the table both carry the escaped name.
    let svg_start = html.find("<svg").unwrap_or(0);
    assert!(html[svg_start..].contains("&lt;script&gt;"));
    assert!(html.contains("w&#60;h&#62;") || html.contains("w&lt;h&gt;"));
}

#[test]
fn the_page_is_self_contained_and_dated_as_told() {
    let html = render(&hostile(), &options()).unwrap_or_default();
    for needle in ["<script", " src=", "href=\"http", "@import", "url("] {
        assert!(!html.contains(needle), "the page contains {needle:?}");
    }
    assert!(html.contains("2027-01-01 00:00 UTC"));
    assert!(html.contains("prefers-color-scheme: dark"));
    assert!(html.contains("size: A4"));
    assert_eq!(html, render(&hostile(), &options()).unwrap_or_default());
}

#[test]
fn sections_without_rows_say_so_instead_of_drawing_empty_axes() {
    let html = render(&hostile(), &options()).unwrap_or_default();
    // No cohorts, sales or engagement: a note each, and only the three charts with data.
    assert_eq!(html.matches("<svg").count(), 3);
    assert!(html.contains("No data in this period."));
}

#[test]
fn an_empty_warehouse_gets_a_page_that_says_so() {
    let html = render(&ReportData::default(), &options()).unwrap_or_default();
    assert!(html.contains("id=\"no-data\""));
    assert!(!html.contains("<svg"));
    assert!(!html.contains("<section"));
}
