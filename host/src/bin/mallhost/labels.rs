//! `mallhost labels`: the carriers' label software round trip on the command line. `export`
//! shows every slip with its problems, then writes the file of the rows that can be written
//! (nothing when a row is stopped, unless staff leave those out); `import` shows what the
//! issued-data file changes, order by order, then applies it in one transaction (nothing when
//! a row is refused, unless staff skip those; replacing a number only when confirmed).

use std::path::Path;

use anyhow::{Context, bail};

use mallhost::labels::{self, ExportPlan, ImportPlan, Selection};
use mallhost::time::SharedClock;

use crate::args::LabelsCommand;
use crate::cli::{open, partial_if};
use crate::manage::cli_actor;
use crate::output::{Format, emit, safe};

/// Runs a `labels` command.
pub async fn labels(
    config: &Path,
    clock: &SharedClock,
    cmd: LabelsCommand,
    format: Format,
) -> anyhow::Result<()> {
    let now = clock.now();
    let cx = open(config, clock, false).await?;
    match cmd {
        LabelsCommand::Export {
            format: label_format,
            shop,
            all,
            status,
            orders,
            output,
            parcels,
            cut,
            preview,
            leave_out_stopped,
        } => {
            let Some(label_format) = labels::Format::from_id(&label_format) else {
                bail!("--format {label_format}: use b2, ehiden, yupri or clickpost");
            };
            let shops: Vec<_> = match (shop, all) {
                (Some(id), false) => vec![cx.shop(&id)?],
                (None, true) => cx.config.shops.iter().collect(),
                _ => bail!("name a shop with --shop ID, or every shop with --all"),
            };
            let mut per_order = std::collections::BTreeMap::new();
            for part in parcels.iter().flat_map(|p| p.split(',')) {
                let parsed = part
                    .split_once('=')
                    .and_then(|(n, c)| Some((n.trim().to_string(), c.trim().parse::<u32>().ok()?)))
                    .filter(|(n, c)| !n.is_empty() && (1..=99).contains(c));
                match parsed {
                    Some((n, c)) => {
                        per_order.insert(n, c);
                    }
                    None => bail!("--parcels {part:?}: write ORDER_NUMBER=N with N from 1 to 99"),
                }
            }
            let parcels = per_order;
            let sel = Selection {
                status: status.unwrap_or(mallhost::model::OrderStatus::AwaitingShipment),
                orders: orders
                    .map(|o| {
                        o.split(',')
                            .map(|n| n.trim().to_string())
                            .filter(|n| !n.is_empty())
                            .collect()
                    })
                    .unwrap_or_default(),
                cut,
                ship_date: cx.today(),
                parcels,
            };
            let plan = labels::export(&cx.store, &shops, &sel, label_format, now)
                .await
                .context("planning the label export")?;
            show_export(&plan, format)?;
            if preview {
                return Ok(());
            }
            let stopped = plan.stopped().count();
            if stopped > 0 && !leave_out_stopped {
                partial_if(true);
                bail!(
                    "{stopped} slip(s) cannot be written (listed above); fix them, or write the others with --leave-out-stopped; no file was written"
                );
            }
            let Some(out) = output else {
                bail!("name the file to write with -o FILE (or look first with --preview)");
            };
            let files = labels::render_files(&plan);
            let mut written_to = Vec::new();
            for (i, bytes) in files.iter().enumerate() {
                // Several files (クリックポスト takes 40 rows a file): FILE-1.csv, FILE-2.csv …
                let path = if files.len() == 1 {
                    out.clone()
                } else {
                    let stem = out.file_stem().map(|s| s.to_string_lossy().into_owned());
                    let ext = out.extension().map(|e| format!(".{}", e.to_string_lossy()));
                    out.with_file_name(format!(
                        "{}-{}{}",
                        stem.unwrap_or_else(|| "labels".into()),
                        i + 1,
                        ext.unwrap_or_default()
                    ))
                };
                std::fs::write(&path, bytes)
                    .with_context(|| format!("writing {}", path.display()))?;
                written_to.push(path.display().to_string());
            }
            let written = plan.slips.len() - stopped;
            cx.store
                .audit(
                    &cli_actor(),
                    "labels.export",
                    &format!("{} slip(s), {}", written, label_format.id()),
                    now,
                )
                .await?;
            partial_if(stopped > 0);
            if format == Format::Text {
                emit(&format!(
                    "wrote {written} slip(s) to {} (CP932, CRLF){}\n",
                    written_to.join(", "),
                    if stopped > 0 {
                        format!("; {stopped} left out")
                    } else {
                        String::new()
                    }
                ));
            }
            Ok(())
        }
        LabelsCommand::Import {
            file,
            replace,
            dry_run,
            skip_bad_rows,
        } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let shown = file.display().to_string();
            let plan = labels::plan_import(&cx.store, &cx.config.shops, &shown, &bytes, cx.today())
                .await
                .with_context(|| format!("reading the issued data in {shown}"))?;
            show_import(&plan, format)?;
            if dry_run {
                return Ok(());
            }
            if !plan.errors.is_empty() && !skip_bad_rows {
                partial_if(true);
                bail!(
                    "{} row(s) refused (listed above); fix the file, or apply the others with --skip-bad-rows; nothing was imported",
                    plan.errors.len()
                );
            }
            if !plan.replace.is_empty() && !replace {
                partial_if(true);
                bail!(
                    "{} row(s) would replace a tracking number (listed above); check them, then import again with --replace; nothing was imported",
                    plan.replace.len()
                );
            }
            let done = labels::apply(&cx.store, &plan, replace, now)
                .await
                .context("applying the issued data")?;
            cx.store
                .audit(
                    &cli_actor(),
                    "labels.import",
                    &format!("{shown}: {} number(s) set", done.updated),
                    now,
                )
                .await?;
            partial_if(!plan.errors.is_empty());
            if format == Format::Text {
                emit(&format!(
                    "{} tracking number(s) set, {} unchanged; the next export sends them to the malls\n",
                    done.updated, done.unchanged
                ));
            }
            Ok(())
        }
    }
}

