use super::*;

/// [`super::extract`] on code that is within its parse budget.
fn extract(text: &str, api: &CodeApi) -> (Vec<RawRef>, Option<Box<CodeLinks>>) {
    super::extract(text, api).expect("within the parse budget")
}

/// The text of every reference found, in order, leaving out the strings of
/// consts this file does not use (references only if another file does).
fn found(text: &str) -> Vec<&str> {
    let (refs, links) = extract(text, &CodeApi::default());
    let links = links.unwrap_or_default();
    refs.iter()
        .enumerate()
        .filter(|(i, _)| links.def_names(*i).next().is_none())
        .map(|(_, r)| &text[r.range.start as usize..r.range.end as usize])
        .collect()
}

fn at(text: &str, needle: &str) -> TextRange {
    let start = text.find(needle).unwrap() as u32;
    TextRange::new(start, start + needle.len() as u32)
}

#[test]
fn load_calls() {
    let t = r##"fn setup(s: Res<AssetServer>) {
    let a = s.load("textures/hero.png");
    let b = s.load::<Image>(r#"textures/raw.png"#);
    let c = assets::load_with_settings("models/ship.gltf#Mesh0", |x| {});
    let d = other("no.png");
    let e = s.load(path); // not a literal
    // s.load("commented.png")
}"##;
    assert_eq!(found(t), ["textures/hero.png", "textures/raw.png", "models/ship.gltf#Mesh0"]);
}

#[test]
fn loads_inside_macros_keep_exact_ranges() {
    let t = r#"fn setup(a: Res<AssetServer>) {
    commands.spawn((Node::default(), children![
        (Text::new("hi"), ImageNode::new(a.load("ui/é.png"))),
        vec![a.load("x/in_vec.png"), my_macro!(a.load("x/deep.png"))],
    ]));
    info!("loaded {}", "not/a_load.png");
}"#;
    let refs = extract(t, &CodeApi::default()).0;
    let v: Vec<&str> = refs.iter().map(|r| &t[r.range.start as usize..r.range.end as usize]).collect();
    assert_eq!(v, ["ui/é.png", "x/in_vec.png", "x/deep.png"]);
    assert_eq!(refs[0].range.start as usize, t.find("ui/é.png").unwrap());
    assert_eq!(&*refs[0].value, "ui/é.png");
}

#[test]
fn consts_statics_lets_and_loops_are_references_where_written() {
    let t = r#"const SHADER_ASSET_PATH: &str = "shaders/custom.wgsl";
static FOX: &str = "models/fox.glb";
const UNUSED: &str = "shot.png";
const CUBES: &[(&str, u32)] = &[("textures/a.ktx2", 1), ("textures/b.ktx2", 2)];
struct S;
impl S { const P: &str = "assoc/p.png"; }
fn setup(a: Res<AssetServer>) {
    a.load(SHADER_ASSET_PATH);
    a.load(FOX);
    a.load(S::P);
    a.load(CUBES[i].0);
    let local = "local/l.png";
    a.load(local);
    for font in ["fonts/a.ttf", "fonts/b.ttf"] { a.load(font); }
    save(UNUSED);
}
fn other() { let local = "other/not.png"; }"#;
    assert_eq!(
        found(t),
        [
            "shaders/custom.wgsl",
            "models/fox.glb",
            "textures/a.ktx2",
            "textures/b.ktx2",
            "assoc/p.png",
            "local/l.png",
            "fonts/a.ttf",
            "fonts/b.ttf"
        ]
    );
}

#[test]
fn gltf_labels_shader_refs_and_asset_paths() {
    let t = r#"fn f(a: Res<AssetServer>) {
    a.load(GltfAssetLabel::Scene(0).from_asset("models/x.gltf"));
    let p = AssetPath::from("a/from.png");
    let q = AssetPath::parse("a/parse.png");
    let r = ShaderRef::Path("a/path.wgsl".into());
}
const PATH: &str = "shaders/c.wgsl";
impl Material for M {
    fn fragment_shader() -> ShaderRef { "shaders/f.wgsl".into() }
    fn vertex_shader() -> ShaderRef { PATH.into() }
    fn name() -> String { "not/shader.wgsl".into() }
}
impl Material2d for B {
    fn fragment_shader() -> ShaderRef {
        match self { Bird::Logo => "shaders/logo.wgsl".into(), _ => ShaderRef::Default }
    }
}"#;
    assert_eq!(
        found(t),
        [
            "models/x.gltf",
            "a/from.png",
            "a/parse.png",
            "a/path.wgsl",
            "shaders/c.wgsl",
            "shaders/f.wgsl",
            "shaders/logo.wgsl"
        ]
    );
}

