//! A move when two `.meta` files share an id, as the editor sees it: the
//! server's watcher saw the rename, so the preferred quick fix names the
//! file that actually moved, not the copy whose `.meta` sorts first.

use serde_json::{Value, json};

use crate::support::assetry_bin;
use crate::support::lsp::{Fixture, LspClient};

const ID: &str = "b1111111-1111-4111-8111-111111111111";
const SCENE: &str = "assets/s.scene.json";

fn range(line: u32, start: u32, end: u32) -> Value {
    json!({"start": {"line": line, "character": start}, "end": {"line": line, "character": end}})
}

/// The broken-path quick fixes at the scene's reference: (title, preferred, new text).
fn repairs(client: &mut LspClient, f: &Fixture) -> Vec<(String, bool, String)> {
    let actions = client.request_ok(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": f.uri(SCENE)}, "range": range(0, 10, 10), "context": {"diagnostics": []}}),
    );
    actions
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|a| a["title"].as_str().is_some_and(|t| t.contains("moved")))
        .map(|a| {
            let edits = &a["edit"]["changes"][f.uri(SCENE)];
            let edits = if edits.is_array() { edits.clone() } else { a["edit"]["documentChanges"][0]["edits"].clone() };
            (
                a["title"].as_str().unwrap_or_default().to_owned(),
                a["isPreferred"] == true,
                edits[0]["newText"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_fix_for_a_watched_move_names_the_file_that_moved_when_the_id_is_duplicated() {
    let f = Fixture::new(&format!(
        r#"
//- /assets/s.scene.json
{{"sky": "textures/sky.png"}}
//- /assets/s.scene.json.meta
id = "a1111111-1111-4111-8111-111111111111"
//- /assets/textures/sky.png
png
//- /assets/textures/sky.png.meta
id = "{ID}"
//- /assets/textures/a_copy.png
png
//- /assets/textures/a_copy.png.meta
id = "{ID}"
"#
    ));
    let mut client = LspClient::start(&assetry_bin(), &[f.root()]).0;
    for meta in ["assets/textures/a_copy.png.meta", "assets/textures/sky.png.meta"] {
        assert_eq!(client.diagnostic_codes(&f.uri(meta)), [("duplicate-id".to_owned(), 0, 6, 42)]);
    }
    // Returns once the project is open and watched.
    client.request_ok("workspace/symbol", json!({"query": "x"}));
    for suffix in ["", ".meta"] {
        std::fs::rename(
            f.path(&format!("assets/textures/sky.png{suffix}")),
            f.path(&format!("assets/textures/sky_day.png{suffix}")),
        )
        .unwrap();
    }
    assert_eq!(client.diagnostic_codes(&f.uri(SCENE)), [("broken-path".to_owned(), 0, 9, 25)]);
    // The `.meta`'s move is applied too (the watcher pairs them in one batch).
    let moved_meta = f.uri("assets/textures/sky_day.png.meta");
    assert_eq!(client.diagnostic_codes(&moved_meta), [("duplicate-id".to_owned(), 0, 6, 42)]);
    assert_eq!(
        repairs(&mut client, &f),
        [("`sky.png` moved: use `textures/sky_day.png`".to_owned(), true, "textures/sky_day.png".to_owned())]
    );
    // Where everything else ends: the copy's duplicate now names the moved
    // `.meta`, and the old `.meta` path has no findings left.
    let last = client.shutdown_with_last_diagnostics();
    let copy = &last[&f.uri("assets/textures/a_copy.png.meta")];
    assert_eq!(copy.len(), 1, "{copy:?}");
    assert_eq!(
        copy[0]["message"],
        "id `b1111111-1111-4111-8111-111111111111` is also declared by `assets/textures/sky_day.png.meta`; every \
         asset needs its own id (was a .meta copied?)"
    );
    assert_eq!(copy[0]["relatedInformation"][0]["location"]["uri"], moved_meta.as_str());
    assert_eq!(last[&f.uri("assets/textures/sky.png.meta")], Vec::<serde_json::Value>::new());
    assert_eq!(last.len(), 2, "{last:?}");
}
