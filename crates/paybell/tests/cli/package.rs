//! The Debian package of `scripts/deb.sh`, built from this test's binary. Everywhere:
//! its control data, file list and modes (`dpkg-deb --info/--contents`), and the binary
//! extracted from it run against the packaged configuration. With `CI=true` only (it
//! changes the machine): `dpkg -i`, `paybell serve` as the `paybell` user on the installed
//! configuration and data directory, then `dpkg -r` and `dpkg --purge` and what each leaves;
//! `systemd-analyze verify` on the installed units where systemd runs.

use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::helpers::Process;

const CONFIG: &str = "/etc/paybell/paybell.toml";
const DATA_DIR: &str = "/var/lib/paybell";

fn run(program: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> Output {
    let program = program.as_ref();
    let output = Command::new(program).args(args).env("LC_ALL", "C").output();
    output.unwrap_or_else(|error| panic!("{program:?} {args:?}: {error}"))
}

/// Runs and asserts success; returns stdout.
fn ok(program: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> String {
    let output = run(&program, args);
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    assert!(
        output.status.success(),
        "{:?} {args:?} failed:\n{}\n{}",
        program.as_ref(),
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

fn build(out: &Path) -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/deb.sh");
    let bin = env!("CARGO_BIN_EXE_paybell");
    let printed = ok(&script, &["--bin", bin, "--out", out.to_str().unwrap(), "--fast"]);
    PathBuf::from(printed.trim())
}

/// `paybell config check` of `binary` on `config`, with a clean environment.
fn config_check(binary: &Path, config: &Path) -> String {
    let output = Command::new(binary)
        .args(["config", "check", "--config", config.to_str().unwrap()])
        .env_clear()
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "config check of {config:?} failed: {stderr}");
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test]
async fn the_debian_package_holds_the_binary_units_and_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let deb = build(dir.path());

    let info = ok("dpkg-deb", &["--info", deb.to_str().unwrap()]);
    for expected in ["Package: paybell", "Depends: adduser, libc6 (>= ", "postinst", "postrm"] {
        assert!(info.contains(expected), "{expected} not in\n{info}");
    }
    let extracted = dir.path().join("control");
    ok("dpkg-deb", &["--control", deb.to_str().unwrap(), extracted.to_str().unwrap()]);
    let listed = std::fs::read_to_string(extracted.join("conffiles")).unwrap();
    assert_eq!(listed.trim(), CONFIG, "the configuration is a conffile");

    let contents = ok("dpkg-deb", &["--contents", deb.to_str().unwrap()]);
    for (mode, path) in [
        ("-rwxr-xr-x root/root", "./usr/bin/paybell"),
        ("-rw-r--r-- root/root", "./etc/paybell/paybell.toml"),
        ("-rw-r--r-- root/root", "./usr/lib/systemd/system/paybell.service"),
        ("-rw-r--r-- root/root", "./usr/lib/systemd/system/paybell-realtime.service"),
        ("-rw-r--r-- root/root", "./usr/share/man/man1/paybell.1.gz"),
        ("-rw-r--r-- root/root", "./usr/share/bash-completion/completions/paybell"),
    ] {
        let line = contents.lines().find(|l| l.ends_with(path));
        let line = line.unwrap_or_else(|| panic!("{path} not in\n{contents}"));
        assert!(line.starts_with(mode), "{line}");
    }

    let root = dir.path().join("root");
    ok("dpkg-deb", &["-x", deb.to_str().unwrap(), root.to_str().unwrap()]);
    let binary = root.join("usr/bin/paybell");
    let version = ok(&binary, &["--version"]);
    assert!(version.starts_with(&format!("paybell {}", env!("CARGO_PKG_VERSION"))), "{version}");
    units_are_hardened(&root);
    commented_defaults_are_the_defaults(&binary, &root.join(CONFIG.trim_start_matches('/')));
}

fn units_are_hardened(root: &Path) {
    for (unit, command) in [("paybell.service", "serve"), ("paybell-realtime.service", "realtime")]
    {
        let path = root.join("usr/lib/systemd/system").join(unit);
        let text = std::fs::read_to_string(&path).unwrap();
        for line in [
            format!("ExecStart=/usr/bin/paybell {command} --config {CONFIG}"),
            "User=paybell".to_owned(),
            "NoNewPrivileges=yes".to_owned(),
            "ProtectSystem=strict".to_owned(),
            format!("ReadWritePaths={DATA_DIR}"),
            "PrivateTmp=yes".to_owned(),
            "ProtectHome=yes".to_owned(),
            "LimitNOFILE=1048576".to_owned(),
        ] {
            assert!(text.lines().any(|l| l == line), "{unit} lacks {line}");
        }
    }
}

/// The shipped file loads, and uncommenting every `#key = value` default changes nothing.
fn commented_defaults_are_the_defaults(binary: &Path, config: &Path) {
    let shipped = config_check(binary, config);
    assert!(shipped.contains(&format!("data_dir = {DATA_DIR}")), "{shipped}");
    let text = std::fs::read_to_string(config).unwrap();
    let mut uncommented = 0;
    let spelled_out: String = text
        .lines()
        .map(|line| match line.strip_prefix('#') {
            Some(rest) if rest.starts_with(|c: char| c.is_ascii_lowercase()) => {
                uncommented += 1;
                format!("{rest}\n")
            }
            _ => format!("{line}\n"),
        })
        .collect();
    assert!(uncommented >= 15, "only {uncommented} defaults in\n{text}");
    let path = config.with_file_name("spelled-out.toml");
    std::fs::write(&path, spelled_out).unwrap();
    assert_eq!(config_check(binary, &path), shipped, "a commented default is not the default");
}

#[tokio::test]
async fn under_ci_the_package_installs_serves_and_purges() {
    if std::env::var("CI").as_deref() != Ok("true") {
        eprintln!("skipped: installs a system package, only with CI=true");
        return;
    }
    let uid = ok("id", &["-u"]);
    assert_eq!(uid.trim(), "0", "CI=true installs the package: run as root (or unset CI)");
    let dir = tempfile::tempdir().unwrap();
    let deb = build(dir.path());
    let _purge = Purge;
    ok("dpkg", &["-i", deb.to_str().unwrap()]);

    let passwd = ok("getent", &["passwd", "paybell"]);
    assert!(passwd.contains(&format!(":{DATA_DIR}:")), "{passwd}");
    let uid: u32 = passwd.split(':').nth(2).unwrap().parse().unwrap();
    let data = std::fs::metadata(DATA_DIR).unwrap();
    assert_eq!((data.uid(), data.permissions().mode() & 0o7777), (uid, 0o700));
    let config = std::fs::metadata(CONFIG).unwrap();
    assert_eq!(config.permissions().mode() & 0o777, 0o640);
    // Only where systemd runs (not in containers such as the one these tests run in), and
    // installed, since it checks that ExecStart's binary is there.
    if Path::new("/run/systemd/system").is_dir() {
        let units = ["paybell.service", "paybell-realtime.service"]
            .map(|unit| format!("/usr/lib/systemd/system/{unit}"));
        ok("systemd-analyze", &["verify", &units[0], &units[1]]);
    }
    let checked = config_check(Path::new("/usr/bin/paybell"), Path::new(CONFIG));
    assert!(checked.contains(&format!("data_dir = {DATA_DIR}")), "{checked}");

    serve_as_the_service_user().await;
    let database = std::fs::metadata(Path::new(DATA_DIR).join("paybell.db")).unwrap();
    assert_eq!(database.uid(), uid, "the service wrote its data directory");

    // An operator's edit survives removal; purging takes configuration, data and user.
    std::fs::write(CONFIG, std::fs::read_to_string(CONFIG).unwrap() + "# edited\n").unwrap();
    ok("dpkg", &["-r", "paybell"]);
    assert!(!Path::new("/usr/bin/paybell").exists());
    assert!(!Path::new("/usr/lib/systemd/system/paybell.service").exists());
    assert!(std::fs::read_to_string(CONFIG).unwrap().ends_with("# edited\n"));
    assert!(Path::new(DATA_DIR).join("paybell.db").exists(), "remove keeps the data");
    ok("getent", &["passwd", "paybell"]);

    ok("dpkg", &["--purge", "paybell"]);
    for gone in [CONFIG, "/etc/paybell", DATA_DIR] {
        assert!(!Path::new(gone).exists(), "{gone} left after --purge");
    }
    assert!(!run("getent", &["passwd", "paybell"]).status.success(), "user left after --purge");
    assert!(!run("dpkg", &["-s", "paybell"]).status.success(), "still known to dpkg");
}

/// `paybell serve` from its installed path as `paybell`, on the installed configuration.
async fn serve_as_the_service_user() {
    let mut command = tokio::process::Command::new("setpriv");
    command
        .args(["--reuid=paybell", "--regid=paybell", "--init-groups", "--"])
        .args(["/usr/bin/paybell", "serve", "--config", CONFIG])
        .args(["--http-addr", "127.0.0.1:0", "--realtime-addr", "127.0.0.1:0"])
        .current_dir(DATA_DIR)
        .env_clear()
        .env("RUST_LOG", "warn");
    let process = Process::start(command);
    let web = process.port("paybell web listening on http://127.0.0.1:").await;
    let realtime = process.port("paybell realtime listening on 127.0.0.1:").await;
    for port in [web, realtime] {
        let health = reqwest::get(format!("http://127.0.0.1:{port}/health")).await.unwrap();
        assert_eq!(health.status(), 200, "/health on {port}");
    }
    assert!(process.terminate().await, "serve stops cleanly on SIGTERM");
}

/// Leaves the machine as it was, whatever the test did.
struct Purge;

impl Drop for Purge {
    fn drop(&mut self) {
        let _ = Command::new("dpkg").args(["--purge", "paybell"]).output();
    }
}
