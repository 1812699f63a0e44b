//! The search query path: any query string gets hits or a query error, never a panic, and
//! never a hit from another workspace.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use veille_index::{MentionIndex, SearchRequest, Sort};
use veille_model::{Author, Checkpoint, Mention, Platform};

struct Fixture {
    _dir: tempfile::TempDir,
    index: MentionIndex,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let index = MentionIndex::open(dir.path()).unwrap_or_else(|e| panic!("open: {e}"));
        let mut writer = index.writer(&Default::default()).unwrap_or_else(|e| panic!("writer: {e}"));
        let texts = [
            ("a", "Flight delayed again, @acme refund please #fail"),
            ("a", "Société Générale ouvre une agence à Paris"),
            ("b", "secret of workspace b: acme merger"),
            ("b", "another b mention about refunds"),
        ];
        for (i, (ws, text)) in texts.iter().enumerate() {
            let author = Author { handle: format!("user{i}"), ..Default::default() };
            let mut m = Mention::new(Platform::X, &i.to_string(), *text, chrono::Utc::now(), author);
            m.workspace = (*ws).to_string();
            writer.upsert(&m).unwrap_or_else(|e| panic!("upsert: {e}"));
        }
        writer.commit(&Checkpoint::default()).unwrap_or_else(|e| panic!("commit: {e}"));
        index.reload().unwrap_or_else(|e| panic!("reload: {e}"));
        Fixture { _dir: dir, index }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else { return };
    let index = &fixture().index;
    for sort in [Sort::Time, Sort::Relevance] {
        let mut req = SearchRequest::new("a", query);
        req.sort = sort;
        req.snippets = true;
        if let Ok(res) = index.search(&req) {
            for hit in &res.hits {
                assert_eq!(hit.mention.workspace, "a", "query {query:?} reached another workspace");
            }
        }
    }
});
