//! naga's validation errors in the shader's own words: the source text at
//! fault and what is wrong with it, in WGSL's type names, instead of
//! naga's internal handles (`Expression [7]`, `Some([2])`) and Rust debug
//! output (`Vector { size: Tri, … }`).

use naga::valid::{EntryPointError, ExpressionError, FunctionError, ValidationError};
use naga::{BinaryOperator as Bo, Scalar, ScalarKind, TypeInner, UnaryOperator};

/// `` `a * b`: cannot multiply mat2x2<f32> and vec3<f32> ``: the text of
/// the most precise span (`snippet`), then why. `function` is the text of
/// the function at fault, when naga names one (its return type).
pub(crate) fn message(e: &ValidationError, snippet: Option<&str>, function: Option<&str>) -> String {
    let why = reason(e, function);
    match snippet.map(excerpt) {
        Some(s) if !s.is_empty() => format!("`{s}`: {why}"),
        _ => why,
    }
}

fn reason(e: &ValidationError, function: Option<&str>) -> String {
    let f = match e {
        ValidationError::Function { source, .. } => source,
        ValidationError::EntryPoint { source: EntryPointError::Function(source), .. } => source,
        other => return without_handles(&innermost(other)),
    };
    match f {
        FunctionError::Expression { source, .. } => expression(source),
        FunctionError::InvalidReturnType { expression: Some(_), .. } => match function.and_then(return_type) {
            Some(ty) => format!("the value returned is not of the function's return type `{ty}`"),
            None => "the function returns no value, but a value is returned".to_owned(),
        },
        FunctionError::InvalidReturnType { expression: None, .. } => {
            "the function must return a value of its return type".to_owned()
        }
        FunctionError::InvalidStoreValue { actual_ty, expected_ty, .. } => {
            format!("cannot store a {} where a {} is expected", wgsl_type(actual_ty), wgsl_type(expected_ty))
        }
        FunctionError::InvalidStoreTypes { .. } => "the value is not of the type of what it is stored in".to_owned(),
        FunctionError::InvalidIfType(_) => "an `if` condition must be a `bool`".to_owned(),
        FunctionError::InvalidSwitchType(_) => "a `switch` value must be an `i32` or `u32`".to_owned(),
        other => without_handles(&innermost(other)),
    }
}

fn expression(e: &ExpressionError) -> String {
    match e {
        ExpressionError::InvalidBinaryOperandTypes { op, lhs_type, rhs_type, .. } => {
            format!("cannot {} {} and {}", verb(*op), wgsl_type(lhs_type), wgsl_type(rhs_type))
        }
        ExpressionError::InvalidUnaryOperandType(op, _) => {
            let op = match op {
                UnaryOperator::Negate => "-",
                UnaryOperator::LogicalNot => "!",
                UnaryOperator::BitwiseNot => "~",
            };
            format!("`{op}` does not apply to a value of this type")
        }
        ExpressionError::InvalidArgumentType(fun, i, _) => {
            format!("argument {} of `{}` has a type it does not take", i + 1, math_name(*fun))
        }
        other => without_handles(&innermost(other)),
    }
}

fn verb(op: Bo) -> &'static str {
    match op {
        Bo::Add => "add",
        Bo::Subtract => "subtract",
        Bo::Multiply => "multiply",
        Bo::Divide => "divide",
        Bo::Modulo => "take the remainder of",
        Bo::Equal | Bo::NotEqual | Bo::Less | Bo::LessEqual | Bo::Greater | Bo::GreaterEqual => "compare",
        Bo::And | Bo::ExclusiveOr | Bo::InclusiveOr => "combine the bits of",
        Bo::LogicalAnd | Bo::LogicalOr => "combine (logically)",
        Bo::ShiftLeft | Bo::ShiftRight => "shift",
    }
}

