import assert from "node:assert/strict";
import { test } from "node:test";

import { cargoDependsOnBevy, metaSyntax } from "../src/detect";

test("Bevy in [dependencies], inline or as a table", () => {
  assert.equal(cargoDependsOnBevy('[package]\nname = "g"\n\n[dependencies]\nserde = "1"\nbevy = "0.16"\n'), true);
  assert.equal(cargoDependsOnBevy('[dependencies]\nbevy = { version = "0.16", default-features = false }\n'), true);
  assert.equal(cargoDependsOnBevy('[dependencies.bevy]\nversion = "0.16"\n'), true);
  assert.equal(cargoDependsOnBevy('[workspace.dependencies]\nbevy_asset = "0.16"\n'), true);
  assert.equal(cargoDependsOnBevy('[target.\'cfg(unix)\'.dependencies]\nbevy.workspace = true\n'), true);
  assert.equal(cargoDependsOnBevy('[dev-dependencies]\n"bevy" = "0.16"\n'), true);
});

test("no Bevy: other crates, Bevy outside a dependency table, commented out", () => {
  assert.equal(cargoDependsOnBevy('[package]\nname = "bevy"\n[dependencies]\nserde = "1"\n'), false);
  assert.equal(cargoDependsOnBevy('[dependencies]\n# bevy = "0.16"\nbevyish = "1"\n'), false);
  assert.equal(cargoDependsOnBevy('[features]\nbevy = []\n'), false);
  assert.equal(cargoDependsOnBevy(""), false);
});

test("a .meta is RON when its first non-blank character is (", () => {
  assert.equal(metaSyntax('\n  \t(\n  meta_format_version: "1.0",\n)'), "ron");
  assert.equal(metaSyntax('id = "18da990c-9704-464a-b54b-82d3b6e57418"\n'), "toml");
  assert.equal(metaSyntax("# (a comment)\nid = 1"), "toml");
  assert.equal(metaSyntax(""), "toml");
});
