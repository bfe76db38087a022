//! Fresh databases for tests, and catalog entities built by hand.
//!
//! Every test gets its own database: a SQLite file in a temporary directory,
//! or a PostgreSQL database `paved_test_<uuid>` created through the admin URL
//! in `PAVED_TEST_DATABASE_URL` and dropped (`WITH (FORCE)`) when the test
//! ends, also when it fails.

use std::path::PathBuf;
use std::sync::Arc;

use paved_domain::{
    CatalogEntity, Commit, CommitSignature, EntityRef, FileStat, PavedAnnotations, Relation, RelationType, RepoId,
    SourcePosition,
};
use paved_store::{PostgresStore, SqliteStore, Store};
use serde_json::json;
use sqlx::Connection as _;

/// A store on its own fresh, not yet migrated, database.
pub struct TestDb {
    pub store: Arc<dyn Store>,
    raw: RawAccess,
    // Dropped last: the database outlives the store's pool.
    _cleanup: Cleanup,
}

enum RawAccess {
    Sqlite(PathBuf),
    Postgres(String),
}

enum Cleanup {
    TempDir { _dir: tempfile::TempDir },
    Database(#[allow(dead_code)] paved_test_support::TestDatabase),
}

impl TestDb {
    /// A SQLite store on a new file.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("paved.db");
        let store = SqliteStore::open(&path).await.expect("the SQLite store opens");
        Self { store: Arc::new(store), raw: RawAccess::Sqlite(path), _cleanup: Cleanup::TempDir { _dir: dir } }
    }

    /// A PostgreSQL store on a new database, or `None` (after saying so on
    /// the terminal) when `PAVED_TEST_DATABASE_URL` is not set.
    pub async fn postgres() -> Option<Self> {
        let database = paved_test_support::paved_test_database().await?;
        let url = database.url().to_owned();
        let store = PostgresStore::connect(&url).await.expect("the PostgreSQL store connects");
        Some(Self { store: Arc::new(store), raw: RawAccess::Postgres(url), _cleanup: Cleanup::Database(database) })
    }

    /// The store, migrated.
    pub async fn migrated(&self) -> &dyn Store {
        self.store.migrate().await.expect("migrations apply");
        &*self.store
    }

    /// Runs SQL on the test's database behind the store's back, on a
    /// connection of its own: the SQLite or the PostgreSQL text.
    pub async fn execute_raw(&self, sqlite: &str, postgres: &str) {
        match &self.raw {
            RawAccess::Sqlite(path) => {
                let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
                let mut conn = sqlx::SqliteConnection::connect_with(&options).await.expect("a raw SQLite connection");
                sqlx::raw_sql(sqlite).execute(&mut conn).await.expect("raw SQL runs on SQLite");
                conn.close().await.expect("closing the raw connection");
            }
            RawAccess::Postgres(url) => {
                let mut conn = sqlx::PgConnection::connect(url).await.expect("a raw PostgreSQL connection");
                sqlx::raw_sql(postgres).execute(&mut conn).await.expect("raw SQL runs on PostgreSQL");
                conn.close().await.expect("closing the raw connection");
            }
        }
    }

    /// Applies the backend's migrations up to and including `version`
    /// only, as an older paved would have left the database.
    pub async fn migrated_to(&self, version: i64) {
        let backend = match &self.raw {
            RawAccess::Sqlite(_) => "sqlite",
            RawAccess::Postgres(_) => "postgres",
        };
        let all = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
        let older = tempfile::tempdir().expect("a temporary directory");
        for entry in std::fs::read_dir(&all).expect("the migrations directory") {
            let path = entry.expect("a migration").path();
            let name = path.file_name().and_then(|n| n.to_str()).expect("a migration's name").to_owned();
            let number: i64 = name.split('_').next().and_then(|n| n.parse().ok()).expect("a numbered migration");
            if number <= version {
                std::fs::copy(&path, older.path().join(&name)).expect("copying a migration");
            }
        }
        let migrator = sqlx::migrate::Migrator::new(older.path()).await.expect("the older migrations");
        match &self.raw {
            RawAccess::Sqlite(path) => {
                let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path).create_if_missing(true);
                let mut conn = sqlx::SqliteConnection::connect_with(&options).await.expect("a raw SQLite connection");
                migrator.run(&mut conn).await.expect("the older migrations apply");
                conn.close().await.expect("closing the raw connection");
            }
            RawAccess::Postgres(url) => {
                let mut conn = sqlx::PgConnection::connect(url).await.expect("a raw PostgreSQL connection");
                migrator.run(&mut conn).await.expect("the older migrations apply");
                conn.close().await.expect("closing the raw connection");
            }
        }
    }

    /// Like [`Self::execute_raw`], returning the error instead of panicking.
    pub async fn try_execute_raw(&self, sqlite: &str, postgres: &str) -> Result<(), sqlx::Error> {
        match &self.raw {
            RawAccess::Sqlite(path) => {
                let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
                let mut conn = sqlx::SqliteConnection::connect_with(&options).await?;
                sqlx::raw_sql(sqlite).execute(&mut conn).await?;
                conn.close().await
            }
            RawAccess::Postgres(url) => {
                let mut conn = sqlx::PgConnection::connect(url).await?;
                sqlx::raw_sql(postgres).execute(&mut conn).await?;
                conn.close().await
            }
        }
    }
}

