import assert from "node:assert/strict";
import { test } from "node:test";

import { buildTree, DependenciesResult, flatten } from "../src/depsTree";

// The shape README.md documents for `assetry/dependencies`.
const result: DependenciesResult = {
  uri: "file:///g/assets/models/ship.gltf",
  path: "assets/models/ship.gltf",
  id: "33333333-3333-4333-8333-333333333333",
  dependencies: [
    {
      uri: "file:///g/assets/textures/sky.png",
      path: "assets/textures/sky.png",
      id: "11111111-1111-4111-8111-111111111111",
      kind: "load",
      cycle: false,
      children: [],
    },
    {
      uri: "file:///g/assets/shaders/a.wgsl",
      path: "assets/shaders/a.wgsl",
      id: null,
      kind: "build",
      cycle: false,
      children: [
        { uri: "file:///g/assets/models/ship.gltf", path: "assets/models/ship.gltf", id: null, kind: "weak", cycle: true, children: [] },
      ],
    },
  ],
  dependents: [
    {
      uri: "file:///g/assets/scenes/level.scene.json",
      path: "assets/scenes/level.scene.json",
      id: "55555555-5555-4555-8555-555555555555",
      kind: "load",
      cycle: false,
      children: [
        { uri: "file:///g/assets/world.json", path: "assets/world.json", id: null, kind: "weak", cycle: false, children: [] },
      ],
    },
    { uri: "file:///g/assets/world.json", path: "assets/world.json", id: null, kind: "load", cycle: false, children: [] },
  ],
  truncated: false,
};

test("two groups, nodes labelled by file name and described by kind and folder", () => {
  const tree = buildTree(result);
  assert.deepEqual(
    tree.map((g) => [g.label, g.description, g.uri]),
    [
      ["Dependencies", "2", undefined],
      ["Dependents", "2", undefined],
    ],
  );
  const [deps, dependents] = tree;
  assert.deepEqual(deps.children[0], {
    label: "sky.png",
    description: "load · assets/textures",
    tooltip: "assets/textures/sky.png\nload dependency\nid 11111111-1111-4111-8111-111111111111",
    uri: "file:///g/assets/textures/sky.png",
    icon: "arrow-right",
    children: [],
  });
  const shader = deps.children[1];
  assert.equal(shader.description, "build · assets/shaders");
  assert.equal(shader.icon, "tools");
  assert.equal(shader.tooltip, "assets/shaders/a.wgsl\nbuild dependency");
  assert.deepEqual(
    shader.children.map((c) => [c.label, c.description, c.icon, c.children.length]),
    [["ship.gltf", "weak · cycle · assets/models", "sync", 0]],
  );
  assert.deepEqual(
    dependents.children.map((c) => [c.label, c.description, c.uri, c.children.map((g) => g.label)]),
    [
      ["level.scene.json", "load · assets/scenes", "file:///g/assets/scenes/level.scene.json", ["world.json"]],
      ["world.json", "load · assets", "file:///g/assets/world.json", []],
    ],
  );
});

test("a truncated result says so; a file outside every project gets one row", () => {
  const cut = buildTree({ ...result, truncated: true });
  assert.deepEqual(
    cut.map((g) => [g.description, g.tooltip]),
    [
      ["2+", "Cut at 2,000 nodes"],
      ["2+", "Cut at 2,000 nodes"],
    ],
  );
  assert.deepEqual(buildTree(null), [{ label: "Not an asset of an Assetry project", icon: "info", children: [] }]);
});

test("flatten lists each asset once, depth first", () => {
  assert.deepEqual(
    flatten(result.dependents).map((n) => n.path),
    ["assets/scenes/level.scene.json", "assets/world.json"],
  );
});
