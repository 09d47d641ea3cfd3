//! A plugin's manifest (`NAME.toml` beside `NAME.wasm`): which mall and version the component
//! is, its sha256, the hosts it may ever call, and its limits. A component whose digest, mall or
//! version disagrees with its manifest is refused.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Plugin;
use super::limits::{LimitsSpec, PluginLimits};

/// A plugin manifest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The mall id the plugin serves.
    pub mall: String,
    /// The plugin's version.
    pub version: String,
    /// Hex sha256 of the `.wasm` file.
    pub sha256: String,
    /// Host names the plugin may call (`*` for any, `*.example.jp` for a domain); a request must
    /// also be to an origin the shop allows. Empty: none.
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
    /// Limits; missing keys keep the host's defaults.
    #[serde(default)]
    pub limits: LimitsSpec,
}

impl Manifest {
    /// The manifest path beside a component: same stem, `.toml`.
    pub fn beside(wasm: &Path) -> PathBuf {
        wasm.with_extension("toml")
    }

    /// Reads a manifest.
    pub fn load(path: &Path) -> Result<Manifest, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read manifest {}: {e}", path.display()))?;
        Manifest::parse(&text, &path.display().to_string())
    }

    /// Parses and checks a manifest's text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Manifest, String> {
        let m: Manifest =
            toml::from_str(text).map_err(|e| format!("manifest {origin} is not valid: {e}"))?;
        check_mall_id(&m.mall)
            .and_then(|()| check_version(&m.version))
            .map_err(|e| format!("manifest {origin}: {e}"))?;
        m.limits
            .check()
            .map_err(|e| format!("manifest {origin}: {e}"))?;
        Ok(m)
    }

    /// The manifest of a prepared component, as `mallhost plugins manifest` writes it: its mall,
    /// version and sha256, `allowed_hosts`, and the host's default limits spelled out for the
    /// reviewer to lower.
    pub fn template(plugin: &Plugin, allowed_hosts: Vec<String>) -> Result<String, String> {
        let m = Manifest {
            mall: plugin.info().mall_id.clone(),
            version: plugin.info().plugin_version.clone(),
            sha256: plugin.digest().to_string(),
            allowed_hosts,
            limits: LimitsSpec::from(PluginLimits::default()),
        };
        let body = toml::to_string(&m).map_err(|e| e.to_string())?;
        Ok(format!(
            "# Manifest of {}, written by `mallhost plugins manifest`.\n\
             # [limits] shows the host's defaults: lower them to taste.\n{body}",
            plugin.path().display()
        ))
    }

    /// Whether the manifest lets the plugin call `host`.
    pub fn allows_host(&self, host: &str) -> bool {
        crate::capabilities::http::host_matches(&self.allowed_hosts, host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_parse_with_limits() {
        let m: Manifest = toml::from_str(
            "mall = \"mymall\"\nversion = \"0.1.0\"\nsha256 = \"ab\"\nallowed_hosts = [\"*\"]\n[limits]\nmemory_mib = 32\n",
        )
        .unwrap();
        assert_eq!(m.limits.memory_mib, Some(32));
        assert!(
            toml::from_str::<Manifest>(
                "mall = \"x\"\nversion = \"1\"\nsha256 = \"ab\"\nmemroy = 1\n"
            )
            .is_err()
        );
    }
}

/// A mall id as a plugin or manifest may give it: `[a-z0-9-]`, 1 to 40 characters.
pub fn check_mall_id(id: &str) -> Result<(), String> {
    let ok = (1..=40).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "mall id {:?}, which is not 1 to 40 of a-z, 0-9 and -",
            id.escape_debug().to_string()
        ))
    }
}

/// A version as semver writes it: `MAJOR.MINOR.PATCH`, optionally `-pre` and `+build` of
/// `[0-9A-Za-z.-]`, at most 64 characters.
pub fn check_version(v: &str) -> Result<(), String> {
    let (core, rest) = match v.find(['-', '+']) {
        Some(i) => (&v[..i], &v[i + 1..]),
        None => (v, ""),
    };
    let core_ok = core.split('.').count() == 3
        && core
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let rest_ok = rest
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+'))
        && !rest.contains("..");
    if core_ok && rest_ok && v.len() <= 64 {
        Ok(())
    } else {
        Err(format!(
            "version {:?}, which is not a semver version (e.g. 1.2.3)",
            v.escape_debug().to_string()
        ))
    }
}

#[cfg(test)]
mod name_tests {
    use super::*;

    #[test]
    fn mall_ids_and_versions_cannot_name_a_path() {
        for ok in ["mymall", "my-mall-2", "m"] {
            assert!(check_mall_id(ok).is_ok(), "{ok}");
        }
        for bad in ["", "../../x", "/etc", "Mall", "a/b", "a.b", &"x".repeat(41)] {
            assert!(check_mall_id(bad).is_err(), "{bad}");
        }
        for ok in ["0.1.0", "1.2.3-rc.1", "6.6.6+build.7"] {
            assert!(check_version(ok).is_ok(), "{ok}");
        }
        for bad in [
            "../../../y",
            "1.2",
            "1.2.3/../../x",
            "/1.2.3",
            "1.2.3-..",
            "v1.2.3",
        ] {
            assert!(check_version(bad).is_err(), "{bad}");
        }
    }
}
