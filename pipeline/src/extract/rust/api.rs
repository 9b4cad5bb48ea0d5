//! Which Rust APIs take asset paths: the `[references] code_*` keys of
//! `assetry.toml`, and Bevy's and bevy_asset_loader's names as the default.

/// The places in game code where a string is an asset path. A string is a
/// reference because of where it is, never because of its shape: a file
/// name written at run time (`save("shot.png")`) is not an asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeApi {
    /// Function or method names whose first path argument is an asset path
    /// (`asset_server.load("x.png")`, `.from_asset("x.gltf")`).
    pub calls: Vec<String>,
    /// `Type::function` paths called like constructors whose first path
    /// argument is an asset path (`ShaderRef::Path("x.wgsl".into())`).
    pub constructors: Vec<String>,
    /// Attribute names whose `path = "…"` and `paths("…", …)` arguments are
    /// asset paths (`#[asset(path = "x.png")]`).
    pub attributes: Vec<String>,
    /// Names of functions whose returned `"…".into()` is an asset path
    /// (`fn fragment_shader() -> ShaderRef { "x.wgsl".into() }`).
    pub returns: Vec<String>,
    /// Calls whose first path argument names a folder under an asset root
    /// (`asset_server.load_folder("textures/rpg")`).
    pub folder_calls: Vec<String>,
    /// URL schemes whose strings name project files, kept where other URLs
    /// are dropped: Bevy's `embedded` and `[sources]` asset sources.
    pub sources: Vec<String>,
}

/// Macros that embed a file, named relative to the source file that
/// invokes them: its first string argument (`include_bytes!("x.png")`,
/// `load_internal_asset!(app, H, "x.wgsl", …)`), or the last one for
/// `embedded_asset!(app, ["src",] "x.png")`.
pub(super) const EMBED_MACROS: &[&str] =
    &["include_bytes", "include_str", "embedded_asset", "load_internal_asset", "load_internal_binary_asset"];

/// Bevy's and bevy_asset_loader's APIs. The default for every project: they
/// are harmless elsewhere, as only a string in one of these places counts.
pub struct CodeDefaults {
    pub calls: &'static [&'static str],
    pub constructors: &'static [&'static str],
    pub attributes: &'static [&'static str],
    pub returns: &'static [&'static str],
    pub folder_calls: &'static [&'static str],
}

pub const BEVY_CODE_DEFAULTS: CodeDefaults = CodeDefaults {
    calls: &[
        "load",
        "load_with_settings",
        "load_with_settings_override",
        "load_override",
        "load_untyped",
        "load_erased",
        "load_acquire",
        "load_acquire_with_settings",
        "load_acquire_override",
        "load_asset",
        "get_handle",
        "get_handle_untyped",
        "from_asset",
    ],
    constructors: &[
        "ShaderRef::Path",
        "ShaderRef::from",
        "AssetPath::from",
        "AssetPath::parse",
        "AssetPath::from_path",
        "FontSourceTemplate::Handle",
    ],
    attributes: &["asset"],
    returns: &[
        "vertex_shader",
        "fragment_shader",
        "prepass_vertex_shader",
        "prepass_fragment_shader",
        "deferred_vertex_shader",
        "deferred_fragment_shader",
        "meshlet_mesh_fragment_shader",
        "meshlet_mesh_prepass_fragment_shader",
        "meshlet_mesh_deferred_fragment_shader",
        "specialize_shader",
        "shader",
    ],
    folder_calls: &["load_folder"],
};