/// A type as WGSL writes it (`vec3<f32>`), or what kind of thing it is.
fn wgsl_type(t: &TypeInner) -> String {
    match t {
        TypeInner::Scalar(s) => scalar(*s),
        TypeInner::Vector { size, scalar: s } => format!("vec{}<{}>", *size as u8, scalar(*s)),
        TypeInner::Matrix { columns, rows, scalar: s } => {
            format!("mat{}x{}<{}>", *columns as u8, *rows as u8, scalar(*s))
        }
        TypeInner::Atomic(s) => format!("atomic<{}>", scalar(*s)),
        TypeInner::Pointer { .. } | TypeInner::ValuePointer { .. } => "pointer".to_owned(),
        TypeInner::Array { .. } | TypeInner::BindingArray { .. } => "array".to_owned(),
        TypeInner::Struct { .. } => "struct".to_owned(),
        TypeInner::Image { .. } => "texture".to_owned(),
        TypeInner::Sampler { .. } => "sampler".to_owned(),
        _ => "value of another type".to_owned(),
    }
}

fn scalar(s: Scalar) -> String {
    match (s.kind, s.width) {
        (ScalarKind::Bool, _) => "bool".to_owned(),
        (ScalarKind::Float, w) => format!("f{}", u32::from(w) * 8),
        (ScalarKind::Sint, w) => format!("i{}", u32::from(w) * 8),
        (ScalarKind::Uint, w) => format!("u{}", u32::from(w) * 8),
        (ScalarKind::AbstractInt, _) => "abstract int".to_owned(),
        (ScalarKind::AbstractFloat, _) => "abstract float".to_owned(),
    }
}

/// `InverseSqrt` → `inverseSqrt`: WGSL's name of a built-in function.
fn math_name(fun: naga::MathFunction) -> String {
    let debug = format!("{fun:?}");
    let mut chars = debug.chars();
    chars.next().map(|c| c.to_ascii_lowercase().to_string() + chars.as_str()).unwrap_or_default()
}

/// What follows `->` in a function's text, up to its body.
fn return_type(function: &str) -> Option<&str> {
    let (_, after) = function.split_once("->")?;
    let ty = after.split('{').next()?.trim();
    let ty = ty.rsplit(')').next().unwrap_or(ty).trim();
    // `@location(0) vec4<f32>`: the attributes are not the type.
    let ty = ty.rsplit(' ').next().unwrap_or(ty).trim();
    (!ty.is_empty()).then_some(ty)
}

/// The innermost error's own message (sources go from general to precise).
fn innermost(e: &dyn std::error::Error) -> String {
    let mut inner = e;
    while let Some(next) = inner.source() {
        inner = next;
    }
    inner.to_string()
}

/// naga's handles (`[7]`, `Some([7])`, `Handle(7)`) are no names a user
/// wrote: each becomes "it".
fn without_handles(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while !rest.is_empty() {
        let handle = ["Some([", "[", "Handle("].iter().find_map(|open| {
            let body = rest.strip_prefix(open)?;
            let digits = body.bytes().take_while(u8::is_ascii_digit).count();
            let close = match *open {
                "Some([" => "])",
                "[" => "]",
                _ => ")",
            };
            (digits > 0 && body[digits..].starts_with(close)).then(|| open.len() + digits + close.len())
        });
        match handle {
            Some(len) => {
                out.push_str("it");
                rest = &rest[len..];
            }
            None => {
                let c = rest.chars().next().unwrap_or_default();
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    out
}

/// A span's text on one line: whitespace runs folded, at most 60 characters.
fn excerpt(s: &str) -> String {
    let folded = s.split_whitespace().collect::<Vec<_>>().join(" ");
    match folded.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &folded[..cut]),
        None => folded,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_become_it_and_types_read_as_wgsl() {
        assert_eq!(
            without_handles("The type of [5] doesn't match Some([3]) or Handle(2)"),
            "The type of it doesn't match it or it"
        );
        assert_eq!(without_handles("array [x] and [] stay"), "array [x] and [] stay");
        let v = TypeInner::Vector { size: naga::VectorSize::Tri, scalar: Scalar::F32 };
        assert_eq!(wgsl_type(&v), "vec3<f32>");
        let m = TypeInner::Matrix { columns: naga::VectorSize::Bi, rows: naga::VectorSize::Quad, scalar: Scalar::F16 };
        assert_eq!(wgsl_type(&m), "mat2x4<f16>");
        assert_eq!(return_type("fn f(a: f32) -> @location(0) vec4<f32> {\n}"), Some("vec4<f32>"));
        assert_eq!(return_type("fn f() {}"), None);
        assert_eq!(math_name(naga::MathFunction::InverseSqrt), "inverseSqrt");
        assert_eq!(excerpt("a  +\n    b"), "a + b");
    }
}
