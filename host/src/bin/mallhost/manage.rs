//! The commands that manage the host rather than orders: plugins (list, install, write a
//! manifest, roll back, take out) and staff accounts. They call no mall, so they open the
//! configuration without needing the shops' secrets; each change is audited with the operating
//! system's account that made it.

use std::path::Path;

use anyhow::{Context, bail};

use mallhost::runtime::{PluginLimits, Runtime};
use mallhost::time::SharedClock;

use crate::args::{PluginsCommand, UsersCommand};
use crate::cli::open_without_secrets;
use crate::output::{self, Format};

pub(crate) async fn plugins(
    config: &Path,
    clock: &SharedClock,
    cmd: PluginsCommand,
    format: Format,
) -> anyhow::Result<()> {
    match cmd {
        PluginsCommand::List => {
            // Loaded without the shop checks: this lists plugins, whatever the shops lack.
            let cx = open_without_secrets(config, clock, false).await?;
            cx.plugin_dir().load(&cx.runtime).await.with_context(|| {
                format!("loading plugins from {}", cx.config.plugins_dir.display())
            })?;
            output::plugins_and_off(&cx.runtime.plugins(), &cx.runtime.disabled(), format)
        }
        PluginsCommand::Remove { mall } => {
            let cx = open_without_secrets(config, clock, false).await?;
            let removed = cx
                .plugin_dir()
                .remove(&cx.runtime, &mall)
                .await
                .with_context(|| format!("taking out the plugin of mall {mall}"))?;
            cx.store
                .audit(&cli_actor(), "plugins.remove", &mall, chrono::Utc::now())
                .await?;
            output::removed(&mall, &removed, format)
        }
        PluginsCommand::Install { file, manifest } => {
            let cx = open_without_secrets(config, clock, false).await?;
            let p = cx
                .plugin_dir()
                .install(&cx.runtime, &file, manifest.as_deref())
                .await
                .with_context(|| {
                    format!(
                        "installing {} (the active plugin stays as it was)",
                        file.display()
                    )
                })?;
            cx.store
                .audit(
                    &cli_actor(),
                    "plugins.install",
                    &p.info().label(),
                    chrono::Utc::now(),
                )
                .await?;
            output::plugins(&[p], format)
        }
        PluginsCommand::Manifest { file, allow_hosts } => {
            let runtime = Runtime::new(clock.clone(), PluginLimits::default())?;
            let p = runtime.prepare(&file, None).await?;
            let hosts = if allow_hosts.is_empty() {
                vec!["*".to_string()]
            } else {
                allow_hosts
            };
            let text = mallhost::runtime::Manifest::template(&p, hosts)
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("writing the manifest of {}", file.display()))?;
            let out = mallhost::runtime::Manifest::beside(&file);
            std::fs::write(&out, text).with_context(|| format!("writing {}", out.display()))?;
            println!("wrote {}", out.display());
            Ok(())
        }
        PluginsCommand::Rollback { mall } => {
            let cx = open_without_secrets(config, clock, false).await?;
            let p = cx
                .plugin_dir()
                .rollback(&cx.runtime, &mall)
                .await
                .with_context(|| {
                    format!("rolling back mall {mall} (the active plugin stays as it was)")
                })?;
            cx.store
                .audit(
                    &cli_actor(),
                    "plugins.rollback",
                    &p.info().label(),
                    chrono::Utc::now(),
                )
                .await?;
            output::plugins(&[p], format)
        }
    }
}

/// Who runs a CLI command, for the audit log.
pub(crate) fn cli_actor() -> String {
    format!("cli {}", os_account())
}

/// The operating system's name of the account this process runs as (from its user id, not from
/// `$USER`, which anyone sets): `uid N` when the system has no name for it.
fn os_account() -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let Ok(uid) = std::fs::metadata("/proc/self").map(|m| m.uid()) {
            let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
            let name = passwd.lines().find_map(|l| {
                let mut f = l.split(':');
                let name = f.next()?;
                let id = f.nth(1)?.parse::<u32>().ok()?;
                (id == uid).then(|| name.to_string())
            });
            return name.unwrap_or_else(|| format!("uid {uid}"));
        }
    }
    std::env::var("USERNAME").unwrap_or_else(|_| "unknown".into())
}

/// A password: prompted twice without echo on a terminal, else one line of standard input.
fn read_password(name: &str) -> anyhow::Result<String> {
    use std::io::{BufRead, IsTerminal};
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("password for {name}: "))?;
        let again = rpassword::prompt_password("again: ")?;
        if first != again {
            bail!("the two passwords differ; nothing was changed");
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

pub(crate) async fn users(
    config: &Path,
    clock: &SharedClock,
    cmd: UsersCommand,
    format: Format,
) -> anyhow::Result<()> {
    use mallhost::accounts::{self, Role};
    let cx = open_without_secrets(config, clock, false).await?;
    let now = chrono::Utc::now();
    match cmd {
        UsersCommand::Add { name, role } => {
            let role = Role::parse(&role)
                .with_context(|| format!("role {role:?}: use admin, staff or viewer"))?;
            let password = read_password(&name)?;
            accounts::add_user(&cx.store, &name, role, &password, now).await?;
            cx.store
                .audit(
                    &cli_actor(),
                    "users.add",
                    &format!("{name} ({})", role.id()),
                    now,
                )
                .await?;
            println!("added {name} ({})", role.id());
            Ok(())
        }
        UsersCommand::Token { name } => {
            let token = accounts::issue_token(&cx.store, &name, now).await?;
            cx.store
                .audit(&cli_actor(), "users.token", &name, now)
                .await?;
            // The token itself, alone on standard output: it is shown this once.
            println!("{token}");
            Ok(())
        }
        UsersCommand::List => output::users(&cx.store.users().await?, format),
    }
}
