//! What an operator reads: serve's counters, plugins, shop health, accounts, the audit log, job
//! runs, the shops' settings, a database copy.

use std::sync::Arc;

use mallhost::runtime::Plugin;

use serde::Serialize;

use super::{Format, emit, json, print_or_json, safe};

pub fn serve_stats(
    stats: &[mallhost::sync::scheduler::JobSnapshot],
    f: Format,
) -> anyhow::Result<()> {
    print_or_json(&stats, f, || {
        let mut s = String::new();
        for j in stats {
            s.push_str(&format!(
                "shop {} {:?}: {} run(s), {} failed, {} skipped while busy{}\n",
                j.shop,
                j.job,
                j.runs,
                j.failures,
                j.skipped_busy,
                j.last_error
                    .as_deref()
                    .map(|e| format!("; last error: {e}"))
                    .unwrap_or_default()
            ));
        }
        s
    })
}

#[derive(Serialize)]
struct PluginLine<'a> {
    state: &'static str,
    #[serde(flatten)]
    info: &'a mallhost::connector::PluginInfo,
    path: String,
}

pub fn plugins(list: &[Arc<Plugin>], f: Format) -> anyhow::Result<()> {
    plugins_and_off(list, &[], f)
}

/// The active plugins, then the malls that are off because theirs could not be loaded.
pub fn plugins_and_off(
    list: &[Arc<Plugin>],
    off: &[mallhost::runtime::Disabled],
    f: Format,
) -> anyhow::Result<()> {
    let lines: Vec<_> = list
        .iter()
        .map(|p| PluginLine {
            state: "active",
            info: p.info(),
            path: p.path().display().to_string(),
        })
        .collect();
    if f == Format::Json {
        #[derive(Serialize)]
        #[serde(untagged)]
        enum Line<'a> {
            Active(&'a PluginLine<'a>),
            Off {
                mall_id: &'a str,
                state: &'static str,
                reason: &'a str,
                path: &'a str,
            },
        }
        let all: Vec<Line<'_>> = lines
            .iter()
            .map(Line::Active)
            .chain(off.iter().map(|d| Line::Off {
                mall_id: &d.mall,
                state: "off",
                reason: &d.reason,
                path: &d.file,
            }))
            .collect();
        return json(&all);
    }
    let mut out = String::new();
    if lines.is_empty() && off.is_empty() {
        out.push_str("no plugins loaded\n");
    }
    for l in lines {
        out.push_str(&format!(
            "{} ({}) version {}, contract {} — {}\n",
            l.info.mall_id,
            safe(&l.info.mall_name),
            l.info.plugin_version,
            l.info.contract_version,
            l.path
        ));
    }
    for d in off {
        out.push_str(&format!(
            "{} — OFF: {} could not be loaded: {} (install a working version, roll back, or \
             `mallhost plugins remove --mall {}`)\n",
            safe(&d.mall),
            d.file,
            safe(&d.reason),
            safe(&d.mall)
        ));
    }
    emit(&out);
    Ok(())
}

/// What `plugins remove` did.
pub fn removed(mall: &str, files: &[String], f: Format) -> anyhow::Result<()> {
    #[derive(Serialize)]
    struct Removed<'a> {
        mall: &'a str,
        files_removed: &'a [String],
    }
    print_or_json(
        &Removed {
            mall,
            files_removed: files,
        },
        f,
        || {
            format!(
                "mall {mall}: plugin taken out ({} files removed); its shops' jobs stop until one \
                 is installed with `mallhost plugins install FILE.wasm`\n",
                files.len()
            )
        },
    )
}

pub fn db_copy(tables: &[mallhost::store::TableCopy], dest: &str, f: Format) -> anyhow::Result<()> {
    print_or_json(&tables, f, || {
        let mut s = format!("copied into {dest}\n");
        for t in tables {
            s.push_str(&format!(
                "{:<18} {:>9} rows → {:>9}  {}  {}\n",
                t.table,
                t.source_rows,
                t.copied_rows,
                &t.checksum[..16.min(t.checksum.len())],
                if t.matches { "same" } else { "DIFFERS" }
            ));
        }
        s
    })
}

