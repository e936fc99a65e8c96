//! The charts, drawn with `plotters` into SVG strings.
//!
//! Text and axes are drawn in [`INK`] and grid lines in [`GRID`]; the page's stylesheet maps
//! those two colours onto its light or dark scheme (CSS rules win over SVG presentation
//! attributes), so one SVG serves both. Series use the Okabe–Ito palette, which stays
//! distinguishable with the common colour-vision deficiencies; the heatmap uses viridis.
//! Text, including names from the database, is escaped by the SVG backend.

use std::fmt::Display;

use plotters::prelude::*;

use crate::{Error, Result};

mod heatmap;

pub use heatmap::heatmap;

/// Text and axes; the stylesheet recolours it per scheme.
pub const INK: RGBColor = RGBColor(0, 0, 0);
/// Grid lines; the stylesheet recolours it per scheme.
pub const GRID: RGBColor = RGBColor(0xC8, 0xC8, 0xC8);
/// Okabe–Ito: blue, orange, bluish green, vermillion, sky blue, reddish purple, yellow.
pub const PALETTE: [RGBColor; 7] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0xF0, 0xE4, 0x42),
];

pub(crate) const WIDTH: u32 = 960;
const HEIGHT: u32 = 360;
const FONT: &str = "sans-serif";

/// What a chart's axes say.
#[derive(Debug, Clone)]
pub struct Axes {
    /// The x axis title, with its unit.
    pub x: String,
    /// The y axis title, with its unit.
    pub y: String,
    /// How y values are written.
    pub y_fmt: fn(&f64) -> String,
}

/// A named series of values, one per x label.
#[derive(Debug, Clone)]
pub struct Series {
    /// Its name in the legend.
    pub name: String,
    /// Its colour.
    pub color: RGBColor,
    /// Its values.
    pub values: Vec<f64>,
}

impl Series {
    /// The series `name` in palette colour `color` (an index into [`PALETTE`]), one value per
    /// row.
    pub fn of<T>(name: &str, color: usize, rows: &[T], value: impl Fn(&T) -> f64) -> Self {
        Self {
            name: name.to_owned(),
            color: PALETTE[color % PALETTE.len()],
            values: rows.iter().map(value).collect(),
        }
    }
}

/// A series drawn as a line against a second y axis on the right.
#[derive(Debug, Clone)]
pub struct Secondary {
    /// The series.
    pub series: Series,
    /// The right axis title, with its unit.
    pub y: String,
    /// How its values are written.
    pub y_fmt: fn(&f64) -> String,
    /// The highest the right axis goes (e.g. 1.0 for a share), whatever the data.
    pub cap: Option<f64>,
}

/// How a chart shows its series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Vertical bars side by side in each x slot.
    Grouped,
    /// Vertical bars stacked in each x slot.
    Stacked,
    /// Lines.
    Lines,
}

pub(crate) fn fail(e: impl Display) -> Error {
    Error::Chart(e.to_string())
}

pub(crate) fn font(size: f64) -> TextStyle<'static> {
    (FONT, size).into_font().color(&INK)
}

/// At most `max` evenly spaced labels, so long date axes stay readable.
fn label_count(n: usize, max: usize) -> usize {
    n.clamp(1, max)
}

