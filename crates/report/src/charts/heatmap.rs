//! The retention heatmap: cohorts by week offset, coloured by viridis, with a colour bar.

use plotters::{
    coord::Shift,
    prelude::*,
    style::text_anchor::{HPos, Pos, VPos},
};

use super::{INK, WIDTH, fail, font, percent};
use crate::Result;

/// The retention matrix: one row per cohort (oldest on top), one column per week offset,
/// coloured by viridis from 0 to `scale_max`, with a colour bar on the right.
pub fn heatmap(
    cohorts: &[String],
    offsets: usize,
    cells: &[(usize, usize, f64)],
    scale_max: f64,
) -> Result<String> {
    let mut svg = String::new();
    {
        let height = (110 + 22 * cohorts.len() as u32).clamp(300, 1200);
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        let (left, right) = root.split_horizontally(WIDTH - 110);
        let rows = cohorts.len().max(1) as f64;
        let cols = offsets.max(1) as f64;
        let name = |y: &f64| {
            let i = y.round();
            if (y - i).abs() < 1e-6 && i >= 0.0 {
                cohorts.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        };
        let mut chart = ChartBuilder::on(&left)
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(110)
            .build_cartesian_2d(-0.5..(cols - 0.5), (rows - 0.5)..-0.5)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(offsets.clamp(1, 26))
            .x_label_formatter(&|x: &f64| {
                let i = x.round();
                if (x - i).abs() < 1e-6 {
                    format!("{i:.0}")
                } else {
                    String::new()
                }
            })
            .y_labels(cohorts.len().clamp(1, 40))
            .y_label_formatter(&name)
            .x_desc("Weeks since the signup week")
            .y_desc("Signup cohort (week starting)")
            .axis_style(INK)
            .label_style(font(13.0))
            .axis_desc_style(font(14.0))
            .draw()
            .map_err(fail)?;
        let scale = if scale_max > 0.0 { scale_max } else { 1.0 };
        chart
            .draw_series(cells.iter().map(|&(row, col, rate)| {
                let (y, x) = (row as f64, col as f64);
                Rectangle::new(
                    [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)],
                    viridis((rate / scale).clamp(0.0, 1.0)).filled(),
                )
            }))
            .map_err(fail)?;
        color_bar(&right, scale)?;
        root.present().map_err(fail)?;
    }
    Ok(svg)
}

fn color_bar(area: &DrawingArea<SVGBackend<'_>, Shift>, scale: f64) -> Result<()> {
    let height = i32::try_from(area.dim_in_pixel().1).unwrap_or(240);
    let (x0, y0, h) = (20, 40, (height - 90).clamp(80, 240));
    let steps = 40;
    for i in 0..steps {
        let t = 1.0 - f64::from(i) / f64::from(steps);
        let y = y0 + i * h / steps;
        area.draw(&Rectangle::new(
            [(x0, y), (x0 + 18, y + h / steps + 1)],
            viridis(t).filled(),
        ))
        .map_err(fail)?;
    }
    let style = font(12.0).pos(Pos::new(HPos::Left, VPos::Center));
    for (t, y) in [(1.0, y0), (0.5, y0 + h / 2), (0.0, y0 + h)] {
        area.draw(&Text::new(
            percent(&(t * scale)),
            (x0 + 24, y),
            style.clone(),
        ))
        .map_err(fail)?;
    }
    area.draw(&Text::new("retained", (x0 - 6, y0 - 22), font(12.0)))
        .map_err(fail)?;
    Ok(())
}

/// The viridis colour map at `t` in `[0, 1]`, interpolated between nine anchors.
pub fn viridis(t: f64) -> RGBColor {
    const ANCHORS: [(u8, u8, u8); 9] = [
        (68, 1, 84),
        (71, 44, 122),
        (59, 81, 139),
        (44, 113, 142),
        (33, 144, 141),
        (39, 173, 129),
        (92, 200, 99),
        (170, 220, 50),
        (253, 231, 37),
    ];
    let x = t.clamp(0.0, 1.0) * 8.0;
    let i = (x.floor() as usize).min(7);
    let f = x - i as f64;
    let (a, b) = (ANCHORS[i], ANCHORS[i + 1]);
    let mix = |p: u8, q: u8| (f64::from(p) + (f64::from(q) - f64::from(p)) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}
