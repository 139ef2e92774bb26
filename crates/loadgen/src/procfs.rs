//! What `/proc` tells about the server under test and this process: resident memory, the
//! process listening on a port, the open-file limit.

use std::fs;

/// The resident set (`VmRSS`) of `pid`, in bytes.
///
/// # Errors
/// When the process is gone or `/proc` is unreadable.
pub fn rss_bytes(pid: u32) -> std::io::Result<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status"))?;
    parse_status_kb(&status, "VmRSS:")
        .map(|kb| kb * 1024)
        .ok_or_else(|| std::io::Error::other(format!("no VmRSS in /proc/{pid}/status")))
}

/// This process's resident set, in bytes (0 when unknown).
pub fn own_rss_bytes() -> u64 {
    rss_bytes(std::process::id()).unwrap_or(0)
}

/// A `kB` field of `/proc/PID/status`.
pub fn parse_status_kb(status: &str, field: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with(field))?;
    line[field.len()..].split_whitespace().next()?.parse().ok()
}

/// The socket inodes listening on `port` in a `/proc/net/tcp` or `tcp6` table.
pub fn listening_inodes(table: &str, port: u16) -> Vec<u64> {
    let wanted = format!("{port:04X}");
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let local_port = fields.get(1)?.rsplit(':').next()?;
            let listening = fields.get(3)? == &"0A";
            (listening && local_port == wanted).then(|| fields.get(9)?.parse().ok())?
        })
        .collect()
}

/// The process listening on TCP `port` on this machine, found through its socket inode.
pub fn find_listener_pid(port: u16) -> Option<u32> {
    let mut inodes = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        if let Ok(text) = fs::read_to_string(table) {
            inodes.extend(listening_inodes(&text, port));
        }
    }
    if inodes.is_empty() {
        return None;
    }
    let wanted: Vec<String> = inodes.iter().map(|inode| format!("socket:[{inode}]")).collect();
    let own = std::process::id();
    for entry in fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|name| name.parse::<u32>().ok()) else {
            continue;
        };
        if pid == own {
            continue;
        }
        let Ok(fds) = fs::read_dir(entry.path().join("fd")) else { continue };
        for fd in fds.flatten() {
            if let Ok(link) = fs::read_link(fd.path())
                && wanted.iter().any(|w| link.as_os_str() == w.as_str())
            {
                return Some(pid);
            }
        }
    }
    None
}

/// The soft limit on open files of this process, from `/proc/self/limits`.
pub fn open_file_limit() -> Option<u64> {
    let limits = fs::read_to_string("/proc/self/limits").ok()?;
    parse_open_file_limit(&limits)
}

/// The soft `Max open files` of a `/proc/PID/limits` text.
pub fn parse_open_file_limit(limits: &str) -> Option<u64> {
    let line = limits.lines().find(|line| line.starts_with("Max open files"))?;
    line["Max open files".len()..].split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_fields_parse() {
        let status = "Name:\tpaybell\nVmRSS:\t   12345 kB\nRssAnon:\t 100 kB\n";
        assert_eq!(parse_status_kb(status, "VmRSS:"), Some(12_345));
        assert_eq!(parse_status_kb(status, "RssAnon:"), Some(100));
        assert_eq!(parse_status_kb(status, "VmSwap:"), None);
    }

    #[test]
    fn listening_sockets_are_found_by_port() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
   0: 0100007F:1771 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0\n\
   1: 0100007F:1771 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 4343 1 0\n\
   2: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4444 1 0\n";
        assert_eq!(listening_inodes(table, 6001), vec![4242]);
        assert_eq!(listening_inodes(table, 8080), vec![4444]);
        assert!(listening_inodes(table, 1).is_empty());
    }

    #[test]
    fn the_open_file_limit_parses() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
Max open files            20000                20000                files\n";
        assert_eq!(parse_open_file_limit(limits), Some(20_000));
    }

    #[test]
    fn our_own_memory_is_readable() {
        assert!(own_rss_bytes() > 0);
    }
}