/// Generates each contract test twice, as `sqlite::<name>` and
/// `postgres::<name>`; the body gets a fresh [`TestDb`] as `$db`.
macro_rules! contract_tests {
    ($(async fn $name:ident($db:ident) $body:block)*) => {
        mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let $db = $crate::harness::TestDb::sqlite().await;
                    $body
                }
            )*
        }

        mod postgres {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some($db) = $crate::harness::TestDb::postgres().await else {
                        return;
                    };
                    $body
                }
            )*
        }
    };
}
pub(crate) use contract_tests;

/// A catalog entity, built the way the catalog would read it from a
/// descriptor in `catalog/<name>.yaml`.
pub struct EntityBuilder {
    kind: String,
    namespace: String,
    name: String,
    title: Option<String>,
    description: Option<String>,
    owner: Option<EntityRef>,
    relations: Vec<Relation>,
    spec: serde_json::Map<String, serde_json::Value>,
    line: u32,
}

pub fn component(name: &str) -> EntityBuilder {
    EntityBuilder::new("Component", name).spec("type", "service").spec("lifecycle", "production")
}

pub fn api(name: &str) -> EntityBuilder {
    EntityBuilder::new("API", name).spec("type", "openapi").spec("lifecycle", "production")
}

pub fn group(name: &str) -> EntityBuilder {
    EntityBuilder::new("Group", name).spec("type", "team")
}

pub fn user(name: &str) -> EntityBuilder {
    EntityBuilder::new("User", name)
}

pub fn entity_ref(text: &str) -> EntityRef {
    text.parse().expect("a full entity reference")
}

impl EntityBuilder {
    fn new(kind: &str, name: &str) -> Self {
        Self {
            kind: kind.to_owned(),
            namespace: "default".to_owned(),
            name: name.to_owned(),
            title: None,
            description: None,
            owner: None,
            relations: Vec::new(),
            spec: serde_json::Map::new(),
            line: 1,
        }
    }

    pub fn namespace(mut self, namespace: &str) -> Self {
        self.namespace = namespace.to_owned();
        self
    }

    pub fn title(mut self, title: &str) -> Self {
        self.title = Some(title.to_owned());
        self
    }

    pub fn description(mut self, description: &str) -> Self {
        self.description = Some(description.to_owned());
        self
    }

    pub fn line(mut self, line: u32) -> Self {
        self.line = line;
        self
    }

    /// `spec.owner: <group>`, giving `ownedBy group:<namespace>/<group>`.
    pub fn owner(mut self, group: &str) -> Self {
        let owner = EntityRef::parse(group, Some("group"), &self.namespace).expect("an owner reference");
        self.relations.push(Relation { kind: RelationType::OwnedBy, target: owner.clone() });
        self.owner = Some(owner);
        self.spec("owner", group)
    }

    /// `spec.memberOf: [<group>]`, giving `memberOf group:<namespace>/<group>`.
    pub fn member_of(mut self, group: &str) -> Self {
        let target = EntityRef::parse(group, Some("group"), &self.namespace).expect("a group reference");
        self.relations.push(Relation { kind: RelationType::MemberOf, target });
        self.spec_list("memberOf", group)
    }

    /// `spec.dependsOn: [<target>]`.
    pub fn depends_on(mut self, target: &str) -> Self {
        let target_ref = EntityRef::parse(target, None, &self.namespace).expect("a full reference");
        self.relations.push(Relation { kind: RelationType::DependsOn, target: target_ref });
        self.spec_list("dependsOn", target)
    }

    fn spec(mut self, field: &str, value: &str) -> Self {
        self.spec.insert(field.to_owned(), json!(value));
        self
    }

    fn spec_list(mut self, field: &str, value: &str) -> Self {
        let list = self.spec.entry(field.to_owned()).or_insert_with(|| json!([]));
        list.as_array_mut().expect("a list field").push(json!(value));
        self
    }

