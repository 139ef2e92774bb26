//! The small things operators expect: `--version` with the commit, shell completions and a
//! man page from the clap definition, `config check` with secrets masked.

use crate::helpers::{WAIT, paybell};

async fn run(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let output = tokio::time::timeout(WAIT, paybell(args, env).output()).await.unwrap().unwrap();
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (output.status.success(), text(&output.stdout), text(&output.stderr))
}

#[tokio::test]
async fn version_names_the_release_and_the_commit() {
    let (ok, stdout, _) = run(&["--version"], &[]).await;
    assert!(ok);
    let expected = format!("paybell {} (", env!("CARGO_PKG_VERSION"));
    assert!(stdout.starts_with(&expected), "{stdout}");
    let commit = stdout.trim().trim_start_matches(&expected).trim_end_matches(')');
    let hex = !commit.is_empty() && commit.bytes().all(|b| b.is_ascii_hexdigit());
    assert!(hex || commit == "unknown", "{stdout}");
}

#[tokio::test]
async fn completions_and_the_man_page_cover_the_subcommands() {
    for (shell, marker) in
        [("bash", "complete -F"), ("zsh", "#compdef paybell"), ("fish", "complete -c paybell")]
    {
        let (ok, stdout, stderr) = run(&["completions", shell], &[]).await;
        assert!(ok, "{stderr}");
        assert!(stdout.contains(marker), "{shell}: {stdout}");
        assert!(stdout.contains("realtime") && stdout.contains("config"), "{shell}");
    }
    let (ok, _, _) = run(&["completions", "tcsh"], &[]).await;
    assert!(!ok, "an unknown shell is refused");
    let (ok, stdout, stderr) = run(&["man"], &[]).await;
    assert!(ok, "{stderr}");
    assert!(stdout.contains(".TH paybell 1"), "{stdout}");
    assert!(stdout.contains("realtime") && stdout.contains("completions"), "{stdout}");
}

#[tokio::test]
async fn config_check_prints_the_effective_configuration_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("paybell.toml");
    std::fs::write(
        &file,
        "[realtime]\naddr = \"127.0.0.1:7001\"\n[[realtime.apps]]\nid = \"file-id\"\nkey = \"file-key\"\nsecret = \"file-secret-value\"\n",
    )
    .unwrap();
    let env = [
        ("PAYBELL_HTTP_ADDR", "127.0.0.1:9090"),
        ("PAYBELL_METRICS_TOKEN", "metrics-token-value-123"),
        ("REDIS_URL", "redis://user:redis-password-value@127.0.0.1:6379"),
        ("DATABASE_URL", "postgres://paybell:db-password-value@127.0.0.1/paybell"),
        ("PUSHER_APP_ID", "1"),
        ("PUSHER_KEY", "remote-key"),
        ("PUSHER_SECRET", "pusher-secret-value"),
        ("PUSHER_HOST", "127.0.0.1"),
        ("PUSHER_PORT", "6001"),
        ("PAYBELL_SMTP_URL", "smtps://mailer:smtp-password-value@smtp.example.com"),
        ("PAYBELL_PAYMENTS", "stripe"),
        ("STRIPE_SECRET_KEY", "sk_test_stripesecretvalue"),
        ("STRIPE_PUBLISHABLE_KEY", "pk_test_publishable"),
        ("STRIPE_WEBHOOK_SECRET", "whsec_webhooksecretvalue"),
        // Made with Python's `cryptography`, so the public key below is an independent check.
        ("PAYBELL_VAPID_PRIVATE_KEY", "_zVgVb2A1tE0iRu9-RNtfOrst-Zvm7pHrFwe1srdSx4"),
        ("PAYBELL_VAPID_SUBJECT", "mailto:ops@example.com"),
    ];
    let (ok, stdout, stderr) =
        run(&["config", "check", "--config", file.to_str().unwrap()], &env).await;
    assert!(ok, "{stderr}");
    for line in [
        "addr = 127.0.0.1:7001",
        "id = file-id",
        "addr = 127.0.0.1:9090",
        "key = remote-key",
        "smtp = smtps://smtp.example.com:465 (password ***)",
        "provider = stripe",
        "publishable_key = pk_test_publishable",
        "vapid_private_key = ***",
        "vapid_public_key = BBf1uB7UDNpOqw_DARrcXoLMvL2G2gwdiCPV3_aL208yY_reRbyENS7viMALgvEcEtXIrAUWJXwrk1_NYbRiV7w",
        "vapid_subject = mailto:ops@example.com",
    ] {
        assert!(stdout.contains(line), "{line} not in {stdout}");
    }
    let all = format!("{stdout}{stderr}");
    for secret in [
        "file-secret-value",
        "metrics-token-value",
        "redis-password-value",
        "db-password-value",
        "pusher-secret-value",
        "smtp-password-value",
        "stripesecretvalue",
        "webhooksecretvalue",
        "_zVgVb2A1tE0iRu9",
    ] {
        assert!(!all.contains(secret), "{secret} printed: {all}");
    }
    assert!(stdout.contains("secret = ***"));
}

#[tokio::test]
async fn config_check_fails_naming_the_bad_key() {
    let (ok, _, stderr) = run(&["config", "check"], &[("PAYBELL_REALTIME_ADDR", "nowhere")]).await;
    assert!(!ok);
    assert!(stderr.contains("realtime.addr"), "{stderr}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "[realtime]\nmax_frame_bytes = 0\n").unwrap();
    let (ok, _, stderr) = run(&["config", "check", "--config", file.to_str().unwrap()], &[]).await;
    assert!(!ok);
    assert!(stderr.contains("realtime.max_frame_bytes"), "{stderr}");
}
