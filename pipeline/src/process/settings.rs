//! Which processor an asset gets, and its effective settings for a profile.
//!
//! Layering, lowest first: the `.meta`'s `[settings]`; then for each profile
//! from the root of its `inherits` chain down to the chosen one, the
//! profile's `settings.<processor>` table in `assetry.toml` and the `.meta`'s
//! `[profiles.<name>.settings]`. A profile-specific value beats a general
//! one; at the same level the asset's own `.meta` beats the project.

use crate::config::{Config, ExternalProcessor};

/// A processor, as `.meta`'s `processor = …` or the extension chose it.
#[derive(Debug, Clone, PartialEq)]
pub enum Processor {
    /// Ships the source as is (`processor = "none"` or `"copy"`, and every
    /// extension without a processor of its own).
    Copy,
    /// JSON and RON data: validated, references turned into ids, minified.
    Scene,
    /// PNG and JPEG through the `image` crate.
    Image,
    /// WGSL shaders: composed with their imports, validated.
    Wgsl,
    /// WESL shaders: composed as Bevy 0.20 does (the `wesl` crate),
    /// validated, written as WGSL.
    Wesl,
    /// `[processors.NAME]` of `assetry.toml`.
    External(String, ExternalProcessor),
}

impl Processor {
    /// The processor for an asset at `path` whose `.meta` names `named`.
    pub fn choose(named: Option<&str>, path: &str, config: &Config) -> Result<Processor, String> {
        if let Some(name) = named {
            return match name {
                "none" | "copy" => Ok(Processor::Copy),
                "scene" => Ok(Processor::Scene),
                "image" => Ok(Processor::Image),
                "wgsl" => Ok(Processor::Wgsl),
                "wesl" if config.flavor == crate::flavor::Flavor::Bevy => Ok(Processor::Wesl),
                // Only a Bevy project's WESL imports are read into the graph:
                // elsewhere an edited module would not reprocess its importers.
                "wesl" => Err("the wesl processor needs the bevy flavour (`flavor = \"bevy\"`, or a Cargo.toml \
                     depending on bevy): only there are WESL imports tracked"
                    .to_owned()),
                _ => match config.processors.get(name) {
                    Some(p) => Ok(Processor::External(name.to_owned(), p.clone())),
                    None => Err(format!(
                        "unknown processor `{name}` (built in: copy, none, scene, image, wgsl, wesl; assetry.toml defines: {})",
                        names(config.processors.keys())
                    )),
                },
            };
        }
        let ext = std::path::Path::new(path).extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        Ok(match ext.as_deref() {
            Some("json" | "ron") => Processor::Scene,
            Some("png" | "jpg" | "jpeg") => Processor::Image,
            Some("wgsl") => Processor::Wgsl,
            // WESL is Bevy's (0.20 on); elsewhere it is copied as before.
            Some("wesl") if config.flavor == crate::flavor::Flavor::Bevy => Processor::Wesl,
            _ => Processor::Copy,
        })
    }

    /// The name settings are filed under in a profile (`settings.image`).
    pub fn name(&self) -> &str {
        match self {
            Processor::Copy => "copy",
            Processor::Scene => "scene",
            Processor::Image => "image",
            Processor::Wgsl => "wgsl",
            Processor::Wesl => "wesl",
            Processor::External(name, _) => name,
        }
    }

    /// Name and version, part of the cache key: a new version of a built-in
    /// processor, or an edited command line, reprocesses its assets.
    pub fn identity(&self) -> String {
        match self {
            Processor::Copy => "copy@1".to_owned(),
            Processor::Scene => "scene@1".to_owned(),
            Processor::Image => "image@1".to_owned(),
            Processor::Wgsl => "wgsl@2".to_owned(),
            Processor::Wesl => "wesl@1".to_owned(),
            Processor::External(name, p) => {
                format!("external:{name}@1 {:?} {:?} {:?}", p.command, p.output_extension, p.timeout)
            }
        }
    }
}

fn names<'a>(it: impl Iterator<Item = &'a String>) -> String {
    let v: Vec<&str> = it.map(String::as_str).collect();
    if v.is_empty() { "none".to_owned() } else { v.join(", ") }
}

/// The profile chain from its root ancestor down to `profile`.
pub fn profile_chain<'a>(config: &'a Config, profile: &'a str) -> Vec<&'a str> {
    let mut chain = vec![profile];
    let mut at = profile;
    // The config rejects circles; the bound only guards against a bad Config value.
    while let Some(parent) = config.profiles.get(at).and_then(|p| p.inherits.as_deref()) {
        if chain.len() > config.profiles.len() {
            break;
        }
        chain.push(parent);
        at = parent;
    }
    chain.reverse();
    chain
}

/// The effective settings of an asset: `meta_settings` is the `.meta`'s
/// `{"settings": …, "profiles": …}` part (see [`meta_settings`]).
pub fn effective(config: &Config, profile: &str, processor: &str, meta: &toml::Table) -> toml::Table {
    let mut out = toml::Table::new();
    if let Some(toml::Value::Table(t)) = meta.get("settings") {
        layer(&mut out, t);
    }
    for p in profile_chain(config, profile) {
        if let Some(toml::Value::Table(t)) = config.profiles.get(p).and_then(|p| p.settings.get(processor)) {
            layer(&mut out, t);
        }
        let own = meta.get("profiles").and_then(|v| v.get(p)).and_then(|v| v.get("settings"));
        if let Some(toml::Value::Table(t)) = own {
            layer(&mut out, t);
        }
    }
    out
}

fn layer(out: &mut toml::Table, over: &toml::Table) {
    for (k, v) in over {
        out.insert(k.clone(), v.clone());
    }
}

/// The parts of a `.meta`'s text that settings come from. A `.meta` that
/// is not TOML gives none (the check reports it as `invalid-meta`).
pub fn meta_settings(text: &str) -> toml::Table {
    let mut out = toml::Table::new();
    // Most sidecars hold an id and nothing to layer: not parsed again.
    if !text.contains("settings") && !text.contains("profiles") {
        return out;
    }
    if let Ok(mut t) = text.parse::<toml::Table>() {
        for key in ["settings", "profiles"] {
            if let Some(v) = t.remove(key) {
                out.insert(key.to_owned(), v);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_values_layer_over_general_ones_and_the_meta_over_the_project() {
        let config = Config::parse(
            "[profiles.mobile]\ninherits = \"default\"\nsettings.image = { max_size = 1024, format = \"png\" }\n",
        )
        .unwrap();
        let meta = meta_settings(
            "id = \"x\"\n[settings]\nmax_size = 2048\nquality = 80\n[profiles.mobile.settings]\nformat = \"jpeg\"\n",
        );
        let eff = effective(&config, "mobile", "image", &meta);
        let expected: toml::Table = "format = \"jpeg\"\nmax_size = 1024\nquality = 80\n".parse().unwrap();
        assert_eq!(eff, expected);
        let eff = effective(&config, "default", "image", &meta);
        assert_eq!(eff.get("max_size"), Some(&toml::Value::Integer(2048)));
        assert_eq!(eff.get("format"), None);
    }
}
