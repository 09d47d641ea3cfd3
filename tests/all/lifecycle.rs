//! Installing, refusing, caching, swapping and rolling back plugins.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use mallhost::runtime::{CompiledCache, PluginDir, PluginLimits, Runtime, RuntimeError};
use mallhost_tests::{Options, TestEnv, dshopping_variant, plugin_path, variant, write_plugin};

#[tokio::test]
async fn a_bad_component_is_refused_and_the_running_version_stays() {
    let env = TestEnv::start(Options::default()).await;
    let dir = PluginDir::new(env.dir.path().join("installed"));
    std::fs::create_dir_all(env.dir.path().join("installed")).unwrap();
    let bytes = std::fs::read(plugin_path()).unwrap();
    let good = write_plugin(
        env.dir.path(),
        "good",
        &bytes,
        "dshopping",
        &mallhost_tests::dshopping_version(),
        None,
        "",
    );
    let first = dir.install(&env.runtime, &good, None).await.unwrap();

    // The digest does not match the manifest.
    let other = variant(&bytes, 1);
    let bad = write_plugin(
        env.dir.path(),
        "tampered",
        &other,
        "dshopping",
        &mallhost_tests::dshopping_version(),
        Some(&mallhost::digest::sha256_hex(&bytes)),
        "",
    );
    let e = dir.install(&env.runtime, &bad, None).await.unwrap_err();
    assert!(
        matches!(&e, RuntimeError::Load { message, .. } if message.contains("sha256")),
        "{e}"
    );

    // A component without the connector export (an empty component).
    let empty = b"\0asm\x0d\x00\x01\x00".to_vec();
    let none = write_plugin(
        env.dir.path(),
        "empty",
        &empty,
        "dshopping",
        &mallhost_tests::dshopping_version(),
        None,
        "",
    );
    let e = dir.install(&env.runtime, &none, None).await.unwrap_err();
    assert!(
        matches!(&e, RuntimeError::Incompatible { message, .. }
            if message.contains("mallhost:connector/connector@0.2.0")
                && message.contains("@0.1.0")),
        "{e}"
    );

    // A manifest naming another mall or version.
    let liar = write_plugin(
        env.dir.path(),
        "liar",
        &other,
        "dshopping",
        "9.9.9",
        None,
        "",
    );
    let e = dir.install(&env.runtime, &liar, None).await.unwrap_err();
    assert!(
        e.to_string().contains("its manifest says dshopping@9.9.9"),
        "{e}"
    );

    // Limits above the host's ceilings (2 GiB of memory, endless CPU).
    for (limits, says) in [
        ("[limits]\nmemory_mib = 2048\n", "ceiling of 512 MiB"),
        ("[limits]\ncpu_ms = 18446744073709551615\n", "cpu_ms"),
    ] {
        let greedy = write_plugin(
            env.dir.path(),
            "greedy",
            &other,
            "dshopping",
            &mallhost_tests::dshopping_version(),
            None,
            limits,
        );
        let e = dir.install(&env.runtime, &greedy, None).await.unwrap_err();
        assert!(e.to_string().contains(says), "{e}");
    }
    // The config's own, lower ceilings.
    let strict = Runtime::new(env.app.clock.clone(), PluginLimits::default())
        .unwrap()
        .with_ceilings(mallhost::runtime::LimitsSpec {
            memory_mib: Some(32),
            ..Default::default()
        });
    let modest = write_plugin(
        env.dir.path(),
        "modest",
        &other,
        "dshopping",
        &mallhost_tests::dshopping_version(),
        None,
        "[limits]\nmemory_mib = 48\n",
    );
    let e = dir.install(&strict, &modest, None).await.unwrap_err();
    assert!(e.to_string().contains("[plugin_ceilings] of 32 MiB"), "{e}");

    assert_eq!(
        env.runtime.plugin("dshopping").unwrap().digest(),
        first.digest(),
        "the running version stays"
    );
}

