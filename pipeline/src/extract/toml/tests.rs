use super::*;

#[test]
fn values_not_keys_or_comments() {
    let t = "# icon = \"no.png\"\n\"key.png\" = 1\n[item]\nicon = \"textures/sword.png\"\nlit = 'a/b.ogg'\nlist = [\"x.wgsl\", 3]\nname = \"Sword\"\n";
    let v: Vec<String> = extract(t).refs.into_iter().map(|r| r.value.into_string()).collect();
    assert_eq!(v, ["textures/sword.png", "a/b.ogg", "x.wgsl"]);
    assert_eq!(extract(t).error, None);
    let r = &extract(t).refs[0];
    assert_eq!(&t[r.range.start as usize..r.range.end as usize], "textures/sword.png");
}

#[test]
fn text_order_multiline_ranges_and_deep_tables() {
    let t = "[b.c]\nx = \"\"\"\nm/l.png\"\"\"\n[b]\ny = '''r/l.png'''\ni = { z = [\"in/line.png\"] }\n";
    let found = extract(t);
    assert_eq!(found.error, None);
    let got: Vec<(&str, String)> =
        found.refs.iter().map(|r| (&t[r.range.start as usize..r.range.end as usize], r.value.to_string())).collect();
    assert_eq!(
        got,
        [("\nm/l.png", "m/l.png".into()), ("r/l.png", "r/l.png".into()), ("in/line.png", "in/line.png".into())]
    );
}

#[test]
fn an_error_keeps_the_strings_before_it() {
    let t = "a = \"a.png\"\nb = \"b.png\" c\nd = \"d.png\"\n";
    let found = extract(t);
    let e = found.error.expect("an error");
    assert_eq!(&t[e.range.start as usize..e.range.end as usize], "c");
    // As in JSON and RON: every string before the error, none after.
    let v: Vec<String> = found.refs.into_iter().map(|r| r.value.into_string()).collect();
    assert_eq!(v, ["a.png", "b.png"]);
}