fn owned(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

impl CodeDefaults {
    pub fn calls(&self) -> Vec<String> {
        owned(self.calls)
    }
    pub fn constructors(&self) -> Vec<String> {
        owned(self.constructors)
    }
    pub fn attributes(&self) -> Vec<String> {
        owned(self.attributes)
    }
    pub fn returns(&self) -> Vec<String> {
        owned(self.returns)
    }
    pub fn folder_calls(&self) -> Vec<String> {
        owned(self.folder_calls)
    }
}

impl Default for CodeApi {
    fn default() -> Self {
        let d = &BEVY_CODE_DEFAULTS;
        CodeApi {
            calls: d.calls(),
            constructors: d.constructors(),
            attributes: d.attributes(),
            returns: d.returns(),
            folder_calls: d.folder_calls(),
            sources: Vec::new(),
        }
    }
}

impl CodeApi {
    /// Whether a URL is a path in one of the project's asset sources.
    pub(super) fn is_source_path(&self, value: &str) -> bool {
        value.split_once("://").is_some_and(|(scheme, _)| self.sources.iter().any(|s| s == scheme))
    }

    pub(super) fn is_call(&self, name: &str) -> bool {
        self.calls.iter().any(|c| c == name)
    }

    /// `ty` is the last segment of the path before `::name`.
    pub(super) fn is_constructor(&self, ty: &str, name: &str) -> bool {
        self.constructors
            .iter()
            .any(|c| c.rsplit_once("::").is_some_and(|(t, n)| n == name && t.rsplit("::").next() == Some(ty)))
    }

    pub(super) fn is_folder_call(&self, name: &str) -> bool {
        self.folder_calls.iter().any(|c| c == name)
    }

    pub(super) fn is_attribute(&self, name: &str) -> bool {
        self.attributes.iter().any(|a| a == name)
    }

    pub(super) fn is_return(&self, name: &str) -> bool {
        self.returns.iter().any(|r| r == name)
    }

    /// Whether a macro body can hold a reference: it calls one of the
    /// names (`name(`, `name::<`, `name!(`), or returns `.into()` in a
    /// configured function. Most macro bodies (`info!`, `format!`) do not,
    /// and are not parsed again.
    pub(super) fn called_in(&self, body: &str, in_return: bool) -> bool {
        let calls = self.calls.iter().chain(&self.folder_calls).map(String::as_str);
        let constructors = self.constructors.iter().map(|c| constructor_type(c));
        (in_return && memchr::memmem::find(body.as_bytes(), b"into(").is_some())
            || calls.chain(EMBED_MACROS.iter().copied()).any(|n| mentions(body, n, true))
            || constructors.into_iter().any(|t| mentions(body, t, true))
    }

    /// Whether `text` can hold a reference at all: none of the names occur
    /// in it (most code files), so it need not be parsed.
    pub(super) fn may_occur_in(&self, text: &str) -> bool {
        // memchr's searcher: this runs on every code file, for each name.
        let has = |needle: &str| memchr::memmem::find(text.as_bytes(), needle.as_bytes()).is_some();
        let names = self.calls.iter().chain(&self.returns).chain(&self.folder_calls);
        names.into_iter().any(|c| has(c))
            || EMBED_MACROS.iter().any(|m| has(m))
            || self.attributes.iter().any(|a| in_attribute(text, a))
            || self.constructors.iter().any(|c| has(constructor_type(c)))
            || defines_string_const(text)
    }
}

/// Whether `word` occurs in `text` as a whole identifier (and, with `call`,
/// followed by `(`, `::<` or `!`).
pub(super) fn mentions(text: &str, word: &str, call: bool) -> bool {
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    memchr::memmem::find_iter(text.as_bytes(), word.as_bytes()).any(|i| {
        let before_ok = i == 0 || !is_ident(text.as_bytes()[i - 1]);
        let rest = text[i + word.len()..].trim_start();
        let after_ok = if call {
            rest.starts_with('(') || rest.starts_with("::") || rest.starts_with('!')
        } else {
            !rest.bytes().next().is_some_and(is_ident)
        };
        before_ok && after_ok
    })
}

/// Whether `text` has an attribute `#[name` (`asset` alone is in nearly
/// every Bevy file, `#[asset` only where bevy_asset_loader is used).
fn in_attribute(text: &str, name: &str) -> bool {
    memchr::memmem::find_iter(text.as_bytes(), b"#[").any(|i| text[i + 2..].trim_start().starts_with(name))
}

/// The type a configured constructor is called on (`ShaderRef` of
/// `ShaderRef::Path`): it is written at every call, while the function
/// name (`from`, `parse`) is in nearly every file.
fn constructor_type(constructor: &str) -> &str {
    let mut segments = constructor.rsplit("::");
    let last = segments.next().unwrap_or(constructor);
    segments.next().unwrap_or(last)
}

/// Whether `text` may define a const or static holding a string (`const
/// SHADER: &str = "…";`, arrays too): another file may use it as a path,
/// so such a file is parsed even when it names no API.
fn defines_string_const(text: &str) -> bool {
    let b = text.as_bytes();
    [&b"const "[..], &b"static "[..]].iter().any(|kw| {
        memchr::memmem::find_iter(b, kw).any(|i| {
            let rest = text[i + kw.len()..].trim_start();
            let rest = rest.strip_prefix("mut ").unwrap_or(rest).trim_start();
            let item = &rest[..rest.find(';').unwrap_or(rest.len())];
            rest.starts_with(|c: char| c.is_ascii_uppercase()) && item.contains('"')
        })
    })
}