    pub fn build(self) -> CatalogEntity {
        let spec_type = self.spec.get("type").and_then(|v| v.as_str()).map(str::to_owned);
        let lifecycle = self.spec.get("lifecycle").and_then(|v| v.as_str()).map(str::to_owned);
        let entity_ref = EntityRef::new(&self.kind, &self.namespace, &self.name).expect("a valid reference");
        let mut metadata = serde_json::Map::new();
        metadata.insert("name".into(), json!(self.name));
        metadata.insert("namespace".into(), json!(self.namespace));
        if let Some(title) = &self.title {
            metadata.insert("title".into(), json!(title));
        }
        if let Some(description) = &self.description {
            metadata.insert("description".into(), json!(description));
        }
        // Keys in descriptor order, not alphabetical: the store must give them
        // back in this order.
        let document = json!({
            "apiVersion": "backstage.io/v1alpha1",
            "kind": self.kind,
            "metadata": metadata,
            "spec": self.spec,
        });
        CatalogEntity {
            entity_ref,
            kind: self.kind,
            api_version: "backstage.io/v1alpha1".to_owned(),
            title: self.title,
            description: self.description,
            spec_type,
            lifecycle,
            owner: self.owner,
            source: SourcePosition { file: format!("catalog/{}.yaml", self.name), line: self.line, column: 1 },
            document,
            relations: self.relations,
            paved: PavedAnnotations::default(),
        }
    }
}

/// `error` and its causes, walked through `source()`: what a reporter such
/// as anyhow's `{:#}` prints, joined by `: `.
pub fn cause_chain(error: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut chain = vec![error.to_string()];
    let mut next = error.source();
    while let Some(cause) = next {
        chain.push(cause.to_string());
        next = cause.source();
    }
    chain
}

/// Asserts that printing `error` with its whole cause chain shows `cause`
/// exactly once and that no cause repeats another's text; returns the
/// printed chain.
pub fn assert_each_cause_once(error: &(dyn std::error::Error + 'static), cause: &str) -> String {
    let chain = cause_chain(error);
    let printed = chain.join(": ");
    assert_eq!(printed.matches(cause).count(), 1, "`{cause}` is shown once: {printed}");
    for (i, outer) in chain.iter().enumerate() {
        for inner in &chain[i + 1..] {
            assert!(!outer.contains(inner.as_str()), "`{inner}` is repeated: {printed}");
        }
    }
    printed
}

/// A repository identity from `host/owner/name`.
pub fn repo(text: &str) -> RepoId {
    RepoId::parse_url(text).expect("a repository")
}

/// A full object id for `n`: 40 hex digits that look random (so that a
/// batch is not already in primary-key order) and differ for every `n`.
pub fn sha(n: u64) -> String {
    fn mix(mut z: u64) -> u64 {
        // splitmix64
        z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    format!("{:016x}{:016x}{:08x}", mix(n), mix(n ^ 0x5555), n as u32)
}

/// A commit built by hand: commit `n` of `repo` by Ada Lovelace, committed
/// `n` minutes after 2025-01-01T00:00:00Z in UTC, with commit `n - 1` as its
/// parent (none for commit 0), message `Commit <n>` and no files.
pub struct CommitBuilder {
    commit: Commit,
}

pub fn commit(repo_text: &str, n: u64) -> CommitBuilder {
    let time = chrono::DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z").unwrap()
        + chrono::Duration::minutes(i64::try_from(n).unwrap());
    let signature = CommitSignature { name: "Ada Lovelace".to_owned(), email: "ada@example.com".to_owned(), time };
    CommitBuilder {
        commit: Commit {
            repo: repo(repo_text),
            sha: sha(n),
            parents: if n == 0 { Vec::new() } else { vec![sha(n - 1)] },
            author: signature.clone(),
            committer: signature,
            message: format!("Commit {n}"),
            files: Vec::new(),
        },
    }
}

fn signature(name: &str, email: &str, time: &str) -> CommitSignature {
    CommitSignature {
        name: name.to_owned(),
        email: email.to_owned(),
        time: chrono::DateTime::parse_from_rfc3339(time).expect("an RFC 3339 time"),
    }
}

impl CommitBuilder {
    pub fn parents(mut self, parents: &[String]) -> Self {
        self.commit.parents = parents.to_vec();
        self
    }

    /// The author, with a time in RFC 3339 (`2025-03-14T09:26:53+05:30`).
    pub fn author(mut self, name: &str, email: &str, time: &str) -> Self {
        self.commit.author = signature(name, email, time);
        self
    }

    pub fn committer(mut self, name: &str, email: &str, time: &str) -> Self {
        self.commit.committer = signature(name, email, time);
        self
    }

    pub fn message(mut self, message: &str) -> Self {
        self.commit.message = message.to_owned();
        self
    }

    pub fn file(mut self, path: &str, added: u32, removed: u32) -> Self {
        self.commit.files.push(FileStat { path: path.to_owned(), added, removed, binary: false });
        self
    }

    /// A file git printed as `-\t-`.
    pub fn binary_file(mut self, path: &str) -> Self {
        self.commit.files.push(FileStat { path: path.to_owned(), added: 0, removed: 0, binary: true });
        self
    }

    pub fn build(self) -> Commit {
        self.commit
    }
}
