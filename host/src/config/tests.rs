//! The configuration's tests: every key read, every refusal naming the shop, the key and the fix.

use std::path::Path;
use std::time::Duration;

use super::*;
use crate::model::OrderStatus;

use super::testing::GOOD;

use super::testing::env;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("/srv/mh"), &env)
}

#[test]
fn loads_a_shop_with_defaults() {
    let c = parse(GOOD).unwrap();
    assert_eq!(c.database_url, "sqlite:///srv/mh/mallhost.db");
    assert_eq!(c.plugins_dir, Path::new("/srv/mh/plugins"));
    let s = &c.shops[0];
    assert_eq!(s.base_url, "https://api.mymall.example/v1");
    assert_eq!(s.allowed_origins, vec!["https://api.mymall.example"]);
    assert_eq!(s.stored_status, OrderStatus::AwaitingShipment);
    assert_eq!(s.credentials["api_password"].expose(), "s3cret");
    assert_eq!(s.settings["partner_code"], "P1");
    assert_eq!(s.carrier_ids["yamato"], "01");
    // The legacy keys load, with a warning saying where they go now.
    assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
    assert!(
        c.warnings[0].contains("[shops.settings]"),
        "{:?}",
        c.warnings
    );
}

#[test]
fn the_documented_example_is_valid() {
    let text = include_str!("../../../mallhost.example.toml");
    // Every secret the example names by an environment variable.
    let env = |k: &str| {
        k.ends_with("_PASSWORD")
            || k.ends_with("_SECRET")
            || k.ends_with("_KEY")
            || k.ends_with("_TOKEN")
    };
    let env = |k: &str| env(k).then(|| "pw".to_string());
    let c = Config::parse(text, Path::new("/etc/mallhost"), &env).unwrap();
    assert_eq!(c.shops[0].stored_status, OrderStatus::Confirmed);
    assert_eq!(c.shops[0].carrier_ids["japanpost"], "03");
    assert_eq!(c.shops.len(), 3, "a shop of each bundled connector");
    assert_eq!(c.shops[1].carrier_ids["yamato"], "1001");
    let third = &c.shops[2];
    assert_eq!(third.settings["public_key_version"], "1");
    assert!(
        third.credentials.contains_key("client_secret")
            && third.expiries.contains_key("public_key"),
        "the secrets from the environment, the key's expiry"
    );
    assert_eq!(c.shops[0].labels.b2_customer_code, "012345678901");
    assert_eq!(c.shops[0].labels.b2_slip_types["ネコポス"], "A");
    assert_eq!(
        c.sync,
        SyncPolicy::default(),
        "the example shows the defaults"
    );
}