#[test]
fn asset_attributes() {
    let t = r#"#[derive(AssetCollection, Resource)]
struct A {
    #[asset(path = "images/player.png")]
    player: Handle<Image>,
    #[asset(paths("a/one.ogg", "a/two.ogg"), collection(typed))]
    sounds: Vec<Handle<AudioSource>>,
    #[asset(key = "not.png")]
    keyed: Handle<Image>,
    #[cfg(feature = "x.png")]
    #[asset(texture_atlas_layout(tile_size_x = 96, tile_size_y = 99, columns = 8, rows = 1))]
    #[asset(image(sampler = nearest), path = "images/atlas.png")]
    atlas: Handle<Image>,
}
#[doc = "not/attr.png"]
fn f() {}"#;
    assert_eq!(found(t), ["images/player.png", "a/one.ogg", "a/two.ogg", "images/atlas.png"]);
}

#[test]
fn run_time_file_names_are_not_references() {
    let t = r#"fn shot(mut c: Commands, i: u32) {
    c.spawn(Screenshot::primary_window()).observe(save_to_disk("shot.png"));
    let name = format!("{}.png", i);
    save(&name);
    info!("wrote screenshot.png");
    std::fs::write("out/log.txt", b"x");
    let p = "save/slot.ron";
    write_save(p);
    a.load("https://example.org/remote.png");
}"#;
    assert_eq!(found(t), Vec::<&str>::new());
}

#[test]
fn hostile_macro_nesting_stays_bounded() {
    let mut t = String::from("fn f() { ");
    for _ in 0..2000 {
        t.push_str("m!(");
    }
    t.push_str("a.load(\"x.png\")");
    for _ in 0..2000 {
        t.push(')');
    }
    t.push_str(" }");
    // Beyond the depth limit nothing is found, and nothing overflows.
    assert_eq!(found(&t), Vec::<&str>::new());
    assert_eq!(found("fn f() { m!(n!(a.load(\"x.png\"))) }"), ["x.png"]);
}

#[test]
fn const_links_name_uses_here_and_elsewhere() {
    let t = r#"pub const SHADER: &str = "shaders/s.wgsl";
pub const UNUSED_HERE: &str = "models/m.glb";
pub const NOT_A_PATH: u32 = 3;
fn f(a: Res<AssetServer>) {
    a.load(SHADER);
    a.load(consts::OTHER_FILE);
    a.load(local_param);
}"#;
    let (refs, links) = extract(t, &CodeApi::default());
    let links = *links.unwrap();
    let v: Vec<&str> = refs.iter().map(|r| &t[r.range.start as usize..r.range.end as usize]).collect();
    assert_eq!(v, ["shaders/s.wgsl", "models/m.glb"]);
    assert_eq!(links.defs, [(1, "UNUSED_HERE".into())]);
    let use_at = TextRange::new(t.find("SHADER)").unwrap() as u32, t.find("SHADER)").unwrap() as u32 + 6);
    assert_eq!(links.uses, [(0, use_at)]);
    assert_eq!(links.remote, [("OTHER_FILE".into(), at(t, "OTHER_FILE"))]);
}

#[test]
fn embedded_files_and_folders() {
    let t = r#"fn build(app: &mut App) {
    embedded_asset!(app, "files/light.png");
    embedded_asset!(app, "examples/asset/", "files/dark.png");
    load_internal_asset!(app, SHADER_HANDLE, "render/sky.wgsl", Shader::from_wgsl);
    warn!(include_str!("warning.txt"));
    let bytes = include_bytes!("../assets/icon.png");
    let folder = asset_server.load_folder("textures/rpg");
    println!("{}", "not/embedded.txt");
}"#;
    let (refs, links) = extract(t, &CodeApi::default());
    let v: Vec<(&str, bool)> =
        refs.iter().map(|r| (&t[r.range.start as usize..r.range.end as usize], r.file_relative)).collect();
    assert_eq!(
        v,
        [
            ("files/light.png", true),
            ("files/dark.png", true),
            ("render/sky.wgsl", true),
            ("warning.txt", true),
            ("../assets/icon.png", true),
            ("textures/rpg", false)
        ]
    );
    assert_eq!(links.unwrap().folders, [5]);
}