#[tokio::test]
async fn a_restart_loads_the_compiled_cache_and_rollback_returns_the_previous_version() {
    let env = TestEnv::start(Options::default()).await;
    let root = env.dir.path().join("installed");
    std::fs::create_dir_all(&root).unwrap();
    let dir = PluginDir::new(&root);
    let (v1, _) = dshopping_variant(env.dir.path(), "v1", 1);
    let (v2, _) = dshopping_variant(env.dir.path(), "v2", 2);
    let clock: mallhost::time::SharedClock = env.clock.clone();

    // The host's key, as its key file gives it across restarts.
    let key = mallhost::hostkey::random();
    let cache = || CompiledCache::new(root.join(".cache")).with_key(key);
    let rt = Runtime::new(clock.clone(), PluginLimits::default())
        .unwrap()
        .with_cache(cache());
    let p1 = dir.install(&rt, &v1, None).await.unwrap();
    let p2 = dir.install(&rt, &v2, None).await.unwrap();
    assert!(!p2.from_cache());
    assert_ne!(p1.digest(), p2.digest());

    // A restart: the active plugin comes from the compiled cache.
    let rt2 = Runtime::new(clock.clone(), PluginLimits::default())
        .unwrap()
        .with_cache(cache());
    let loaded = dir.load(&rt2).await.unwrap();
    assert_eq!(loaded.len(), 1);
    assert_eq!(loaded[0].digest(), p2.digest());
    assert!(loaded[0].from_cache(), "no recompilation after a restart");

    // Rollback: the folder's index and a running host both return to v1.
    let back = dir.rollback(&rt2, "dshopping").await.unwrap();
    assert_eq!(back.digest(), p1.digest());
    assert_eq!(rt2.plugin("dshopping").unwrap().digest(), p1.digest());
    let rt3 = Runtime::new(clock.clone(), PluginLimits::default()).unwrap();
    let after_restart = dir.load(&rt3).await.unwrap();
    assert_eq!(
        after_restart[0].digest(),
        p1.digest(),
        "the index says v1 too"
    );
    assert!(matches!(
        dir.rollback(&rt2, "dshopping").await,
        Err(RuntimeError::NoPrevious { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swapping_the_plugin_during_a_sync_drops_and_doubles_nothing() {
    // A mall that answers 10 requests a second, so the sync takes a while.
    let env = TestEnv::start(Options {
        rate: Some(10),
        ..Options::default()
    })
    .await;
    env.dshopping().seed_bulk(env.clock.now_secs(), 1, 600);
    let bytes = std::fs::read(plugin_path()).unwrap();
    let root = env.dir.path().join("swaps");
    std::fs::create_dir_all(&root).unwrap();
    let variants: Vec<_> = (0..3)
        .map(|i| {
            write_plugin(
                &root,
                &format!("v{i}"),
                &variant(&bytes, i),
                "dshopping",
                &mallhost_tests::dshopping_version(),
                None,
                "",
            )
        })
        .collect();
    // Compile each variant once (into the shared cache), so the swaps below are quick.
    for v in &variants {
        env.runtime.load_file(v).await.unwrap();
    }
    // The swapper activates the variants in turn; each stays active until it has served a call
    // of the sync (its own call counter says so), then the next one comes in. So every swap is
    // seen by the sync, whatever the machine's speed, and the counters say which activation
    // served how many calls.
    let first_active = env.runtime.load_file(&variants[0]).await.unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let swapper = {
        let (runtime, stop, variants) = (env.runtime.clone(), stop.clone(), variants.clone());
        tokio::spawn(async move {
            let mut served = Vec::new();
            let mut active = first_active;
            let mut i = 0;
            loop {
                let base = active.calls();
                while active.calls() == base && !stop.load(Ordering::SeqCst) {
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                }
                served.push((active.digest().to_string(), active.calls() - base));
                if stop.load(Ordering::SeqCst) {
                    return served;
                }
                i += 1;
                let next = runtime
                    .load_file(&variants[i % variants.len()])
                    .await
                    .unwrap();
                assert_eq!(
                    runtime.plugin("dshopping").unwrap().digest(),
                    next.digest(),
                    "an activation makes the variant the one that serves"
                );
                active = next;
            }
        })
    };
    let first = env.fetch().await;
    let second = env.fetch().await;
    stop.store(true, Ordering::SeqCst);
    let served = swapper.await.unwrap();
    let distinct: std::collections::BTreeSet<_> = served
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(d, _)| d.clone())
        .collect();
    assert_eq!(
        distinct.len(),
        3,
        "each of the three variants served calls of the sync: {served:?}"
    );
    assert_eq!(
        first.ingested.stored.len() + second.ingested.stored.len(),
        600
    );
    assert_eq!(env.stored_count().await, 600, "every order stored once");
    assert_eq!(
        env.dshopping().acknowledged_ok(),
        600,
        "every order taken once"
    );
    let takes = env
        .dshopping()
        .calls_per_order(dshopping_emulator::Endpoint::Acknowledge);
    assert!(
        takes.len() == 600 && takes.values().all(|&c| c == 1),
        "every order asked once: {:?}",
        takes.iter().filter(|(_, c)| **c != 1).collect::<Vec<_>>()
    );
    assert_eq!(
        env.dshopping().status_counts().get("出荷指示待ち"),
        Some(&600)
    );
    let taken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM order_history WHERE event = 'taken'")
        .fetch_one(env.store.pool())
        .await
        .unwrap();
    assert_eq!(taken, 600);
}

async fn get(url: &str) -> Option<serde_json::Value> {
    let r = reqwest::Client::new().get(url).send().await.ok()?;
    serde_json::from_str(&r.text().await.ok()?).ok()
}

async fn post(url: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let r = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (
        status,
        serde_json::from_str(&r.text().await.unwrap()).unwrap_or_default(),
    )
}

/// The digest of the active d Shopping plugin, as the admin API reports it.
async fn active_digest(admin: &str) -> Option<String> {
    let list = get(&format!("{admin}/plugins")).await?;
    list.as_array()?
        .iter()
        .find(|p| p["info"]["mall_id"] == "dshopping")
        .and_then(|p| p["sha256"].as_str().map(str::to_string))
}

async fn wait_for_digest(admin: &str, want: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while active_digest(admin).await.as_deref() != Some(want) {
        assert!(
            std::time::Instant::now() < deadline,
            "serve did not switch to {want}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_swaps_plugins_installed_by_the_cli_and_through_its_admin_api() {
    // The shop fetches automatically (hourly), so the admin API has a job to show and run.
    let env = TestEnv::start(Options {
        shop_toml: "auto_fetch = true\nauto_fetch_every = \"1h\"".into(),
        ..Options::default()
    })
    .await;
    env.order_placed(1, 30);
    let bytes = std::fs::read(plugin_path()).unwrap();
    let (v1, v1_digest) = dshopping_variant(env.dir.path(), "v1", 11);
    let (v2, v2_digest) = dshopping_variant(env.dir.path(), "v2", 12);
    // Port 0: serve binds once and says where, so no port is picked and dropped first.
    let mut serve = tokio::process::Command::new(mallhost_tests::mallhost_bin())
        .arg("--config")
        .arg(env.dir.path().join("mallhost.toml"))
        .arg("--now")
        .arg(mallhost::time::Clock::now(&*env.clock).to_rfc3339())
        .args(["serve", "--admin", "127.0.0.1:0"])
        .env("MALLHOST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    use tokio::io::AsyncBufReadExt;
    // Kept open to the end: serve prints its job counters when it stops.
    let mut stdout = tokio::io::BufReader::new(serve.stdout.take().unwrap()).lines();
    let admin = {
        let line = tokio::time::timeout(std::time::Duration::from_secs(30), stdout.next_line())
            .await
            .expect("serve says where its admin API is")
            .unwrap()
            .unwrap_or_default();
        line.strip_prefix("admin API on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line}"))
            .to_string()
    };
    // Up, serving the loose plugin file.
    wait_for_digest(&admin, &mallhost::digest::sha256_hex(&bytes)).await;

    // Installed by another process: the watched folder swaps it in.
    let (ok, _, err) = env.cli(&["plugins", "install", v1.to_str().unwrap()]).await;
    assert!(ok, "{err}");
    wait_for_digest(&admin, &v1_digest).await;

    // Through the admin API: install, then roll back.
    let (status, body) = post(
        &format!("{admin}/plugins/install"),
        serde_json::json!({ "wasm": v2 }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(active_digest(&admin).await.unwrap(), v2_digest.clone());
    let (status, body) = post(
        &format!("{admin}/plugins/rollback"),
        serde_json::json!({ "mall": "dshopping" }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(active_digest(&admin).await.unwrap(), v1_digest.clone());
    // A bad install through the API is refused and changes nothing.
    let (status, body) = post(
        &format!("{admin}/plugins/install"),
        serde_json::json!({ "wasm": env.dir.path().join("nope.wasm") }),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"].as_str().unwrap_or("").contains("manifest"),
        "{body}"
    );

    // The jobs: the hourly fetch ran once at start; a run asked for through the API runs now.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let jobs = get(&format!("{admin}/jobs")).await.unwrap();
        let runs = jobs[0]["runs"].as_u64().unwrap_or(0);
        if runs >= 1 {
            assert_eq!(jobs[0]["shop"], "dshop", "{jobs}");
            assert_eq!(jobs[0]["job"], "fetch", "{jobs}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no run: {jobs}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        env.dshopping().status_counts().get("出荷指示待ち"),
        Some(&1)
    );
    env.order_placed(2, 30);
    let (status, body) = post(
        &format!("{admin}/jobs/run"),
        serde_json::json!({ "shop": "dshop", "job": "fetch" }),
    )
    .await;
    // Started, not waited for: the answer names the run, which ends on its own.
    assert_eq!(status, 202, "{body}");
    let run = body["run"].as_i64().expect("a run id");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let r = get(&format!("{admin}/runs/{run}")).await.unwrap();
        if r["outcome"] == "ok" {
            assert_eq!(
                (&r["shop"], &r["job"]),
                (&serde_json::json!("dshop"), &serde_json::json!("fetch"))
            );
            break;
        }
        assert!(std::time::Instant::now() < deadline, "run {run}: {r}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        env.dshopping().status_counts().get("出荷指示待ち"),
        Some(&2),
        "the run took it"
    );
    let jobs = get(&format!("{admin}/jobs")).await.unwrap();
    assert_eq!(jobs[0]["runs"], 2, "{jobs}");
    let (status, body) = post(
        &format!("{admin}/jobs/run"),
        serde_json::json!({ "shop": "nope", "job": "fetch" }),
    )
    .await;
    assert_eq!(status, 409, "{body}");

    // Nothing earlier to roll back to.
    let (ok, _, err) = env
        .cli(&["plugins", "rollback", "--mall", "dshopping"])
        .await;
    assert!(!ok && err.contains("no earlier plugin version"), "{err}");
    let (ok, out, _) = env.cli(&["--json", "plugins"]).await;
    assert!(ok && out.contains("dshopping"), "{out}");
    // SIGTERM stops it cleanly.
    let pid = serve.id().unwrap().to_string();
    let killed = std::process::Command::new("sh")
        .args(["-c", &format!("kill -TERM {pid}")])
        .status()
        .unwrap();
    assert!(killed.success());
    let rest = tokio::spawn(async move {
        let mut text = String::new();
        while let Ok(Some(l)) = stdout.next_line().await {
            text.push_str(&l);
            text.push('\n');
        }
        text
    });
    let status = tokio::time::timeout(std::time::Duration::from_secs(20), serve.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "serve exits cleanly on SIGTERM: {status}");
    let counters = rest.await.unwrap();
    assert!(
        counters.contains("dshop"),
        "its job counters when it stops: {counters}"
    );
}

#[tokio::test]
async fn a_plugin_claiming_a_path_as_its_mall_or_version_is_refused_before_any_file_is_written() {
    let env = TestEnv::start(Options::default()).await;
    let root = env.dir.path().join("deep/er/plugins");
    std::fs::create_dir_all(&root).unwrap();
    let dir = PluginDir::new(&root);
    let bytes = std::fs::read(mallhost_tests::hostile_traversal_plugin_path()).unwrap();
    // Its manifest agrees with what the component claims.
    let wasm = write_plugin(
        env.dir.path(),
        "sly",
        &bytes,
        "../../x",
        "../../../y",
        None,
        "",
    );
    let e = dir.install(&env.runtime, &wasm, None).await.unwrap_err();
    assert!(e.to_string().contains("../../x"), "{e}");
    let written: Vec<_> = walk(env.dir.path())
        .into_iter()
        .filter(|p| p.ends_with("x") || p.ends_with("y"))
        .collect();
    assert!(written.is_empty(), "nothing written outside: {written:?}");
    assert!(!root.join("installed.toml").exists(), "nothing recorded");
    // An index naming a path outside the folder is refused, not followed.
    std::fs::write(
        root.join("installed.toml"),
        "[malls.dshopping]\nactive = \"../../../../etc/passwd\"\n",
    )
    .unwrap();
    let e = dir.load(&env.runtime).await.unwrap_err();
    assert!(e.to_string().contains("not a plain path"), "{e}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}

#[tokio::test]
async fn loose_files_load_only_for_development_never_through_a_link_nor_over_an_installed_one() {
    let env = TestEnv::start(Options::default()).await;
    let bytes = std::fs::read(plugin_path()).unwrap();
    let root = env.dir.path().join("p");
    std::fs::create_dir_all(&root).unwrap();
    let rt = || {
        Runtime::new(env.app.clock.clone(), PluginLimits::default())
            .unwrap()
            .with_cache(mallhost_tests::shared_cache())
    };
    // A loose component claiming a mall: ignored by a production host.
    std::fs::write(root.join("dshopping.wasm"), &bytes).unwrap();
    let r = rt();
    assert!(PluginDir::new(&root).load(&r).await.unwrap().is_empty());
    assert!(r.plugin("dshopping").is_err(), "not loaded");
    // Loaded with the development flag.
    let r = rt();
    let loaded = PluginDir::new(&root)
        .with_loose_files(true)
        .load(&r)
        .await
        .unwrap();
    assert_eq!(loaded.len(), 1);
    // A link to a component outside the folder: never followed, flag or not.
    std::fs::remove_file(root.join("dshopping.wasm")).unwrap();
    let outside = env.dir.path().join("outside.wasm");
    std::fs::write(&outside, &bytes).unwrap();
    std::os::unix::fs::symlink(&outside, root.join("linked.wasm")).unwrap();
    let r = rt();
    assert!(
        PluginDir::new(&root)
            .with_loose_files(true)
            .load(&r)
            .await
            .unwrap()
            .is_empty(),
        "the link is not followed"
    );
    // An installed plugin of the mall: a loose file does not replace it.
    std::fs::remove_file(root.join("linked.wasm")).unwrap();
    let dir = PluginDir::new(&root).with_loose_files(true);
    let (installed_file, installed_digest) = dshopping_variant(env.dir.path(), "real", 3);
    let r = rt();
    dir.install(&r, &installed_file, None).await.unwrap();
    std::fs::write(root.join("sneaky.wasm"), variant(&bytes, 9)).unwrap();
    let r = rt();
    dir.load(&r).await.unwrap();
    assert_eq!(r.plugin("dshopping").unwrap().digest(), installed_digest);
}

#[tokio::test]
async fn a_compiled_entry_the_host_did_not_make_is_never_run() {
    let env = TestEnv::start(Options::default()).await;
    let cache_dir = env.dir.path().join("cache");
    let key = mallhost::hostkey::random();
    let clock: mallhost::time::SharedClock = env.clock.clone();
    let runtime = |key: [u8; 32]| {
        Runtime::new(clock.clone(), PluginLimits::default())
            .unwrap()
            .with_cache(CompiledCache::new(&cache_dir).with_key(key))
    };
    let genuine = plugin_path();
    let hostile = mallhost_tests::hostile_plugin_path();
    let rt = runtime(key);
    let g = rt.prepare(&genuine, None).await.unwrap();
    rt.prepare(&hostile, None).await.unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&cache_dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the cache folder is private: {mode:o}");
    }
    let entry = |digest: &str| {
        std::fs::read_dir(&cache_dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.extension().is_some_and(|x| x == "cwasm")
                    && p.file_name().unwrap().to_string_lossy().starts_with(digest)
            })
            .unwrap()
    };
    let genuine_entry = entry(g.digest());
    let hostile_digest = mallhost::digest::sha256_hex(&std::fs::read(&hostile).unwrap());
    // Someone copies the hostile component's compiled code (and its MAC) over the genuine one.
    std::fs::copy(entry(&hostile_digest), &genuine_entry).unwrap();
    std::fs::copy(
        entry(&hostile_digest).with_extension("mac"),
        genuine_entry.with_extension("mac"),
    )
    .unwrap();
    let p = runtime(key).prepare(&genuine, None).await.unwrap();
    assert!(!p.from_cache(), "the poisoned entry is not used");
    assert_eq!(p.info().mall_id, "dshopping", "the genuine code runs");
    // The entry was replaced: the next start loads the genuine one from the cache.
    let again = runtime(key).prepare(&genuine, None).await.unwrap();
    assert!(again.from_cache());
    assert_eq!(again.info().mall_id, "dshopping");
    // An entry signed under another key (another host's, or none) is not trusted either.
    let other = runtime(mallhost::hostkey::random())
        .prepare(&genuine, None)
        .await
        .unwrap();
    assert!(!other.from_cache());
    // Nor one others may write.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // The other key's entry sits beside this key's, which it did not replace.
        let fresh = runtime(key).prepare(&genuine, None).await.unwrap();
        assert!(
            fresh.from_cache(),
            "this key's entry is intact beside the other key's"
        );
        std::fs::set_permissions(&genuine_entry, std::fs::Permissions::from_mode(0o666)).unwrap();
        let loose = runtime(key).prepare(&genuine, None).await.unwrap();
        assert!(!loose.from_cache(), "a world-writable entry is not trusted");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn installs_and_rollbacks_on_one_host_reach_another_through_the_database() {
    let Some(server) = mallhost_tests::database::postgres_only("the shared plugin index") else {
        return;
    };
    if !mallhost_tests::first_pass("the shared plugin index") {
        return;
    }
    let env = TestEnv::start(Options {
        postgres: Some(server),
        ..Options::default()
    })
    .await;
    let (v1, v1_digest) = dshopping_variant(env.dir.path(), "v1", 21);
    let (v2, v2_digest) = dshopping_variant(env.dir.path(), "v2", 22);
    let (v3, v3_digest) = dshopping_variant(env.dir.path(), "v3", 23);
    // Host B: the same database, a plugins folder of its own, empty.
    let text = std::fs::read_to_string(env.dir.path().join("mallhost.toml")).unwrap();
    let b_config = env.dir.path().join("b.toml");
    std::fs::write(
        &b_config,
        text.replace("plugins_dir = \"plugins\"", "plugins_dir = \"plugins-b\""),
    )
    .unwrap();
    std::fs::create_dir_all(env.dir.path().join("plugins-b")).unwrap();

    // Installed on host A: B starts with it, fetched from the database.
    let (ok, _, err) = env.cli(&["plugins", "install", v1.to_str().unwrap()]).await;
    assert!(ok, "{err}");
    let (mut b, admin) = env.serve_with_admin(&b_config).await;
    assert_eq!(
        active_digest(&admin).await.as_deref(),
        Some(v1_digest.as_str())
    );
    let fetched = env.dir.path().join(format!(
        "plugins-b/dshopping/{}-{}.wasm",
        mallhost_tests::dshopping_version(),
        &v1_digest[..8]
    ));
    assert_eq!(
        mallhost::digest::sha256_hex(&std::fs::read(&fetched).unwrap()),
        v1_digest,
        "B's folder holds the component, checked"
    );

    // A newer one installed on A reaches the running B; a rollback on A too.
    let (ok, _, err) = env.cli(&["plugins", "install", v2.to_str().unwrap()]).await;
    assert!(ok, "{err}");
    wait_for_digest(&admin, &v2_digest).await;
    let (ok, _, err) = env
        .cli(&["plugins", "rollback", "--mall", "dshopping"])
        .await;
    assert!(ok, "{err}");
    wait_for_digest(&admin, &v1_digest).await;

    // A component whose bytes do not match its digest is never written nor run: B keeps v1.
    let mut forged = std::fs::read(&v3).unwrap();
    let last = forged.len() - 1;
    forged[last] ^= 0xff;
    let manifest = std::fs::read_to_string(v3.with_extension("toml")).unwrap();
    sqlx::query(
        "INSERT INTO plugin_components (digest, mall_id, version, component, manifest, added_at)
         VALUES ($1, 'dshopping', $2, $3, $4, '2026-11-29T00:00:00Z')",
    )
    .bind(&v3_digest)
    .bind(mallhost_tests::dshopping_version())
    .bind(forged)
    .bind(manifest)
    .execute(env.store.pool())
    .await
    .unwrap();
    sqlx::query("UPDATE plugin_index SET active = $1 WHERE mall_id = 'dshopping'")
        .bind(&v3_digest)
        .execute(env.store.pool())
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    assert_eq!(
        active_digest(&admin).await.as_deref(),
        Some(v1_digest.as_str())
    );
    assert!(
        !env.dir
            .path()
            .join(format!(
                "plugins-b/dshopping/{}-{}.wasm",
                mallhost_tests::dshopping_version(),
                &v3_digest[..8]
            ))
            .exists(),
        "the forged component was not written"
    );
    let _ = b.start_kill();
    let _ = b.wait().await;
}
