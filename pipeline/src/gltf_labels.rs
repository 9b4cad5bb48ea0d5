//! The sub-asset labels Bevy's glTF loader gives a `.gltf` or `.glb` file,
//! read from the file itself (for GLB, from its JSON chunk only), in the
//! syntax of `bevy_gltf/src/label.rs`: `Scene0`, `Node3`, `Mesh0`,
//! `Mesh0/Primitive1`, `Texture1`, `Material2`, `Material2 (inverted)`,
//! `DefaultMaterial`, `Animation0`, `Skin0`, `Skin0/InverseBindMatrices`
//! (and `Mesh0/Primitive1/MorphTargets` for a primitive with targets).
//!
//! Only the counts are kept (a few bytes per file), never the document.

use serde::Deserialize;
use serde::de::IgnoredAny;

/// A GLB's JSON chunk larger than this is not read: a real one holds a
/// few megabytes at most (the binary data lives in the BIN chunk).
pub const MAX_GLB_JSON_BYTES: u32 = 64 * 1024 * 1024;

/// What a glTF document declares, as far as its labels go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GltfLabels {
    scenes: u32,
    nodes: u32,
    /// Per mesh, per primitive: whether it has morph targets.
    meshes: Vec<Vec<bool>>,
    materials: u32,
    textures: u32,
    animations: u32,
    skins: u32,
}

#[derive(Deserialize)]
struct Document {
    #[serde(default)]
    scenes: Vec<IgnoredAny>,
    #[serde(default)]
    nodes: Vec<IgnoredAny>,
    #[serde(default)]
    meshes: Vec<Mesh>,
    #[serde(default)]
    materials: Vec<IgnoredAny>,
    #[serde(default)]
    textures: Vec<IgnoredAny>,
    #[serde(default)]
    animations: Vec<IgnoredAny>,
    #[serde(default)]
    skins: Vec<IgnoredAny>,
}

#[derive(Deserialize)]
struct Mesh {
    #[serde(default)]
    primitives: Vec<Primitive>,
}

#[derive(Deserialize)]
struct Primitive {
    #[serde(default)]
    targets: Vec<IgnoredAny>,
}

impl GltfLabels {
    /// The labels of a glTF JSON document; `None` when it is not one (then
    /// no label is judged: Bevy would fail to load the file anyway, and a
    /// broken file is not the reference's fault).
    pub fn from_json(text: &str) -> Option<GltfLabels> {
        let d: Document = serde_json::from_str(text).ok()?;
        let n = |v: &Vec<IgnoredAny>| v.len() as u32;
        Some(GltfLabels {
            scenes: n(&d.scenes),
            nodes: n(&d.nodes),
            meshes: d.meshes.iter().map(|m| m.primitives.iter().map(|p| !p.targets.is_empty()).collect()).collect(),
            materials: n(&d.materials),
            textures: n(&d.textures),
            animations: n(&d.animations),
            skins: n(&d.skins),
        })
    }

    /// Whether Bevy's glTF loader gives the file the label `name`.
    pub fn has(&self, name: &str) -> bool {
        if name == "DefaultMaterial" {
            return true;
        }
        let indexed =
            |prefix: &str, count: u32| -> bool { name.strip_prefix(prefix).and_then(index).is_some_and(|i| i < count) };
        if indexed("Scene", self.scenes)
            || indexed("Node", self.nodes)
            || indexed("Texture", self.textures)
            || indexed("Animation", self.animations)
        {
            return true;
        }
        if let Some(rest) = name.strip_prefix("Material") {
            let rest = rest.strip_suffix(" (inverted)").unwrap_or(rest);
            return index(rest).is_some_and(|i| i < self.materials);
        }
        if let Some(rest) = name.strip_prefix("Skin") {
            let rest = rest.strip_suffix("/InverseBindMatrices").unwrap_or(rest);
            return index(rest).is_some_and(|i| i < self.skins);
        }
        if let Some(rest) = name.strip_prefix("Mesh") {
            let (mesh, primitive) = match rest.split_once("/Primitive") {
                Some((m, p)) => (m, Some(p)),
                None => (rest, None),
            };
            let Some(prims) = index(mesh).and_then(|m| self.meshes.get(m as usize)) else { return false };
            return match primitive {
                None => true,
                Some(p) => {
                    let (p, morph) = match p.strip_suffix("/MorphTargets") {
                        Some(p) => (p, true),
                        None => (p, false),
                    };
                    index(p).and_then(|p| prims.get(p as usize)).is_some_and(|has_targets| !morph || *has_targets)
                }
            };
        }
        false
    }