#[test]
fn project_specific_places_from_config() {
    let api = CodeApi {
        calls: vec!["fetch".to_owned()],
        constructors: vec!["Sprite::from_file".to_owned()],
        attributes: vec!["texture".to_owned()],
        returns: vec!["icon".to_owned()],
        folder_calls: Vec::new(),
        sources: Vec::new(),
    };
    let t = r#"#[texture(path = "ui/a.png")]
struct A;
fn icon() -> Handle<Image> { "ui/icon.png".into() }
fn f(a: Res<AssetServer>) {
    let x = a.fetch("sfx/hit.ogg");
    let s = Sprite::from_file("sprites/s.png");
    let n = a.load("not/configured.png");
    let o = Other::from_file("not/this.png");
}"#;
    let v: Vec<&str> = extract(t, &api).0.iter().map(|r| &t[r.range.start as usize..r.range.end as usize]).collect();
    assert_eq!(v, ["ui/a.png", "ui/icon.png", "sfx/hit.ogg", "sprites/s.png"]);
}

#[test]
fn a_file_of_consts_alone_is_read() {
    // It names no API, but another file may use its consts as paths.
    let t = "// Paths.\npub const MUSIC: &str = \"audio/theme.ogg\";\n";
    let (refs, links) = extract(t, &CodeApi::default());
    assert_eq!(refs.len(), 1);
    assert_eq!(links.unwrap().defs, [(0, "MUSIC".into())]);
    assert_eq!(extract("const N: u32 = 3;\nfn f() {}\n", &CodeApi::default()).0, []);
}

#[test]
fn hostile_bindings_stay_bounded() {
    // Each level is an array of 60 copies of the one before: 60^levels
    // paths to one string if followed naively.
    let nest = |levels: usize| {
        let mut t = String::from("fn f(a: Res<AssetServer>) {\n    let b0 = \"x.png\";\n");
        for level in 1..=levels {
            let items = vec![format!("b{}", level - 1); 60].join(", ");
            t.push_str(&format!("    let b{level} = [{items}];\n"));
        }
        t.push_str(&format!("    a.load(b{levels});\n}}\n"));
        t
    };
    let start = std::time::Instant::now();
    assert_eq!(found(&nest(3)), ["x.png"]);
    // Beyond the following depth nothing is found, and nothing explodes.
    assert_eq!(found(&nest(12)), Vec::<&str>::new());
    // Generous for a debug build on a loaded machine; naive following takes hours.
    assert!(start.elapsed() < std::time::Duration::from_secs(20), "{:?}", start.elapsed());
}

#[test]
fn strings_returned_by_a_function_or_iterated_where_a_path_goes() {
    let t = r#"impl Shape {
    fn model_path(&self) -> String {
        match self {
            Shape::Cube => "models/cube.gltf".into(),
            Shape::Sphere => { "models/sphere.gltf".to_string() }
        }
    }
    fn label(&self) -> String { "not/a_path.png".into() }
}
fn pick(big: bool) -> &'static str { if big { "ui/big.png" } else { "ui/small.png" } }
const FONTS: &[&str] = &["fonts/a.ttf", "fonts/b.ttf"];
fn f(a: Res<AssetServer>, shape: Shape) {
    a.load(GltfAssetLabel::Scene(0).from_asset(shape.model_path()));
    a.load(pick(true));
    let handles: Vec<Handle<Font>> = FONTS.iter().map(|font| a.load(*font)).collect();
    info!("{}", shape.label());
}"#;
    assert_eq!(
        found(t),
        ["models/cube.gltf", "models/sphere.gltf", "ui/big.png", "ui/small.png", "fonts/a.ttf", "fonts/b.ttf"]
    );
}

/// 50 KB of `load(r#"`: tree-sitter-rust's lexer walks to the end of the
/// file for each `r#"` (6,400 bytes read per byte, 1.9 s release). Its
/// budget is spent early, and the file yields nothing.
#[test]
fn an_unterminated_raw_string_bomb_is_cancelled() {
    let text = "load(r#\"".repeat(50 * 1024 / 8);
    assert!(matches!(super::extract(&text, &CodeApi::default()), Err(TooCostly)));
}

