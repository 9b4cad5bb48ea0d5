import assert from "node:assert/strict";
import { test } from "node:test";

import { statusView } from "../src/status";

test("a clean project shows a check mark", () => {
  assert.deepEqual(statusView({ state: "running", errors: 0, warnings: 0 }), {
    text: "Assetry $(check)",
    tooltip: "Assetry: 0 errors, 0 warnings\nClick to open the Problems view",
  });
});

test("errors and warnings are counted", () => {
  assert.deepEqual(statusView({ state: "running", errors: 1, warnings: 3 }), {
    text: "Assetry $(error) 1 $(warning) 3",
    tooltip: "Assetry: 1 error, 3 warnings\nClick to open the Problems view",
  });
});

test("flavour, processing and games appear once the server reports them", () => {
  const v = statusView({ state: "running", errors: 2, warnings: 0, flavour: "bevy", processing: { done: 3, total: 10 }, games: 1 });
  assert.equal(v.text, "Assetry (bevy) $(error) 2 $(sync~spin) 3/10 $(debug-alt) 1");
  assert.equal(v.tooltip, "Assetry: 2 errors, 0 warnings\n1 connected game\nClick to open the Problems view");
  // Finished processing is not shown.
  assert.equal(statusView({ state: "running", errors: 0, warnings: 0, processing: { done: 10, total: 10 } }).text, "Assetry $(check)");
});

test("server states other than running", () => {
  assert.equal(statusView({ state: "starting", errors: 0, warnings: 0 }).text, "$(sync~spin) Assetry");
  assert.equal(statusView({ state: "failed", errors: 4, warnings: 0 }).text, "$(warning) Assetry");
  assert.equal(statusView({ state: "stopped", errors: 0, warnings: 0 }).text, "$(circle-slash) Assetry");
});