/// A chart over categorical x labels (dates, devices): bars or lines, with an optional line
/// on a second axis.
pub fn xy(
    labels: &[String],
    axes: &Axes,
    kind: Kind,
    series: &[Series],
    secondary: Option<&Secondary>,
) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        let n = labels.len().max(1) as f64;
        let top = match kind {
            Kind::Stacked => (0..labels.len())
                .map(|i| {
                    series
                        .iter()
                        .map(|s| s.values.get(i).copied().unwrap_or(0.0))
                        .sum()
                })
                .fold(0.0, f64::max),
            _ => series
                .iter()
                .flat_map(|s| s.values.iter().copied())
                .fold(0.0, f64::max),
        };
        // Headroom for the legend in the upper left, so it never covers the data.
        let entries = series.len() + usize::from(secondary.is_some());
        let room = legend_room(entries);
        let top = nice_top(top / room);
        let label = |x: &f64| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 {
                labels.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        };
        let mut builder = ChartBuilder::on(&root);
        builder
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(84);
        if secondary.is_some() {
            builder.right_y_label_area_size(84);
        }
        let x_range = -0.5..(n - 0.5);
        let mut chart = builder
            .build_cartesian_2d(x_range.clone(), 0.0..top)
            .map_err(fail)?
            .set_secondary_coord(
                x_range,
                0.0..secondary.map_or(1.0, |s| {
                    let top = nice_top(s.series.values.iter().copied().fold(0.0, f64::max) / room);
                    s.cap.map_or(top, |cap| top.min(cap))
                }),
            );
        let step = (labels.len() / 12).max(1);
        let ticks = label_count(labels.len().div_ceil(step), 12);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(ticks)
            .x_label_formatter(&label)
            .y_labels(6)
            .y_label_formatter(&axes.y_fmt)
            .x_desc(axes.x.as_str())
            .y_desc(axes.y.as_str())
            .axis_style(INK)
            .bold_line_style(GRID)
            .light_line_style(TRANSPARENT)
            .label_style(font(13.0))
            .axis_desc_style(font(14.0))
            .draw()
            .map_err(fail)?;
        let count = series.len().max(1) as f64;
        let mut base = vec![0.0; labels.len()];
        for (k, s) in series.iter().enumerate() {
            let style = s.color.filled();
            let anno = match kind {
                Kind::Lines => chart
                    .draw_series(LineSeries::new(
                        s.values.iter().enumerate().map(|(i, v)| (i as f64, *v)),
                        s.color.stroke_width(2),
                    ))
                    .map_err(fail)?,
                Kind::Grouped => {
                    let w = 0.8 / count;
                    chart
                        .draw_series(s.values.iter().enumerate().map(|(i, v)| {
                            let x0 = i as f64 - 0.4 + w * k as f64;
                            Rectangle::new([(x0, 0.0), (x0 + w * 0.92, *v)], style)
                        }))
                        .map_err(fail)?
                }
                Kind::Stacked => {
                    let bars: Vec<_> = s
                        .values
                        .iter()
                        .enumerate()
                        .map(|(i, v)| {
                            let b = base.get(i).copied().unwrap_or(0.0);
                            let x = i as f64;
                            Rectangle::new([(x - 0.4, b), (x + 0.4, b + v)], style)
                        })
                        .collect();
                    for (b, v) in base.iter_mut().zip(&s.values) {
                        *b += v;
                    }
                    chart.draw_series(bars).map_err(fail)?
                }
            };
            let color = s.color;
            anno.label(s.name.as_str()).legend(move |(x, y)| {
                Rectangle::new([(x, y - 5), (x + 14, y + 5)], color.filled())
            });
        }
        if let Some(sec) = secondary {
            chart
                .configure_secondary_axes()
                .y_labels(6)
                .y_label_formatter(&sec.y_fmt)
                .y_desc(sec.y.as_str())
                .axis_style(INK)
                .label_style(font(13.0))
                .axis_desc_style(font(14.0))
                .draw()
                .map_err(fail)?;
            let color = sec.series.color;
            chart
                .draw_secondary_series(LineSeries::new(
                    sec.series
                        .values
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (i as f64, *v)),
                    color.stroke_width(3),
                ))
                .map_err(fail)?
                .label(sec.series.name.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 14, y)], color.stroke_width(3))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .border_style(GRID)
            .label_font(font(13.0))
            .draw()
            .map_err(fail)?;
        root.present().map_err(fail)?;
    }
    Ok(svg)
}

/// Horizontal bars, one per label (top to bottom), e.g. products or reasons.
pub fn hbars(
    labels: &[String],
    x_desc: &str,
    x_fmt: fn(&f64) -> String,
    values: &[f64],
) -> Result<String> {
    let mut svg = String::new();
    {
        let height = (60 + 30 * labels.len() as u32).max(160);
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        let n = labels.len().max(1) as f64;
        let top = nice_top(values.iter().copied().fold(0.0, f64::max));
        let name = |y: &f64| {
            let i = y.round();
            if (y - i).abs() < 1e-6 && i >= 0.0 {
                labels
                    .get(i as usize)
                    .map(|l| truncate(l, 34))
                    .unwrap_or_default()
            } else {
                String::new()
            }
        };
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(250)
            .build_cartesian_2d(0.0..top, (n - 0.5)..-0.5)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(labels.len().max(1))
            .y_label_formatter(&name)
            .x_labels(6)
            .x_label_formatter(&x_fmt)
            .x_desc(x_desc)
            .axis_style(INK)
            .bold_line_style(GRID)
            .light_line_style(TRANSPARENT)
            .label_style(font(13.0))
            .axis_desc_style(font(14.0))
            .draw()
            .map_err(fail)?;
        chart
            .draw_series(values.iter().enumerate().map(|(i, v)| {
                let y = i as f64;
                Rectangle::new([(0.0, y - 0.35), (*v, y + 0.35)], PALETTE[0].filled())
            }))
            .map_err(fail)?;
        root.present().map_err(fail)?;
    }
    Ok(svg)
}

/// The share of an xy chart's plot height the data may use below a legend of `entries` rows
/// (about 20 px a row plus its frame, of a 288 px plot area).
fn legend_room(entries: usize) -> f64 {
    let legend_px = 20.0 * entries as f64 + 20.0;
    let plot_px = f64::from(HEIGHT - 2 * 12 - 48);
    (1.0 - legend_px / plot_px).clamp(0.4, 1.0)
}

/// A round axis maximum a little above `max` (1 to 8 times a power of ten, in round steps).
pub fn nice_top(max: f64) -> f64 {
    if !max.is_finite() || max <= 0.0 {
        return 1.0;
    }
    let target = max * 1.08;
    let p = 10f64.powf(target.log10().floor());
    [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|v| *v >= target)
        .unwrap_or(10.0 * p)
}

/// Text cut to `max` characters with an ellipsis.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

/// A share as a percentage with one decimal.
pub fn percent(v: &f64) -> String {
    format!("{:.1}%", v * 100.0)
}