/// A file whose every byte is an error node (a megabyte of `[` held about
/// 250 bytes per byte) is cancelled by the memory budget, which the work
/// budget alone lets through; and `may_occur_in` must let it reach the parser.
#[cfg(target_os = "linux")]
#[test]
fn a_file_of_open_brackets_is_cancelled_by_its_memory() {
    let text = format!("fn f(s: S) {{ s.load(\"a.png\"); {}", "[".repeat(256 * 1024));
    assert!(matches!(super::extract(&text, &CodeApi::default()), Err(TooCostly)));
    let mut work = ParseBudget::for_len(text.len());
    let tree = super::parse(&text, &mut work, &mut Allowance::unbounded());
    assert!(tree.is_some(), "the work budget alone lets it through");
}

/// Game code as Bevy's examples write it, `n` systems that load and spawn
/// (about 250 bytes each): 22 bytes of tree per byte, like real code.
fn spawning_systems(n: usize) -> String {
    let mut text = String::from("use bevy::prelude::*;\n\n");
    for i in 0..n {
        text.push_str(&format!(
            "fn setup_{i}(mut commands: Commands, asset_server: Res<AssetServer>) {{\n    \
             commands.spawn((\n        Sprite::from_image(asset_server.load(\"textures/t{i}.png\")),\n        \
             Transform::from_xyz({i}.0, 0.5, 0.0),\n        Name::new(\"sprite {i}\"),\n    ));\n}}\n\n"
        ));
    }
    text
}

/// Real code near the 1 MiB a game-code file may have holds more than its
/// own part and its floor (`10 × len + 1 MiB`), well within the shared
/// one: every load is found.
#[test]
fn real_code_near_the_size_bound_parses_fully() {
    let n = 4_000;
    let text = spawning_systems(n);
    assert!(text.len() > 900 * 1024 && text.len() < crate::extract::MAX_CODE_BYTES, "{}", text.len());
    let mut allowance = Allowance::for_len(text.len());
    let found = extract_within(&text, &CodeApi::default(), ParseBudget::for_len(text.len()), &mut allowance);
    assert_eq!(found.map(|(refs, _)| refs.len()).ok(), Some(n));
    #[cfg(target_os = "linux")]
    assert!(allowance.needed_the_shared_part(), "the shared part was needed: {} bytes held", allowance.peak);
}

/// Files of one token repeated inside a `load(` call, `len` bytes long:
/// every byte an error node.
fn hostile_files(len: usize) -> Vec<String> {
    ["[", "'", "#"].iter().map(|t| format!("fn f(s: S) {{ s.load(\"a.png\"); s.load({}", t.repeat(len))).collect()
}

/// Whether a file was read, and how many references it has.
fn verdict(text: &str) -> Result<usize, ()> {
    super::extract(text, &CodeApi::default()).map(|(refs, _)| refs.len()).map_err(|_| ())
}

