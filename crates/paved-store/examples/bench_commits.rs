//! How fast the store takes git history: inserts N synthetic commits (with
//! their files) in batches, as an importer would, and prints commits/s and
//! files/s; then inserts them all again (every commit already stored, what a
//! re-import costs) and reads them back page by page.
//!
//! ```text
//! cargo run --release -p paved-store --example bench_commits -- [--postgres URL] [--commits N] [--batch N]
//! ```
//!
//! SQLite runs on a file in a temporary directory, with the store's own
//! durable settings (WAL, `synchronous=FULL`). With `--postgres URL` the
//! bench also runs on a scratch database `paved_bench_<pid>` that it creates
//! on that server and drops afterwards (the user needs `CREATEDB`, as for
//! `PAVED_TEST_DATABASE_URL`). A benchmark, not a test: it asserts only that
//! everything landed.

use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset};
use paved_domain::{Commit, CommitSignature, FileStat, RepoId};
use paved_store::{PostgresStore, SqliteStore, Store};
use sqlx::Connection as _;

const USAGE: &str = "usage: bench_commits [--postgres URL] [--commits N] [--batch N]";

struct Options {
    postgres: Option<String>,
    commits: u64,
    batch: usize,
}

fn options() -> Result<Options, String> {
    let mut options = Options { postgres: None, commits: 200_000, batch: 1_000 };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value; {USAGE}"));
        match arg.as_str() {
            "--postgres" => options.postgres = Some(value()?),
            "--commits" => {
                options.commits = value()?.replace('_', "").parse().map_err(|e| format!("--commits: {e}"))?
            }
            "--batch" => options.batch = value()?.replace('_', "").parse().map_err(|e| format!("--batch: {e}"))?,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument `{other}`; {USAGE}")),
        }
    }
    if options.batch == 0 {
        return Err("--batch must be at least 1".to_owned());
    }
    Ok(options)
}

/// splitmix64: deterministic, well-spread numbers from a counter.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn sha(n: u64) -> String {
    format!("{:016x}{:016x}{:08x}", mix(n), mix(n ^ 0xdead_beef), mix(n ^ 0x1234) as u32)
}

/// Commit `n` of a synthetic history: one parent (a merge with two every
/// 20th commit, then no files), 1 to 8 files (a binary one now and then), a
/// subject of about 50 characters and sometimes a body, 300 authors in
/// offsets from -08:00 to +05:30.
fn synthetic_commit(repo: &RepoId, n: u64) -> Commit {
    const OFFSETS: [i32; 5] = [-8 * 3600, -5 * 3600, 0, 3600, 5 * 3600 + 1800];
    let r = mix(n);
    let person = r % 300;
    let offset = FixedOffset::east_opt(OFFSETS[(person % 5) as usize]).expect("a valid offset");
    let at = |seconds: i64| {
        DateTime::from_timestamp(1_600_000_000 + seconds, 0).expect("a valid time").with_timezone(&offset)
    };
    let time = i64::try_from(n).expect("a small n") * 600;
    let author = CommitSignature {
        name: format!("Developer {person}"),
        email: format!("dev{person}@example.com"),
        time: at(time - (r % 3600) as i64),
    };
    let committer = CommitSignature { time: at(time), ..author.clone() };
    let merge = n % 20 == 19;
    let mut parents = if n == 0 { Vec::new() } else { vec![sha(n - 1)] };
    if merge {
        parents.push(sha(n.saturating_sub(7)));
    }
    let files = if merge {
        Vec::new()
    } else {
        (0..1 + r % 8)
            .map(|k| {
                let f = mix(n * 8 + k);
                let binary = f % 50 == 1;
                FileStat {
                    path: format!("src/module_{}/component_{}/file_{}.rs", f % 40, (f >> 8) % 25, (f >> 16) % 60),
                    added: if binary { 0 } else { (f >> 24) as u32 % 120 },
                    removed: if binary { 0 } else { (f >> 32) as u32 % 40 },
                    binary,
                }
            })
            .collect()
    };
    let files = dedup_paths(files);
    let mut message = format!("Change the handling of case {} in module {}", r % 10_000, r % 40);
    if r % 3 == 1 {
        message.push_str("\n\nThe previous behaviour dropped the last item of a page; keep it and add a test.\n");
    }
    Commit { repo: repo.clone(), sha: sha(n), parents, author, committer, message, files }
}

fn dedup_paths(mut files: Vec<FileStat>) -> Vec<FileStat> {
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| a.path == b.path);
    files
}

struct Figures {
    insert: Duration,
    again: Duration,
    read: Duration,
    bytes: Option<u64>,
}

