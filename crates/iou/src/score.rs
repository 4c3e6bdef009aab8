//! `iou score`: scores every row of a CSV with a model file or directory and prints one line
//! per row (probability of default, score, band, top reason codes), or one JSON object per
//! line with `--json`, so a risk analyst can check a model file against their own data.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, bail};
use models::{Attribution, Options, Scored};

#[derive(Debug, clap::Args)]
pub struct ScoreArgs {
    /// A scorecard.json, a lightgbm.json (with its features.json beside it), or a model
    /// directory, which scores with its scorecard.
    #[arg(long)]
    model: PathBuf,
    /// A CSV with a header row naming at least the model's columns; other columns are ignored.
    #[arg(long)]
    input: PathBuf,
    /// Print one JSON object per line: row, pd, score, band, reasons.
    #[arg(long)]
    json: bool,
    /// How many reason codes to print per row.
    #[arg(long, default_value_t = 3)]
    reasons: usize,
    /// How a tree model's reasons are attributed to features (a scorecard uses its points).
    #[arg(long, value_enum, default_value_t = AttributionArg::Shap)]
    attribution: AttributionArg,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum AttributionArg {
    /// TreeSHAP, as LightGBM's pred_contrib.
    Shap,
    /// Per-tree path attribution (Saabas), as the live decision path uses.
    Path,
}

pub fn run(args: ScoreArgs) -> anyhow::Result<()> {
    let model = models::dir::load(&args.model).with_context(|| format!("model {}", args.model.display()))?;
    let mut reader = csv::Reader::from_path(&args.input).with_context(|| format!("input {}", args.input.display()))?;
    let header = reader
        .headers()
        .with_context(|| format!("input {}: header", args.input.display()))?
        .clone();
    let schema = model.schema();
    let binding = schema.bind(&header.iter().collect::<Vec<_>>()).with_context(|| {
        format!(
            "input {} cannot feed the {} at {}",
            args.input.display(),
            model.kind(),
            args.model.display()
        )
    })?;
    eprintln!(
        "scoring with the {} at {} ({} features){}",
        model.kind(),
        args.model.display(),
        schema.features().len(),
        if binding.ignored().is_empty() {
            String::new()
        } else {
            format!("; ignoring {}", binding.ignored().join(", "))
        }
    );
    let attribution = match args.attribution {
        AttributionArg::Shap => Attribution::Shap,
        AttributionArg::Path => Attribution::Path,
    };
    let options = Options {
        reasons: args.reasons,
        attribution,
    };
    let (mut row, mut ws, mut scored) = (schema.empty_row(), model.workspace(), Scored::default());
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut record = csv::StringRecord::new();
    let mut number = 0usize;
    while reader
        .read_record(&mut record)
        .with_context(|| format!("input {}", args.input.display()))?
    {
        number += 1;
        binding
            .fill(schema, |i| record.get(i), &mut row)
            .with_context(|| format!("row {number}"))?;
        model.score_into(&row, options, &mut ws, &mut scored);
        let line = if args.json {
            json_line(number, &scored)
        } else {
            text_line(number, &scored)
        };
        if let Err(err) = writeln!(out, "{line}") {
            return stopped_reading(err);
        }
    }
    if let Err(err) = out.flush() {
        return stopped_reading(err);
    }
    if number == 0 {
        bail!("input {} has no rows", args.input.display());
    }
    Ok(())
}

/// A reader that stops early (`iou score ... | head`) is not an error; anything else is.
fn stopped_reading(err: std::io::Error) -> anyhow::Result<()> {
    if err.kind() == std::io::ErrorKind::BrokenPipe {
        Ok(())
    } else {
        Err(err).context("writing the scores")
    }
}

fn text_line(number: usize, s: &Scored<'_>) -> String {
    let reasons: Vec<String> = s
        .reasons
        .iter()
        .map(|r| format!("{} {} (-{:.1})", r.code, r.feature, r.points))
        .collect();
    format!(
        "row {number}: pd {:.6} score {:.0} band {} reasons: {}",
        s.pd,
        s.score,
        s.band,
        reasons.join(", ")
    )
}

fn json_line(number: usize, s: &Scored<'_>) -> String {
    let reasons: Vec<serde_json::Value> = s
        .reasons
        .iter()
        .map(|r| serde_json::json!({"code": r.code, "feature": r.feature, "points": r.points}))
        .collect();
    serde_json::json!({"row": number, "pd": s.pd, "score": s.score, "band": s.band, "reasons": reasons}).to_string()
}