pub fn status(shops: &[mallhost::health::ShopHealth], f: Format) -> anyhow::Result<()> {
    print_or_json(&shops, f, || {
        if shops.is_empty() {
            return "no shop has its order API on\n".into();
        }
        let mut s = String::new();
        for shop in shops {
            s.push_str(&format!(
                "{} ({}) — {}\n",
                shop.shop,
                shop.mall,
                if shop.healthy {
                    "正常 healthy"
                } else {
                    "異常 UNHEALTHY"
                }
            ));
            if shop.jobs.is_empty() {
                s.push_str("    no automatic jobs (auto_fetch / auto_export off)\n");
            }
            for j in &shop.jobs {
                let last = match &j.last_run {
                    Some(r) => format!(
                        "last run {} {}",
                        r.ended_at.as_deref().unwrap_or(""),
                        r.outcome.as_deref().unwrap_or("")
                    ),
                    None => "never run".into(),
                };
                let success = j
                    .last_success_at
                    .map_or_else(|| "no success yet".into(), |t| format!("last success {t}"));
                s.push_str(&format!(
                    "    {:<6} every {}s: {last}; {success}{}{}{}\n",
                    j.job,
                    j.every_secs,
                    if j.failures_in_row > 0 {
                        format!("; {} failure(s) in a row", j.failures_in_row)
                    } else {
                        String::new()
                    },
                    if j.running { "; running now" } else { "" },
                    if j.stale { "; STALE" } else { "" },
                ));
            }
            for p in &shop.problems {
                s.push_str(&format!("    ! {p}\n"));
            }
        }
        s
    })
}

pub fn users(list: &[mallhost::store::UserRow], f: Format) -> anyhow::Result<()> {
    print_or_json(&list, f, || {
        if list.is_empty() {
            return "no accounts yet (`mallhost users add NAME --role admin`)\n".into();
        }
        list.iter()
            .map(|u| {
                format!(
                    "{:<20} {:<7} since {}{}\n",
                    u.name,
                    u.role,
                    u.created_at,
                    if u.disabled { " (disabled)" } else { "" }
                )
            })
            .collect()
    })
}

pub fn audit(list: &[mallhost::store::AuditEntry], f: Format) -> anyhow::Result<()> {
    print_or_json(&list, f, || {
        if list.is_empty() {
            return "the audit log is empty\n".into();
        }
        list.iter()
            .map(|e| format!("{}  {:<24} {:<18} {}\n", e.at, e.actor, e.action, e.detail))
            .collect()
    })
}

pub fn runs(list: &[mallhost::store::JobRun], f: Format) -> anyhow::Result<()> {
    print_or_json(&list, f, || {
        if list.is_empty() {
            return "no runs recorded yet\n".into();
        }
        let mut s = String::new();
        for r in list {
            let end = match (&r.ended_at, &r.outcome) {
                (Some(at), Some(o)) => format!("ended {at}: {o}"),
                _ => "no end (killed, or still going)".into(),
            };
            s.push_str(&format!(
                "#{} {} {} started {} by {} — {end}\n",
                r.id, r.shop, r.job, r.started_at, r.holder
            ));
            if let Some(summary) = r.summary.as_deref().filter(|x| !x.is_empty()) {
                s.push_str(&format!("    {summary}\n"));
            }
            if let Some(e) = &r.error {
                s.push_str(&format!("    error: {e}\n"));
            }
        }
        s
    })
}

pub fn shops(list: &[mallhost::app::ShopReport], f: Format) -> anyhow::Result<()> {
    print_or_json(&list, f, || shops_text(list))
}

pub fn shops_text(list: &[mallhost::app::ShopReport]) -> String {
    use mallhost::capabilities::credentials::CredentialState as S;
    if list.is_empty() {
        return "no shops in the config file\n".into();
    }
    let mut s = String::new();
    for r in list {
        s.push_str(&format!(
            "shop {} ({}) — mall {}, plugin {}{}\n",
            r.id,
            r.name,
            r.mall,
            r.plugin.as_deref().unwrap_or("none"),
            r.contract
                .as_deref()
                .map(|c| format!(" (contract {c})"))
                .unwrap_or_default()
        ));
        for st in &r.settings {
            let state = match (st.given, st.required) {
                (true, _) => "set",
                (false, true) => "MISSING",
                (false, false) => "not set (optional)",
            };
            s.push_str(&format!("  setting {} ({}): {state}\n", st.name, st.label));
        }
        for c in &r.credentials {
            let state = match c.state {
                S::Valid => "valid".to_string(),
                S::ExpiresSoon { on, days } => {
                    format!("EXPIRES on {on} (in {days} day(s)): renew it ({})", c.help)
                }
                S::Expired { on } => format!("EXPIRED on {on}: renew it ({})", c.help),
                S::Missing => "MISSING".to_string(),
            };
            s.push_str(&format!("  credential {} ({}): {state}\n", c.name, c.label));
        }
        if let Some(p) = &r.problem {
            s.push_str(&format!("  ! {p}\n"));
        }
    }
    s
}