    /// A few of the labels the file has, for a message ("its labels are …").
    pub fn examples(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut some = |prefix: &str, count: u32| {
            if count > 0 {
                out.push(if count == 1 { format!("{prefix}0") } else { format!("{prefix}0…{prefix}{}", count - 1) });
            }
        };
        some("Scene", self.scenes);
        some("Node", self.nodes);
        some("Mesh", self.meshes.len() as u32);
        some("Material", self.materials);
        some("Texture", self.textures);
        some("Animation", self.animations);
        some("Skin", self.skins);
        out
    }
}

/// A decimal index as Bevy writes it (no sign, no leading `+`).
fn index(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The JSON chunk of a GLB file: the 12-byte header (`glTF`, version 2,
/// length), then the first chunk's length and type (`JSON`). Reads only
/// that chunk; `None` when the file is not a GLB or the chunk is over
/// [`MAX_GLB_JSON_BYTES`].
pub fn read_glb_json(file: &mut impl std::io::Read) -> Option<String> {
    use std::io::Read;
    let mut header = [0u8; 20];
    file.read_exact(&mut header).ok()?;
    let word = |i: usize| u32::from_le_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
    if &header[0..4] != b"glTF" || word(4) != 2 || &header[16..20] != b"JSON" {
        return None;
    }
    let len = word(12);
    if len > MAX_GLB_JSON_BYTES {
        return None;
    }
    let mut json = Vec::with_capacity(len as usize);
    file.by_ref().take(u64::from(len)).read_to_end(&mut json).ok()?;
    if json.len() != len as usize {
        return None;
    }
    String::from_utf8(json).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_in_bevy_syntax() {
        let l = GltfLabels::from_json(
            r#"{"scenes":[{}],"nodes":[{},{}],"meshes":[{"primitives":[{},{"targets":[{}]}]}],
                "materials":[{}],"animations":[{}],"skins":[{}]}"#,
        )
        .unwrap();
        for yes in [
            "Scene0",
            "Node1",
            "Mesh0",
            "Mesh0/Primitive1",
            "Mesh0/Primitive1/MorphTargets",
            "Material0",
            "Material0 (inverted)",
            "DefaultMaterial",
            "Animation0",
            "Skin0",
            "Skin0/InverseBindMatrices",
        ] {
            assert!(l.has(yes), "{yes}");
        }
        for no in [
            "Scene1",
            "Node2",
            "Mesh1",
            "Mesh0/Primitive2",
            "Mesh0/Primitive0/MorphTargets",
            "Texture0",
            "Scene",
            "Scene+0",
            "Foo",
        ] {
            assert!(!l.has(no), "{no}");
        }
    }

    #[test]
    fn glb_json_chunk_only() {
        let json = br#"{"scenes":[{}]} "#;
        let mut glb = Vec::new();
        glb.extend(b"glTF");
        glb.extend(2u32.to_le_bytes());
        glb.extend(((20 + json.len() + 8) as u32).to_le_bytes());
        glb.extend((json.len() as u32).to_le_bytes());
        glb.extend(b"JSON");
        glb.extend(json);
        glb.extend([0, 0, 0, 0, b'B', b'I', b'N', 0]);
        let text = read_glb_json(&mut glb.as_slice()).unwrap();
        assert!(GltfLabels::from_json(&text).unwrap().has("Scene0"));
        let mut huge = glb.clone();
        huge[12..16].copy_from_slice(&(MAX_GLB_JSON_BYTES + 1).to_le_bytes());
        assert_eq!(read_glb_json(&mut huge.as_slice()), None);
        assert_eq!(read_glb_json(&mut &b"not a glb at all, no"[..]), None);
    }
}