/// A file's verdict does not depend on what other threads parse at the same
/// time: while others hold every floor or the shared part, a file waits
/// for them rather than fail, and a hostile file is cancelled only past its
/// own part, its floor and all of the shared one. More threads than floors,
/// each parsing hostile files and real code.
#[cfg(target_os = "linux")]
#[test]
fn verdicts_are_the_same_when_threads_parse_hostile_files_at_once() {
    let mut files = hostile_files(1_000_000);
    files.push(spawning_systems(4_000));
    files.push(spawning_systems(300));
    let alone: Vec<Result<usize, ()>> = files.iter().map(|f| verdict(f)).collect();
    assert_eq!(alone, [Err(()), Err(()), Err(()), Ok(4_000), Ok(300)]);
    let threads = 10;
    // Each thread two of the files, starting at another one, so that each
    // file meets the others.
    let picks = |t: usize| [t % files.len(), (t + 2) % files.len()];
    let together: Vec<(usize, Vec<Result<usize, ()>>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let files = &files;
                scope.spawn(move || (t, picks(t).iter().map(|&i| verdict(&files[i])).collect()))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (t, got) in together {
        let want: Vec<Result<usize, ()>> = picks(t).iter().map(|&i| alone[i]).collect();
        assert_eq!(got, want, "thread {t}");
    }
}

/// A megabyte of one token inside a `load(` call is cancelled once its
/// parse holds its own part, its floor and the shared part, not 128 times
/// its size.
#[cfg(target_os = "linux")]
#[test]
fn a_hostile_file_holds_no_more_than_its_own_and_the_shared_part() {
    for text in hostile_files(1_000_000) {
        let mut allowance = Allowance::for_len(text.len());
        let found = extract_within(&text, &CodeApi::default(), ParseBudget::for_len(text.len()), &mut allowance);
        assert!(matches!(found, Err(TooCostly)));
        // What tree-sitter allocates between two progress callbacks (about
        // 100 parse actions) is the only excess.
        let most = Allowance::before_shared(text.len()) + memory::SHARED_BYTES + 256 * 1024;
        assert!(allowance.peak <= most, "{} KiB held, at most {} KiB", allowance.peak >> 10, most >> 10);
    }
}

/// The same file with its raw strings closed is well within budget.
#[test]
fn the_same_calls_closed_are_read() {
    let text = "fn f(s: S) {\n".to_owned() + &"    s.load(r#\"a.png\"#);\n".repeat(2000) + "}\n";
    assert_eq!(extract(&text, &CodeApi::default()).0.len(), 2000);
}

/// A macro body is parsed again under the file's one budget: a budget
/// that covers the file's own parse but not the re-parse of its macro
/// body cancels the file.
#[test]
fn macro_bodies_parse_under_the_files_budget() {
    let body = "    (Sprite::default(), Name::new(\"x\")),\n".repeat(200);
    let text = format!("fn f(s: S) {{\n    children![\n        s.load(\"a.png\"),\n{body}    ];\n}}\n");
    let api = CodeApi::default();
    let full = ParseBudget::for_len(text.len());
    let mut own = full;
    let allowance = || Allowance::for_len(text.len());
    assert!(parse(&text, &mut own, &mut allowance()).is_some());
    assert_eq!(extract_within(&text, &api, full, &mut allowance()).map(|(refs, _)| refs.len()).ok(), Some(1));
    // Exactly what the file's own parse costs, and a little more.
    let just_own = ParseBudget { read: full.read - own.read + 1, steps: full.steps - own.steps + 1 };
    assert!(matches!(extract_within(&text, &api, just_own, &mut allowance()), Err(TooCostly)));
}

/// Prints what tree-sitter holds per byte of each game-code file under
/// `ASSETRY_MEASURE_DIR` (Bevy's repository, say), at the most, as the
/// progress callback sees it, the file's macro bodies included: the figures
/// behind [`memory::SHARED_BYTES`]. Fails if a file that names an asset API
/// would be cancelled. `cargo test --release -p assetry-pipeline --lib
/// memory_per_byte -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement: needs ASSETRY_MEASURE_DIR"]
fn memory_per_byte_of_real_code() {
    let Ok(dir) = std::env::var("ASSETRY_MEASURE_DIR") else { return };
    let api = CodeApi::default();
    let mut stack = vec![std::path::PathBuf::from(dir)];
    let (mut files, mut total_len, mut total_peak) = (0usize, 0usize, 0i64);
    let mut worst = (0f64, String::new());
    // Files that needed the shared part, and the most one of them took.
    let (mut past_own, mut most_beyond) = (0usize, (0i64, String::new()));
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.extension().and_then(|x| x.to_str()) != Some("rs") {
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            if text.len() < 4096 || text.len() > crate::extract::MAX_CODE_BYTES {
                continue;
            }
            let mut allowance = Allowance::unbounded();
            // Every file is parsed, whether it names an asset API or not.
            let mut budget = ParseBudget::for_len(text.len());
            drop(parse(&text, &mut budget, &mut allowance));
            let mut held = allowance.peak;
            if api.may_occur_in(&text) {
                // With its macro bodies, as `check` parses it.
                let mut allowance = Allowance::unbounded();
                let verdict = extract_within(&text, &api, ParseBudget::for_len(text.len()), &mut allowance);
                assert!(verdict.is_ok(), "{} is too costly", p.display());
                held = held.max(allowance.peak);
            }
            files += 1;
            total_len += text.len();
            total_peak += held;
            let ratio = held as f64 / text.len() as f64;
            if ratio > worst.0 {
                worst = (ratio, p.display().to_string());
            }
            let beyond = held - Allowance::before_shared(text.len());
            if beyond > 0 {
                past_own += 1;
                if beyond > most_beyond.0 {
                    most_beyond = (beyond, p.display().to_string());
                }
            }
        }
    }
    eprintln!(
        "{files} files of 4 KiB or more, {total_len} bytes: parses held {:.1} bytes per byte in all, {:.1} at most ({}); \
         {past_own} needed the shared part, {} KiB at most ({}), of {} KiB",
        total_peak as f64 / total_len.max(1) as f64,
        worst.0,
        worst.1,
        most_beyond.0 >> 10,
        most_beyond.1,
        memory::SHARED_BYTES >> 10
    );
    assert!(most_beyond.0 < memory::SHARED_BYTES);
}

