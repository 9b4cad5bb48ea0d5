//! Bevy's `GltfAssetLabel` written in code: the label its `Display` gives
//! (`bevy_gltf/src/label.rs`), when every argument is a literal. A variant
//! built from a variable (`Scene(i)`) gives no label: only the path is
//! checked then.

use tree_sitter::Node;

use super::{Src, last_segment};
use crate::text::TextRange;

/// The label the expression `node` stands for and its range in the file,
/// if it is a `GltfAssetLabel` variant with literal arguments.
pub(super) fn gltf_label(node: Node, src: Src) -> Option<(Box<str>, TextRange)> {
    let range = TextRange::new(src.file_offset(node.start_byte()), src.file_offset(node.end_byte()));
    let name = match node.kind() {
        "parenthesized_expression" => return gltf_label(node.named_child(0)?, src),
        // `GltfAssetLabel::DefaultMaterial`
        "scoped_identifier" => match variant(node, src)? {
            "DefaultMaterial" => "DefaultMaterial".to_owned(),
            _ => return None,
        },
        // `GltfAssetLabel::Scene(0)`
        "call_expression" => {
            let function = node.child_by_field_name("function")?;
            let variant = variant(function, src)?;
            let args = node.child_by_field_name("arguments")?;
            let mut cursor = args.walk();
            let values: Vec<Node> = args.named_children(&mut cursor).filter(|n| !is_comment(*n)).collect();
            let [value] = values.as_slice() else { return None };
            let n = integer(*value, src)?;
            match variant {
                "Scene" | "Node" | "Mesh" | "Texture" | "Animation" | "Skin" => format!("{variant}{n}"),
                "InverseBindMatrices" => format!("Skin{n}/InverseBindMatrices"),
                _ => return None,
            }
        }
        // `GltfAssetLabel::Primitive { mesh: 0, primitive: 1 }`
        "struct_expression" => {
            let variant = variant(node.child_by_field_name("name")?, src)?;
            let fields = fields(node.child_by_field_name("body")?, src)?;
            let field = |name: &str| fields.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
            match variant {
                "Primitive" if fields.len() == 2 => {
                    let (mesh, primitive) = (integer(field("mesh")?, src)?, integer(field("primitive")?, src)?);
                    format!("Mesh{mesh}/Primitive{primitive}")
                }
                "Material" if fields.len() == 2 => {
                    let index = integer(field("index")?, src)?;
                    let inverted = match src.of(field("is_scale_inverted")?) {
                        "true" => " (inverted)",
                        "false" => "",
                        _ => return None,
                    };
                    format!("Material{index}{inverted}")
                }
                _ => return None,
            }
        }
        _ => return None,
    };
    Some((name.into_boxed_str(), range))
}

/// `Variant` of a path `…::GltfAssetLabel::Variant`.
fn variant<'t>(path: Node, src: Src<'t>) -> Option<&'t str> {
    if !matches!(path.kind(), "scoped_identifier" | "scoped_type_identifier") {
        return None;
    }
    let ty = path.child_by_field_name("path")?;
    if last_segment(src.of(ty)) != "GltfAssetLabel" {
        return None;
    }
    Some(src.of(path.child_by_field_name("name")?))
}

/// The `name: value` initializers of a struct expression's body; `None`
/// if any is something else (`..base`, a shorthand `mesh`: not literal).
fn fields<'t>(body: Node<'t>, src: Src<'t>) -> Option<Vec<(&'t str, Node<'t>)>> {
    let mut cursor = body.walk();
    let mut out = Vec::new();
    for child in body.named_children(&mut cursor) {
        if is_comment(child) {
            continue;
        }
        if child.kind() != "field_initializer" {
            return None;
        }
        out.push((src.of(child.child_by_field_name("field")?), child.child_by_field_name("value")?));
    }
    Some(out)
}

fn is_comment(node: Node) -> bool {
    matches!(node.kind(), "line_comment" | "block_comment")
}

/// The value of an integer literal (`7`, `1_000`, `0x1f`, `3usize`).
fn integer(node: Node, src: Src) -> Option<u64> {
    if node.kind() != "integer_literal" {
        return None;
    }
    let digits: String = src.of(node).chars().filter(|c| *c != '_').collect();
    let (radix, digits) = match digits.get(..2) {
        Some("0x") => (16, &digits[2..]),
        Some("0o") => (8, &digits[2..]),
        Some("0b") => (2, &digits[2..]),
        _ => (10, &digits[..]),
    };
    // A type suffix (`usize`, `u32`, `i64`) starts at the first `u` or `i`.
    let digits = &digits[..digits.find(['u', 'i']).unwrap_or(digits.len())];
    u64::from_str_radix(digits, radix).ok()
}
