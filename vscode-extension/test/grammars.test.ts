// The .meta grammars, run by the same TextMate engine and regex library
// (Oniguruma, as WebAssembly) VS Code uses.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import * as oniguruma from "vscode-oniguruma";
import * as textmate from "vscode-textmate";

const root = path.join(__dirname, "..", "..");

const registry = (async () => {
  const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  return new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources: string[]) => new oniguruma.OnigScanner(sources),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scope: string) => {
      const file = { "source.assetry-meta.toml": "toml", "source.assetry-meta.ron": "ron" }[scope];
      if (file === undefined) return null;
      const p = path.join(root, "syntaxes", `${file}.tmLanguage.json`);
      return textmate.parseRawGrammar(fs.readFileSync(p, "utf8"), p);
    },
  });
})();

/** Each non-blank token as "text: innermost scope", neighbours of one scope merged (a string's quotes and body). */
async function tokens(scope: string, text: string): Promise<string[]> {
  const grammar = await (await registry).loadGrammar(scope);
  assert.ok(grammar, `grammar ${scope}`);
  const out: string[] = [];
  let state = textmate.INITIAL;
  for (const line of text.split("\n")) {
    const r = grammar.tokenizeLine(line, state);
    let prev: { text: string; scope: string } | undefined;
    const flush = () => {
      if (prev !== undefined && prev.text.trim() !== "") out.push(`${prev.text.trim()}: ${prev.scope}`);
      prev = undefined;
    };
    for (const t of r.tokens) {
      const text = line.slice(t.startIndex, t.endIndex);
      const scope = t.scopes[t.scopes.length - 1];
      if (prev !== undefined && prev.scope === scope && scope.startsWith("string.")) {
        prev.text += text;
      } else {
        flush();
        prev = { text, scope };
      }
    }
    flush();
    state = r.ruleStack;
  }
  return out;
}

test("an Assetry .meta (TOML)", async () => {
  const meta = fs.readFileSync(path.join(root, "..", "examples/demo/assets/scenes/level1.scene.json.meta"), "utf8");
  assert.deepEqual(await tokens("source.assetry-meta.toml", meta), [
    "id: variable.other.key.toml",
    "=: punctuation.separator.key-value.toml",
    '"18da990c-9704-464a-b54b-82d3b6e57418": string.quoted.double.basic.line.toml',
    "loader: variable.other.key.toml",
    "=: punctuation.separator.key-value.toml",
    '"scene": string.quoted.double.basic.line.toml',
    "[: punctuation.definition.table.toml",
    "settings: entity.name.section.toml",
    "]: punctuation.definition.table.toml",
    "preload: variable.other.key.toml",
    "=: punctuation.separator.key-value.toml",
    "true: constant.language.boolean.toml",
    "[: punctuation.definition.table.toml",
    "dependencies: entity.name.section.toml",
    "]: punctuation.definition.table.toml",
    "load: variable.other.key.toml",
    "=: punctuation.separator.key-value.toml",
    "[: punctuation.definition.array.toml",
    '"audio/music/theme.ogg": string.quoted.double.basic.line.toml',
    "]: punctuation.definition.array.toml",
    "weak: variable.other.key.toml",
    "=: punctuation.separator.key-value.toml",
    "[: punctuation.definition.array.toml",
    '"scenes/level2.scene.json": string.quoted.double.basic.line.toml',
    "]: punctuation.definition.array.toml",
  ]);
});

test("TOML comments, numbers, multi-line arrays and inline tables", async () => {
  const text = '# note\nsize = 1_024 # bytes\nlabels = [\n  "a", # first\n  "b",\n]\nsub = { x = 1.5, y = false }';
  assert.deepEqual(await tokens("source.assetry-meta.toml", text), [
    "#: punctuation.definition.comment.toml",
    "note: comment.line.number-sign.toml",
    "size: variable.other.key.toml",
    "=: punctuation.separator.key-value.toml",
    "1_024: constant.numeric.toml",
    "#: punctuation.definition.comment.toml",
    "bytes: comment.line.number-sign.toml",
    "labels: variable.other.key.toml",
    "=: punctuation.separator.key-value.toml",
    "[: punctuation.definition.array.toml",
    '"a": string.quoted.double.basic.line.toml',
    ",: punctuation.separator.array.toml",
    "#: punctuation.definition.comment.toml",
    "first: comment.line.number-sign.toml",
    '"b": string.quoted.double.basic.line.toml',
    ",: punctuation.separator.array.toml",
    "]: punctuation.definition.array.toml",
    "sub: variable.other.key.toml",
    "=: punctuation.separator.key-value.toml",
    "{: punctuation.definition.table.inline.toml",
    "x: variable.other.key.toml",
    "=: punctuation.separator.key-value.toml",
    "1.5: constant.numeric.toml",
    ",: punctuation.separator.table.inline.toml",
    "y: variable.other.key.toml",
    "=: punctuation.separator.key-value.toml",
    "false: constant.language.boolean.toml",
    "}: punctuation.definition.table.inline.toml",
  ]);
});

test("a Bevy .meta (RON)", async () => {
  const text =
    '(\n  meta_format_version: "1.0",\n  asset: Load(\n    loader: "bevy_image::image_loader::ImageLoader",\n    settings: (is_srgb: true, sampler: Default), // why\n  ),\n)';
  assert.deepEqual(await tokens("source.assetry-meta.ron", text), [
    "(: punctuation.section.ron",
    "meta_format_version: variable.other.member.ron",
    ":: punctuation.separator.key-value.ron",
    '"1.0": string.quoted.double.ron',
    ",: punctuation.separator.ron",
    "asset: variable.other.member.ron",
    ":: punctuation.separator.key-value.ron",
    "Load: entity.name.type.ron",
    "(: punctuation.section.ron",
    "loader: variable.other.member.ron",
    ":: punctuation.separator.key-value.ron",
    '"bevy_image::image_loader::ImageLoader": string.quoted.double.ron',
    ",: punctuation.separator.ron",
    "settings: variable.other.member.ron",
    ":: punctuation.separator.key-value.ron",
    "(: punctuation.section.ron",
    "is_srgb: variable.other.member.ron",
    ":: punctuation.separator.key-value.ron",
    "true: constant.language.boolean.ron",
    ",: punctuation.separator.ron",
    "sampler: variable.other.member.ron",
    ":: punctuation.separator.key-value.ron",
    "Default: entity.name.type.ron",
    "): punctuation.section.ron",
    ",: punctuation.separator.ron",
    "// why: comment.line.double-slash.ron",
    "): punctuation.section.ron",
    ",: punctuation.separator.ron",
    "): punctuation.section.ron",
  ]);
});