async fn run(store: &dyn Store, commits: &[Commit], batch: usize) -> Figures {
    let repo = &commits[0].repo;
    let started = Instant::now();
    let mut new = 0;
    for chunk in commits.chunks(batch) {
        new += store.insert_commits(chunk).await.expect("a batch is stored");
    }
    let insert = started.elapsed();
    assert_eq!(new, commits.len() as u64, "every commit was new");

    let started = Instant::now();
    for chunk in commits.chunks(batch) {
        assert_eq!(store.insert_commits(chunk).await.expect("a batch is stored"), 0);
    }
    let again = started.elapsed();

    let started = Instant::now();
    let mut read = 0;
    loop {
        let page = store.inspect().commits(repo, 10_000, read).await.expect("commits are read");
        if page.is_empty() {
            break;
        }
        read += page.len() as u64;
    }
    assert_eq!(read, commits.len() as u64, "every commit is read back");
    assert_eq!(store.commit_count(repo).await.expect("commits are counted"), read);
    Figures { insert, again, read: started.elapsed(), bytes: None }
}

fn report(backend: &str, commits: &[Commit], batch: usize, figures: &Figures) {
    let n = commits.len() as f64;
    let files: usize = commits.iter().map(|c| c.files.len()).sum();
    let seconds = figures.insert.as_secs_f64();
    println!(
        "{backend}: {} commits, {files} files in batches of {batch}: {:.2} s, {:.0} commits/s, {:.0} files/s",
        commits.len(),
        seconds,
        n / seconds,
        files as f64 / seconds
    );
    println!(
        "{backend}: again, all already stored: {:.2} s, {:.0} commits/s; read back in pages of 10,000: {:.2} s, {:.0} commits/s",
        figures.again.as_secs_f64(),
        n / figures.again.as_secs_f64(),
        figures.read.as_secs_f64(),
        n / figures.read.as_secs_f64()
    );
    if let Some(bytes) = figures.bytes {
        println!(
            "{backend}: database size {:.1} MiB, {:.0} bytes per commit",
            bytes as f64 / 1_048_576.0,
            bytes as f64 / n
        );
    }
}

/// `url` with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(base, query)| (base, Some(query)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = base[scheme_end..].find('/').map_or(base, |slash| &base[..scheme_end + slash]);
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

async fn bench_postgres(url: &str, commits: &[Commit], batch: usize) -> Result<(), String> {
    let name = format!("paved_bench_{}", std::process::id());
    let shown = paved_store::redact_url(url);
    let mut admin = sqlx::PgConnection::connect(url).await.map_err(|e| format!("cannot connect to {shown}: {e}"))?;
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut admin)
        .await
        .map_err(|e| format!("cannot create the scratch database {name}: {e}"))?;
    let result = async {
        let store = PostgresStore::connect(&with_database(url, &name)).await.map_err(|e| e.to_string())?;
        store.migrate().await.map_err(|e| e.to_string())?;
        let mut figures = run(&store, commits, batch).await;
        let mut conn = sqlx::PgConnection::connect(&with_database(url, &name)).await.map_err(|e| e.to_string())?;
        let bytes: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())")
            .fetch_one(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
        conn.close().await.ok();
        figures.bytes = u64::try_from(bytes).ok();
        store.close().await;
        Ok::<_, String>(figures)
    }
    .await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .map_err(|e| format!("cannot drop the scratch database {name}: {e}"))?;
    report("PostgreSQL", commits, batch, &result?);
    Ok(())
}

async fn bench_sqlite(commits: &[Commit], batch: usize) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("paved.db");
    let store = SqliteStore::open(&path).await.map_err(|e| e.to_string())?;
    store.migrate().await.map_err(|e| e.to_string())?;
    let mut figures = run(&store, commits, batch).await;
    store.close().await;
    figures.bytes = std::fs::metadata(&path).ok().map(|m| m.len());
    report("SQLite", commits, batch, &figures);
    Ok(())
}

#[tokio::main]
async fn main() {
    let options = match options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    if options.commits == 0 {
        eprintln!("--commits must be at least 1");
        std::process::exit(2);
    }
    let repo = RepoId::parse_url("github.com/paved-bench/history").expect("a repository");
    let commits: Vec<Commit> = (0..options.commits).map(|n| synthetic_commit(&repo, n)).collect();
    let outcome = async {
        bench_sqlite(&commits, options.batch).await?;
        if let Some(url) = &options.postgres {
            bench_postgres(url, &commits, options.batch).await?;
        }
        Ok::<_, String>(())
    }
    .await;
    if let Err(message) = outcome {
        eprintln!("bench_commits: {message}");
        std::process::exit(1);
    }
}