/// A game-code file past the size bound is not parsed at all, and says so.
#[test]
fn a_game_code_file_over_the_size_bound_is_not_parsed() {
    let line = "fn f(s: S) { s.load(\"a.png\"); }\n";
    let text = line.repeat(crate::extract::MAX_CODE_BYTES / line.len() + 1);
    let (extracted, links) = crate::extract::extract_code(&text, &CodeApi::default());
    assert!(extracted.refs.is_empty() && links.is_none());
    let why = extracted.skipped.expect("skipped");
    assert!(why.starts_with("larger than the 1 MiB Assetry reads in a game-code file"), "{why}");
    let under = line.repeat(1000);
    assert_eq!(crate::extract::extract_code(&under, &CodeApi::default()).0.refs.len(), 1000);
}

#[test]
fn gltf_asset_labels_with_literal_arguments() {
    let t = r#"const P: &str = "models/c.gltf";
fn f(a: Res<AssetServer>, i: usize) {
    a.load(GltfAssetLabel::Scene(7).from_asset("models/a.gltf"));
    a.load(GltfAssetLabel::Primitive { mesh: 1, primitive: 0x2 }.from_asset("models/a.gltf"));
    a.load(bevy::gltf::GltfAssetLabel::Material { is_scale_inverted: true, index: 1_0usize }.from_asset("m/b.gltf"));
    a.load(GltfAssetLabel::Material { index: 3, is_scale_inverted: false }.from_asset("m/d.gltf"));
    a.load((GltfAssetLabel::DefaultMaterial).from_asset("m/e.gltf"));
    a.load(GltfAssetLabel::InverseBindMatrices(4).from_asset("m/f.gltf"));
    children![a.load(GltfAssetLabel::Animation(2).from_asset("m/in_macro.gltf"))];
    a.load(GltfAssetLabel::Node(i).from_asset("m/variable.gltf"));
    a.load(GltfAssetLabel::Primitive { mesh, primitive: 0 }.from_asset("m/shorthand.gltf"));
    a.load(Other::Scene(0).from_asset("m/other.gltf"));
    a.load(GltfAssetLabel::Scene(0).from_asset(P));
}"#;
    let (refs, links) = extract(t, &CodeApi::default());
    let links = links.unwrap();
    let labels: Vec<(&str, &str, &str)> = links
        .labels
        .iter()
        .map(|l| {
            let r = &refs[l.index as usize].range;
            (&t[r.start as usize..r.end as usize], &*l.name, &t[l.range.start as usize..l.range.end as usize])
        })
        .collect();
    assert_eq!(
        labels,
        [
            ("models/a.gltf", "Scene7", "GltfAssetLabel::Scene(7)"),
            ("models/a.gltf", "Mesh1/Primitive2", "GltfAssetLabel::Primitive { mesh: 1, primitive: 0x2 }"),
            (
                "m/b.gltf",
                "Material10 (inverted)",
                "bevy::gltf::GltfAssetLabel::Material { is_scale_inverted: true, index: 1_0usize }"
            ),
            ("m/d.gltf", "Material3", "GltfAssetLabel::Material { index: 3, is_scale_inverted: false }"),
            ("m/e.gltf", "DefaultMaterial", "GltfAssetLabel::DefaultMaterial"),
            ("m/f.gltf", "Skin4/InverseBindMatrices", "GltfAssetLabel::InverseBindMatrices(4)"),
            ("m/in_macro.gltf", "Animation2", "GltfAssetLabel::Animation(2)"),
        ]
    );
    // The literal holds the path only; the rest are references without a label.
    assert_eq!(refs.len(), 11);
    assert!(refs.iter().all(|r| !r.value.contains('#')));
}
