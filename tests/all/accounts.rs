//! Staff accounts and the admin API: once an account exists every call needs a token, each
//! role reaches what it may and no more, the API may then be served beyond this machine, and
//! every change is in the audit log with who made it.

use mallhost_tests::{Options, TestEnv, dshopping_variant};
use tokio::io::AsyncWriteExt;

/// `mallhost users add NAME --role ROLE` with the password on standard input.
async fn add(env: &TestEnv, name: &str, role: &str, password: &str) -> (i32, String) {
    let mut child = env
        .cli_command(&["users", "add", name, "--role", role])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{password}\n").as_bytes())
        .await
        .unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

async fn call(
    method: &str,
    url: &str,
    token: Option<&str>,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let c = reqwest::Client::new();
    let mut r = match method {
        "GET" => c.get(url),
        _ => c
            .post(url)
            .header("content-type", "application/json")
            .body(body.to_string()),
    };
    if let Some(t) = token {
        r = r.header("authorization", format!("Bearer {t}"));
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    (
        status,
        serde_json::from_str(&r.text().await.unwrap()).unwrap_or_default(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_accounts_exist_every_call_needs_a_token_each_role_its_own_and_changes_are_audited() {
    let env = TestEnv::start(Options {
        shop_toml: "auto_fetch = true\nauto_fetch_every = \"1h\"".into(),
        ..Options::default()
    })
    .await;
    let config = env.dir.path().join("mallhost.toml");
    // No admin yet: not beyond this machine.
    let (code, _, err) = env.cli_code(&["serve", "--admin", "0.0.0.0:0"]).await;
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("no admin account") && err.contains("users add"),
        "{err}"
    );

    // Accounts: a short password and an unknown role are refused, naming why.
    let (code, out) = add(&env, "ann", "admin", "short").await;
    assert!(code == 1 && out.contains("at least 12"), "{out}");
    let (code, out) = add(&env, "ann", "root", "long enough password").await;
    assert!(code == 1 && out.contains("admin, staff or viewer"), "{out}");
    for (name, role) in [("ann", "admin"), ("sam", "staff"), ("vic", "viewer")] {
        let (code, out) = add(&env, name, role, "long enough password").await;
        assert_eq!(code, 0, "{out}");
    }
    let mut tokens = std::collections::HashMap::new();
    for name in ["ann", "sam", "vic"] {
        let (ok, out, err) = env.cli(&["users", "token", name]).await;
        assert!(ok && out.trim().starts_with("mh_"), "{out}{err}");
        tokens.insert(name, out.trim().to_string());
    }
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_sha256 FROM api_tokens")
        .fetch_all(env.store.pool())
        .await
        .unwrap();
    assert!(
        tokens.values().all(|t| !stored.contains(t)),
        "only digests are kept"
    );

    // With an admin, every interface is allowed.
    let (mut serve, admin) = env.serve_with_admin_on(&config, "0.0.0.0:0").await;
    let url = |p: &str| format!("{admin}{p}");
    let (s, body) = call("GET", &url("/plugins"), None, serde_json::Value::Null).await;
    assert_eq!(s, 401, "{body}");
    assert!(body["error"].as_str().unwrap().contains("Bearer"), "{body}");
    let (s, _) = call(
        "GET",
        &url("/plugins"),
        Some("mh_forged"),
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(s, 401);
    let (s, _) = call(
        "GET",
        &url("/plugins"),
        Some(&tokens["vic"]),
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(s, 200, "a viewer reads");
    // Health stays open to monitoring.
    let (s, _) = call("GET", &url("/healthz"), None, serde_json::Value::Null).await;
    assert!(s == 200 || s == 503, "{s}");

    let job = serde_json::json!({ "shop": "dshop", "job": "fetch" });
    let (s, body) = call("POST", &url("/jobs/run"), Some(&tokens["vic"]), job.clone()).await;
    assert_eq!(s, 403, "a viewer runs no job: {body}");
    assert!(
        body["error"].as_str().unwrap().contains("vic is a viewer"),
        "{body}"
    );
    // Once the start-up fetch has ended, staff start one; it answers with the run at once.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (_, jobs) = call(
            "GET",
            &url("/jobs"),
            Some(&tokens["vic"]),
            serde_json::Value::Null,
        )
        .await;
        if jobs[0]["runs"].as_u64().unwrap_or(0) >= 1 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{jobs}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (s, body) = call("POST", &url("/jobs/run"), Some(&tokens["sam"]), job).await;
    assert_eq!(s, 202, "staff run jobs: {body}");
    assert!(body["run"].as_i64().is_some(), "{body}");

    let (v1, _) = dshopping_variant(env.dir.path(), "v1", 31);
    let install = serde_json::json!({ "wasm": v1 });
    let (s, _) = call(
        "POST",
        &url("/plugins/install"),
        Some(&tokens["sam"]),
        install.clone(),
    )
    .await;
    assert_eq!(s, 403, "staff install no plugin");
    let (s, body) = call(
        "POST",
        &url("/plugins/install"),
        Some(&tokens["ann"]),
        install,
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let (s, _) = call(
        "GET",
        &url("/audit"),
        Some(&tokens["sam"]),
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(s, 403, "the audit log is the admin's");
    let (s, log) = call(
        "GET",
        &url("/audit"),
        Some(&tokens["ann"]),
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(s, 200);
    let has = |actor: &str, action: &str| {
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["actor"] == actor && e["action"] == action)
    };
    assert!(has("user ann", "plugins.install"), "{log}");
    assert!(has("user sam", "jobs.run"), "{log}");
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "users.add" && e["actor"].as_str().unwrap().starts_with("cli ")),
        "{log}"
    );
    // The OpenAPI description, generated from the handlers: open to read, every route in it,
    // each documented route served, and the bearer scheme declared.
    let (s, doc) = call("GET", &url("/openapi.json"), None, serde_json::Value::Null).await;
    assert_eq!(s, 200);
    assert_eq!(doc["info"]["title"], "mallhost admin API");
    assert!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer",
        "{doc}"
    );
    let paths = doc["paths"].as_object().unwrap();
    for (path, methods) in [
        ("/plugins", "get"),
        ("/plugins/install", "post"),
        ("/plugins/rollback", "post"),
        ("/jobs", "get"),
        ("/jobs/run", "post"),
        ("/runs/{id}", "get"),
        ("/audit", "get"),
        ("/healthz", "get"),
        ("/metrics", "get"),
        ("/openapi.json", "get"),
    ] {
        assert!(paths[path][methods].is_object(), "{path} {methods}: {doc}");
    }
    for (path, item) in paths {
        let concrete = path.replace("{id}", "1");
        let method = if item["get"].is_object() {
            "GET"
        } else {
            "POST"
        };
        let (s, _) = call(
            method,
            &url(&concrete),
            Some(&tokens["ann"]),
            serde_json::json!({}),
        )
        .await;
        assert_ne!(s, 405, "{path} is served as documented");
        assert!(
            s != 404 || path.contains("{id}"),
            "{path} is served as documented"
        );
    }
    let (ok, out, _) = env.cli(&["audit"]).await;
    assert!(
        ok && out.contains("plugins.install") && out.contains("user ann"),
        "{out}"
    );
    let _ = serve.start_kill();
    let _ = serve.wait().await;
}