#[test]
fn the_examples_commented_sections_load_when_uncommented() {
    let text = include_str!("../../../mallhost.example.toml");
    // Uncomment the optional sections ([alerts], [console]) with every key they show.
    let mut out = String::new();
    let mut inside = false;
    for line in text.lines() {
        let body = line.strip_prefix("# ");
        if let Some(section) = body.and_then(|l| l.strip_prefix('[')) {
            inside = section.starts_with("alerts]") || section.starts_with("console]");
        } else if body.is_none() {
            inside = false;
        }
        let key = body.filter(|l| {
            l.starts_with('[') || l.split_once(" = ").is_some_and(|(k, _)| !k.contains(' '))
        });
        match key {
            Some(l) if inside => out.push_str(l),
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    let env = |k: &str| match k {
        "MALLHOST_ALERT_WEBHOOK" => Some("https://hooks.example/x".to_string()),
        k if ["_PASSWORD", "_SECRET", "_KEY", "_TOKEN"]
            .iter()
            .any(|end| k.ends_with(end)) =>
        {
            Some("pw".to_string())
        }
        _ => None,
    };
    let c = Config::parse(&out, Path::new("/etc/mallhost"), &env).unwrap();
    let mail = c.alerts.email.as_ref().expect("the e-mail keys are read");
    assert_eq!(mail.to, vec!["ops@shop.example".to_string()]);
    assert_eq!(mail.smtp_port, 587);
    assert!(c.alerts.webhook_url.is_some());
    assert_eq!(c.console.trusted_proxies.len(), 1);
    assert_eq!(c.console.session_hours, 12);
}

#[test]
fn label_settings_are_checked_naming_the_key_and_the_fix() {
    let bad = |labels: &str| {
        let e = parse(&format!("{GOOD}\n[shops.labels]\n{labels}\n"))
            .expect_err("refused")
            .to_string();
        assert!(e.contains("shop \"dshop\""), "{e}");
        e
    };
    assert!(bad("b2_customer_code = \"abc\"").contains("labels.b2_customer_code"));
    assert!(bad("b2_freight_no = \"1\"").contains("two digits"));
    assert!(bad("b2_slip_types = { \"ネコポス\" = \"Z\" }").contains("ネコポス"));
    assert!(bad("b2_time_slots = { \"夜\" = \"night\" }").contains("four digits"));
    assert!(bad("replace = { \"ab\" = \"c\" }").contains("one character"));
    assert!(bad("ehiden_time_slots = { \"夜\" = \"1820\" }").contains("labels.ehiden_time_slots"));
    assert!(bad("ehiden_speeds = { \"飛脚便\" = \"fast\" }").contains("スピード指定"));
    assert!(bad("ehiden_customer_code = \"x1\"").contains("お客様コード"));
    assert!(bad("formats = { yamato = \"pdf\" }").contains("b2, ehiden, yupri or clickpost"));
    let ok = parse(&format!(
        "{GOOD}\n[shops.labels]\nreplace = {{ \"髙\" = \"高\" }}\nformats = {{ japanpost = \"clickpost\", seino = \"b2\" }}\n"
    ))
    .expect("loads");
    assert_eq!(ok.shops[0].labels.replace[&'髙'], "高");
    assert_eq!(ok.shops[0].labels.b2_freight_no, "01");
    let l = &ok.shops[0].labels;
    assert_eq!(
        l.format_of("japanpost"),
        Some("clickpost"),
        "the shop's over the default"
    );
    assert_eq!(l.format_of("sagawa"), Some("ehiden"), "the default");
    assert_eq!(l.format_of("seino"), Some("b2"));
    assert_eq!(l.format_of("fukuyama"), None);
}

#[test]
fn the_password_never_shows() {
    let c = parse(GOOD).unwrap();
    let shown = format!("{:?} {}", c, c.shops[0].credentials["api_password"]);
    assert!(!shown.contains("s3cret"), "{shown}");
}

#[test]
fn a_relative_database_is_relative_to_the_config_file() {
    let c = parse(&format!("database_url = \"sqlite://data/mh.db\"\n{GOOD}")).unwrap();
    assert_eq!(c.database_url, "sqlite:///srv/mh/data/mh.db");
    let pg = Config::parse(
        &format!("database_url_env = \"DB\"\n{GOOD}"),
        Path::new("/srv/mh"),
        &|k| match k {
            "DB" => Some("postgres://app:s3cret@db:5432/shop".to_string()),
            _ => env(k),
        },
    )
    .unwrap();
    assert_eq!(
        pg.database_url.as_str(),
        "postgres://app:s3cret@db:5432/shop"
    );
    let shown = format!("{pg:?} {}", pg.database_url);
    assert!(
        !shown.contains("s3cret") && shown.contains("app:***@db"),
        "{shown}"
    );
    for (text, key) in [
        ("database_url_env = \"NOPE\"", "database_url_env"),
        ("database_url = \"postgres://db:5432\"", "database_url"),
        ("database_url = \"mysql://db/shop\"", "database_url"),
    ] {
        match parse(&format!("{text}\n{GOOD}")) {
            Err(ConfigError::Global { key: k, .. }) => assert_eq!(k, key, "{text}"),
            other => panic!("{text}: {other:?}"),
        }
    }
    assert_eq!(c.sqlite_file(), Some(PathBuf::from("/srv/mh/data/mh.db")));
    let c = parse(&format!(
        "database_url = \"sqlite:///var/mh.db?mode=rwc\"\n{GOOD}"
    ))
    .unwrap();
    assert_eq!(c.sqlite_file(), Some(PathBuf::from("/var/mh.db")));
}

#[test]
fn a_database_that_would_lose_orders_is_refused() {
    for url in [
        "sqlite::memory:",
        "sqlite://",
        "sqlite:",
        "sqlite://:memory:",
        "sqlite://orders.db?mode=memory",
        "sqlite://?mode=rwc",
    ] {
        let text = format!("database_url = {url:?}\n{GOOD}");
        match parse(&text) {
            Err(ConfigError::Global { key, problem, .. }) => {
                assert_eq!(key, "database_url");
                assert!(
                    problem.contains("lost") || problem.contains("no database"),
                    "{url}: {problem}"
                );
            }
            other => panic!("{url}: {other:?}"),
        }
    }
    assert!(
        parse(&format!(
            "database_url = \"sqlite:///var/lib/mh.db?mode=rwc\"\n{GOOD}"
        ))
        .is_ok()
    );
}

#[test]
fn sync_values_outside_their_range_are_refused_naming_the_range() {
    for (line, key) in [
        ("backoff_ms = 18446744073709551615", "sync.backoff_ms"),
        ("backoff_ms = 0", "sync.backoff_ms"),
        (
            "max_retry_after_secs = 9223372036854775807",
            "sync.max_retry_after_secs",
        ),
        ("rate_limit_waits = 1000000", "sync.rate_limit_waits"),
        ("transient_retries = 1000", "sync.transient_retries"),
        ("max_wait_per_run_secs = 0", "sync.max_wait_per_run_secs"),
        ("lease_secs = 1", "sync.lease_secs"),
        ("workers = 0", "sync.workers"),
    ] {
        match parse(&format!("[sync]\n{line}\n{GOOD}")) {
            Err(ConfigError::Global {
                key: k,
                problem,
                fix,
            }) => {
                assert_eq!(k, key);
                assert!(
                    problem.contains("outside") && fix.contains("from"),
                    "{problem}; {fix}"
                );
            }
            other => panic!("{line}: {other:?}"),
        }
    }
    let c = parse(&format!(
        "[sync]\nlease_secs = 30\nmax_wait_per_run_secs = 60\n{GOOD}"
    ))
    .unwrap();
    assert_eq!(c.sync.lease, Duration::from_secs(30));
    assert_eq!(c.sync.max_wait_per_run, Duration::from_secs(60));
}

#[test]
fn plugin_ceilings_must_be_within_the_hosts_own() {
    let c = parse(&format!("[plugin_ceilings]\nmemory_mib = 128\n{GOOD}")).unwrap();
    assert_eq!(c.plugin_ceilings.memory_mib, Some(128));
    match parse(&format!("[plugin_ceilings]\nmemory_mib = 4096\n{GOOD}")) {
        Err(ConfigError::Global { key, problem, .. }) => {
            assert_eq!(key, "plugin_ceilings");
            assert!(problem.contains("512"), "{problem}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_syntax_error_never_echoes_the_line_with_a_secret() {
    // Seven ways to break the line that holds an inline secret, or the one next to it.
    let secret = "pw-9f8e7d6c";
    for broken in [
        format!("api_password = \"{secret}"),
        format!("api_password = {secret}"),
        format!("api_password = \"{secret}\" x"),
        format!("api_password = \"{secret}\"\napi_password = \"{secret}\""),
        format!("api_password = \"{secret}\"]"),
        format!("api_password = '{secret}"),
        format!("api_password = \"{secret}\"\n= 1"),
    ] {
        let text = format!("[[shops]]\nid = \"s\"\n[shops.credentials]\n{broken}\n");
        let e = parse(&text).unwrap_err().to_string();
        assert!(!e.contains(secret), "{e}");
        assert!(e.contains("line "), "the error still says where: {e}");
    }
}

fn shop_error(text: &str) -> (String, String, String) {
    match parse(text).unwrap_err() {
        ConfigError::Shop { shop, key, fix, .. } => (shop, key, fix),
        other => panic!("expected a shop error, got {other}"),
    }
}

#[test]
fn errors_name_shop_key_and_fix() {
    let (shop, key, fix) = shop_error(&GOOD.replace("awaiting_shipment", "shipping"));
    assert_eq!((shop.as_str(), key.as_str()), ("dshop", "stored_status"));
    assert!(fix.contains("awaiting_shipment (出荷待ち)"), "{fix}");

    let (_, key, _) = shop_error(&GOOD.replace("fetch_days = 14", "fetch_days = 0"));
    assert_eq!(key, "fetch_days");
    let (_, key, _) = shop_error(&GOOD.replace("fetch_days = 14", "fetch_days = 400"));
    assert_eq!(key, "fetch_days");

    let (_, key, fix) = shop_error(&GOOD.replace("DSHOP_PW", "MISSING_PW"));
    assert_eq!(key, "api_password_env");
    assert!(fix.contains("export MISSING_PW="), "{fix}");

    let (_, key, _) = shop_error(&GOOD.replace("\"01\"", "\" \""));
    assert_eq!(key, "carrier_ids");

    let (_, key, _) = shop_error(&GOOD.replace("https://api.mymall.example/v1/", "ftp:nothing"));
    assert_eq!(key, "base_url");

    let (_, key, _) = shop_error(&format!("{GOOD}{GOOD}"));
    assert_eq!(key, "id", "two shops with one id");
}

#[test]
fn the_pace_is_the_malls_unless_the_shop_says_otherwise() {
    assert_eq!(parse(GOOD).unwrap().shops[0].pace, Pace::Mall);
    let with = |p: &str| {
        parse(&GOOD.replace(
            "fetch_days = 14",
            &format!("fetch_days = 14\npace = \"{p}\""),
        ))
    };
    assert_eq!(with("off").unwrap().shops[0].pace, Pace::Off);
    assert_eq!(with("20/s").unwrap().shops[0].pace, Pace::PerSecond(20));
    let e = with("fast").unwrap_err().to_string();
    assert!(e.contains("`pace`") && e.contains("N/s"), "{e}");
    assert!(with("0/s").is_err());
}

#[test]
fn carriers_without_ids_and_bad_intervals_are_refused() {
    let (_, key, fix) =
        shop_error(&GOOD.replace("\"宅配便\" = \"yamato\"", "\"宅配便\" = \"sagawa\""));
    assert_eq!(key, "delivery_methods");
    assert!(fix.contains("sagawa = "), "{fix}");
    let (_, key, _) = shop_error(&GOOD.replace(
        "fetch_days = 14",
        "fetch_days = 14\nauto_fetch = true\nauto_fetch_every = \"soon\"",
    ));
    assert_eq!(key, "auto_fetch_every");
    let (_, key, _) = shop_error(&GOOD.replace(
        "fetch_days = 14",
        "fetch_days = 14\nauto_export_every = \"2d\"",
    ));
    assert_eq!(key, "auto_export_every");
    let c = parse(&GOOD.replace(
        "fetch_days = 14",
        "fetch_days = 14\nauto_fetch = true\nauto_fetch_every = \"5m\"",
    ))
    .unwrap();
    assert_eq!(c.shops[0].auto_fetch, Some(Duration::from_secs(300)));
    assert_eq!(c.shops[0].auto_export, None, "off unless switched on");
}

#[test]
fn intervals_read_like_people_write_them() {
    assert_eq!(parse_interval("90s"), Some(Duration::from_secs(90)));
    assert_eq!(parse_interval("15m"), Some(Duration::from_secs(900)));
    assert_eq!(parse_interval("1h"), Some(Duration::from_secs(3600)));
    assert_eq!(parse_interval("250ms"), Some(Duration::from_millis(250)));
    assert_eq!(parse_interval("15"), None);
    assert_eq!(parse_interval("m"), None);
}

#[test]
fn unknown_keys_are_refused_with_their_place() {
    let e = parse(&GOOD.replace("fetch_days", "fetch_dayz"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("fetch_dayz"), "{e}");
}

#[test]
fn a_plain_setting_may_come_from_a_file() {
    // Issue 24, finding 1: a public key in PEM had to be pasted into the TOML, since plain settings
    // had no `_file`.
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("store_public.pem");
    let key = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqh\n-----END PUBLIC KEY-----";
    std::fs::write(&pem, format!("{key}\n")).unwrap();
    let with = |settings: &str| {
        parse(&format!(
            "{GOOD}\n[shops.settings]\nseller = \"store-1\"\n{settings}\n"
        ))
    };
    let c = with(&format!(
        "public_key_file = {:?}",
        pem.display().to_string()
    ))
    .unwrap();
    assert_eq!(
        c.shops[0].settings["public_key"], key,
        "the file's text, no newline after"
    );
    assert_eq!(c.shops[0].settings["seller"], "store-1");
    assert!(!c.shops[0].settings.contains_key("public_key_file"));
    let missing = with("public_key_file = \"/nonexistent/key.pem\"")
        .unwrap_err()
        .to_string();
    assert!(
        missing.contains("settings.public_key_file") && missing.contains("cannot be read"),
        "{missing}"
    );
    let twice = with(&format!(
        "public_key = \"x\"\npublic_key_file = {:?}",
        pem.display().to_string()
    ))
    .unwrap_err()
    .to_string();
    assert!(twice.contains("a second time"), "{twice}");
}
