//! A shop's settings checked against what its plugin declares: every required setting given,
//! secrets only under `[shops.credentials]` and plain ones only under `[shops.settings]`, no
//! unknown key, an expiry date for each secret that expires, and every carrier id one of the
//! mall's codes. Run when plugins load (`app`) and for `mallhost shops`; the config alone cannot
//! know a plugin's declaration.

use crate::config::{ConfigError, ShopConfig};
use crate::connector::{Carrier, PluginInfo, SettingSpec};

/// [`check_shop`] against a loaded plugin's declaration.
pub fn check_shop_against(shop: &ShopConfig, info: &PluginInfo) -> Result<(), ConfigError> {
    check_shop(
        shop,
        &info.label(),
        &info.settings,
        &info.capabilities.carriers,
    )
}

/// Checks the shop's settings against what its plugin declares (`plugin` names it in
/// errors): every required one given, secrets only under `[shops.credentials]` and plain
/// ones only under `[shops.settings]`, no unknown key, an expiry date for each secret that
/// expires, and every carrier id one of the mall's codes (when the plugin publishes them).
pub fn check_shop(
    shop: &ShopConfig,
    plugin: &str,
    specs: &[SettingSpec],
    carriers: &[Carrier],
) -> Result<(), ConfigError> {
    let err = |key: String, problem: String, fix: String| ConfigError::Shop {
        shop: shop.id.clone(),
        key,
        problem,
        fix,
    };
    let known = |secret: bool| {
        let names: Vec<&str> = specs
            .iter()
            .filter(|s| s.secret == secret)
            .map(|s| s.name.as_str())
            .collect();
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    };
    for name in shop.settings.keys() {
        match specs.iter().find(|s| &s.name == name) {
            Some(spec) if spec.secret => {
                return Err(err(
                    format!("settings.{name}"),
                    format!("is a secret for {plugin}"),
                    format!("move it to [shops.credentials] as {name}_env = \"<variable>\""),
                ));
            }
            Some(_) => {}
            None => {
                return Err(err(
                    format!("settings.{name}"),
                    format!("is not a setting of {plugin}"),
                    format!("remove it; the settings it knows: {}", known(false)),
                ));
            }
        }
    }
    for name in shop.credentials.keys().chain(shop.expiries.keys()) {
        match specs.iter().find(|s| &s.name == name) {
            Some(spec) if !spec.secret => {
                return Err(err(
                    format!("credentials.{name}"),
                    format!("is not a secret for {plugin}"),
                    format!("move it to [shops.settings] as {name} = \"…\""),
                ));
            }
            Some(_) => {}
            None => {
                return Err(err(
                    format!("credentials.{name}"),
                    format!("is not a credential of {plugin}"),
                    format!("remove it; the credentials it knows: {}", known(true)),
                ));
            }
        }
    }
    if !shop.order_api {
        return Ok(());
    }
    for spec in specs {
        let given = if spec.secret {
            shop.credentials.contains_key(&spec.name)
        } else {
            shop.settings.contains_key(&spec.name)
        };
        if spec.required && !given {
            let (table, example) = if spec.secret {
                ("credentials", format!("{}_env = \"<variable>\"", spec.name))
            } else {
                ("settings", format!("{} = \"…\"", spec.name))
            };
            return Err(err(
                format!("{table}.{}", spec.name),
                format!(
                    "is missing ({} needs {}, {})",
                    plugin, spec.label, spec.help
                ),
                format!("add {example} under [shops.{table}]"),
            ));
        }
        if spec.secret && spec.expires && given && !shop.expiries.contains_key(&spec.name) {
            return Err(err(
                format!("credentials.{}_expires", spec.name),
                format!("is missing: {} ({}) expires", spec.name, spec.label),
                format!(
                    "add {}_expires = \"YYYY-MM-DD\" (the date {})",
                    spec.name, spec.help
                ),
            ));
        }
    }
    if !carriers.is_empty() {
        for (carrier, id) in &shop.carrier_ids {
            if !carriers.iter().any(|c| &c.id == id) {
                let codes: Vec<String> = carriers
                    .iter()
                    .map(|c| format!("{} {}", c.id, c.name))
                    .collect();
                return Err(err(
                    "carrier_ids".into(),
                    format!(
                        "gives carrier {carrier:?} the code {id:?}, which {plugin} does not know"
                    ),
                    format!("use one of the mall's codes: {}", codes.join(", ")),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::Config;

    use crate::config::testing::{GOOD, env};

    const DECLARED: &str = r#"
        [[shops]]
        id = "rshop"
        mall = "othermall"
        base_url = "https://api.mall.example"
        [shops.settings]
        seller = "S1"
        [shops.credentials]
        service_secret_env = "SV"
        license_key_file = "KEYFILE"
        license_key_expires = "2027-02-26"
    "#;

    fn specs() -> Vec<crate::connector::SettingSpec> {
        let spec = |name: &str, secret, expires| crate::connector::SettingSpec {
            name: name.into(),
            label: name.replace('_', " "),
            secret,
            required: true,
            expires,
            help: "the mall's merchant screen".into(),
        };
        vec![
            spec("seller", false, false),
            spec("service_secret", true, false),
            spec("license_key", true, true),
        ]
    }

    #[test]
    fn declared_settings_and_secrets_load_from_env_and_file_and_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("license.key");
        std::fs::write(&key, "lk-123\n").unwrap();
        let text = DECLARED.replace("KEYFILE", &key.display().to_string());
        let env = |k: &str| (k == "SV").then(|| "sv-1".to_string());
        let c = Config::parse(&text, Path::new("/srv"), &env).unwrap();
        let s = &c.shops[0];
        assert_eq!(s.settings["seller"], "S1");
        assert_eq!(s.credentials["service_secret"].expose(), "sv-1");
        assert_eq!(s.credentials["license_key"].expose(), "lk-123");
        assert_eq!(s.expiries["license_key"].to_string(), "2027-02-26");
        assert!(c.warnings.is_empty());
        check_shop(s, "othermall@1.0.0", &specs(), &[]).unwrap();

        let shop_err = |e: ConfigError| match e {
            ConfigError::Shop {
                key, problem, fix, ..
            } => (key, format!("{problem}; {fix}")),
            other => panic!("{other}"),
        };
        // A secret written as a plain setting, an unknown key, a missing one, a missing expiry.
        let mut bad = s.clone();
        bad.settings.insert("license_key".into(), "x".into());
        let (key, text) = shop_err(check_shop(&bad, "othermall@1.0.0", &specs(), &[]).unwrap_err());
        assert_eq!(key, "settings.license_key");
        assert!(
            text.contains("is a secret") && text.contains("[shops.credentials]"),
            "{text}"
        );
        let mut bad = s.clone();
        bad.settings.insert("colour".into(), "red".into());
        let (key, text) = shop_err(check_shop(&bad, "othermall@1.0.0", &specs(), &[]).unwrap_err());
        assert_eq!(key, "settings.colour");
        assert!(text.contains("seller"), "names what it knows: {text}");
        let mut bad = s.clone();
        bad.settings.remove("seller");
        let (key, _) = shop_err(check_shop(&bad, "othermall@1.0.0", &specs(), &[]).unwrap_err());
        assert_eq!(key, "settings.seller");
        let mut bad = s.clone();
        bad.expiries.clear();
        let (key, _) = shop_err(check_shop(&bad, "othermall@1.0.0", &specs(), &[]).unwrap_err());
        assert_eq!(key, "credentials.license_key_expires");
    }

    #[test]
    fn a_carrier_id_the_mall_does_not_know_is_refused_naming_shop_carrier_and_code() {
        let c = Config::parse(GOOD, Path::new("/srv/mh"), &env).unwrap();
        let carriers = vec![
            crate::connector::Carrier {
                id: "1001".into(),
                name: "ヤマト運輸".into(),
            },
            crate::connector::Carrier {
                id: "1003".into(),
                name: "日本郵便".into(),
            },
        ];
        let declared = |name: &str, secret| crate::connector::SettingSpec {
            name: name.into(),
            label: name.into(),
            secret,
            required: true,
            expires: false,
            help: String::new(),
        };
        let specs = [
            declared("partner_code", false),
            declared("api_password", true),
        ];
        let e = check_shop(&c.shops[0], "m@1", &specs, &carriers)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("shop \"dshop\"")
                && e.contains("carrier \"yamato\"")
                && e.contains("\"01\"")
                && e.contains("1001 ヤマト運輸"),
            "{e}"
        );
    }
}
