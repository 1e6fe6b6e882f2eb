//! Whether a resumed memcached has worked through what queued up on its sockets while it was stopped, read from
//! the kernel's socket table (`/proc/net/tcp`) instead of guessed with a fixed wait.
//!
//! Two kinds of socket hold requests sent while the server was stopped. One the client gave up on (it timed out
//! and closed it) sits in `CLOSE_WAIT`, its requests unread: memcached executes them, reads the end of the stream
//! and only then closes it, so its leaving `CLOSE_WAIT` means every request on it has run. One the client still
//! uses orders its old requests before its new ones; it counts as drained once the server has read everything
//! queued on it (its receive queue seen empty).

use std::collections::HashMap;

/// `/proc/net/tcp`'s state code for `CLOSE_WAIT` (the peer has closed; this side has not).
const CLOSE_WAIT: u8 = 0x08;
/// `/proc/net/tcp`'s state code for `LISTEN`.
const LISTEN: u8 = 0x0A;

/// One server-side socket: its state and the bytes it has received that the server has not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Socket {
    state: u8,
    unread: u64,
}

/// The server-side sockets of the server listening on `port` (its listener left out), by inode, as `table` (the text
/// of `/proc/net/tcp`) lists them. Lines that do not parse are skipped.
pub(crate) fn server_sockets(table: &str, port: u16) -> HashMap<u64, Socket> {
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let local_port = u16::from_str_radix(fields.get(1)?.rsplit_once(':')?.1, 16).ok()?;
            let state = u8::from_str_radix(fields.get(3)?, 16).ok()?;
            let unread = u64::from_str_radix(fields.get(4)?.split_once(':')?.1, 16).ok()?;
            let inode = fields.get(9)?.parse().ok()?;
            (local_port == port && state != LISTEN).then_some((inode, Socket { state, unread }))
        })
        .collect()
}

/// The sockets of `at_resume` (the table taken when the server resumed) that still hold requests from before,
/// given the table `now`.
pub(crate) fn still_queued(at_resume: &HashMap<u64, Socket>, now: &HashMap<u64, Socket>) -> Vec<u64> {
    at_resume
        .iter()
        .filter(|(inode, then)| match now.get(inode) {
            None => false,
            // Closed by the client: done once memcached has closed it too.
            Some(socket) if then.state == CLOSE_WAIT => socket.state == CLOSE_WAIT,
            // Still in use: done once everything received has been read; what arrives later was sent later.
            Some(socket) => socket.unread > 0,
        })
        .map(|(inode, _)| *inode)
        .collect()
}

/// Waits, in a bounded loop of reads of the socket table, until the server on `port` has drained every socket it
/// had when this is called (just after it resumed). `Err` says why it could not tell: no socket table (not Linux),
/// or the bound was reached.
pub(crate) fn wait_drained(port: u16, max_polls: usize) -> Result<usize, String> {
    let read = || std::fs::read_to_string("/proc/net/tcp").map_err(|e| format!("cannot read /proc/net/tcp: {e}"));
    let at_resume = server_sockets(&read()?, port);
    let mut waiting = at_resume.clone();
    for poll in 0..max_polls {
        let now = server_sockets(&read()?, port);
        let queued = still_queued(&waiting, &now);
        if queued.is_empty() {
            return Ok(poll);
        }
        // Once drained, a socket stays drained (later bytes were sent after the resume): stop watching it.
        waiting.retain(|inode, _| queued.contains(inode));
        std::thread::yield_now();
    }
    Err(format!("{} of its {} sockets still held requests after {max_polls} polls", waiting.len(), at_resume.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:2AF8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 100 1 0 100 0 0 10 0
   1: 0100007F:2AF8 0100007F:C001 01 00000000:00000040 00:00000000 00000000     0        0 101 1 0 20 4 30 10 -1
   2: 0100007F:2AF8 0100007F:C002 08 00000000:00000100 00:00000000 00000000     0        0 102 1 0 20 4 30 10 -1
   3: 0100007F:C001 0100007F:2AF8 01 00000000:00000000 00:00000000 00000000     0        0 103 1 0 20 4 30 10 -1
   4: garbage
";

    #[test]
    fn reads_the_servers_sockets_and_not_its_listener_nor_its_clients() {
        let sockets = server_sockets(TABLE, 0x2AF8);
        assert_eq!(sockets.len(), 2, "{sockets:?}");
        assert_eq!(sockets[&101], Socket { state: 0x01, unread: 0x40 });
        assert_eq!(sockets[&102], Socket { state: CLOSE_WAIT, unread: 0x100 });
        assert!(server_sockets("", 0x2AF8).is_empty());
    }

    #[test]
    fn a_socket_is_drained_when_read_or_closed_and_an_abandoned_one_only_when_closed() {
        let at_resume = server_sockets(TABLE, 0x2AF8);
        assert_eq!(sorted(still_queued(&at_resume, &at_resume)), [101, 102], "nothing read yet");

        let mut now = at_resume.clone();
        now.insert(101, Socket { state: 0x01, unread: 0 });
        now.insert(102, Socket { state: CLOSE_WAIT, unread: 0 });
        assert_eq!(still_queued(&at_resume, &now), [102], "read is not run: an abandoned socket must be closed");

        now.remove(&102);
        now.insert(104, Socket { state: 0x01, unread: 7 });
        assert!(still_queued(&at_resume, &now).is_empty(), "a socket opened after the resume is not waited for");
    }

    fn sorted(mut inodes: Vec<u64>) -> Vec<u64> {
        inodes.sort_unstable();
        inodes
    }
}