fn show_export(plan: &ExportPlan, format: Format) -> anyhow::Result<()> {
    if format == Format::Json {
        emit(&format!("{}\n", serde_json::to_string_pretty(plan)?));
        return Ok(());
    }
    let mut s = format!(
        "{} slip(s) for {}, {} stopped; {} delivery(ies) left out\n",
        plan.slips.len(),
        plan.format.id(),
        plan.stopped().count(),
        plan.left_out.len()
    );
    for slip in &plan.slips {
        s.push_str(&format!(
            "  {} {} {} delivery {}: {}\n",
            slip.key,
            safe(&slip.shop),
            safe(&slip.order),
            slip.delivery,
            if slip.written() { "ok" } else { "STOPPED" }
        ));
        for p in &slip.problems {
            s.push_str(&format!(
                "    {} {}\n",
                if p.stops() { "!" } else { "~" },
                safe(&p.to_string())
            ));
        }
    }
    for l in &plan.left_out {
        s.push_str(&format!("  - left out: {}\n", safe(&l.to_string())));
    }
    emit(&s);
    Ok(())
}

fn show_import(plan: &ImportPlan, format: Format) -> anyhow::Result<()> {
    if format == Format::Json {
        emit(&format!("{}\n", serde_json::to_string_pretty(plan)?));
        return Ok(());
    }
    let mut s = format!(
        "{} issued data ({}): {} row(s); {} to set, {} unchanged, {} to replace, {} refused\n",
        plan.format.id(),
        plan.encoding,
        plan.rows,
        plan.set.len(),
        plan.unchanged.len(),
        plan.replace.len(),
        plan.errors.len()
    );
    for c in &plan.set {
        s.push_str(&format!(
            "  line {}: {} {} delivery {}: (none) -> {} ({}, ship date {})\n",
            c.line,
            safe(&c.shop),
            safe(&c.order),
            c.delivery,
            c.new,
            c.carrier,
            c.ship_date
        ));
    }
    for c in &plan.replace {
        s.push_str(&format!(
            "  line {}: {} {} delivery {}: {} -> {} REPLACES{}\n",
            c.line,
            safe(&c.shop),
            safe(&c.order),
            c.delivery,
            safe(c.old.as_deref().unwrap_or("")),
            c.new,
            if c.pushed {
                " (the mall has the old number: it is sent again)"
            } else {
                ""
            }
        ));
    }
    for e in &plan.errors {
        s.push_str(&format!(
            "  ! line {}{}: {}\n",
            e.line,
            e.key
                .as_deref()
                .map(|k| format!(" ({})", safe(k)))
                .unwrap_or_default(),
            safe(&e.reason)
        ));
    }
    emit(&s);
    Ok(())
}
