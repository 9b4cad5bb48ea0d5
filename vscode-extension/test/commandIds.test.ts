import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";

import { COMMAND_IDS } from "../src/commandIds";

// The entry point registers COMMAND_IDS; a command only in package.json would
// be listed in the palette and fail when run.
test("the registered commands are exactly the ones package.json contributes", () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8"));
  const contributed = manifest.contributes.commands.map((c: { command: string }) => c.command).sort();
  assert.deepEqual([...COMMAND_IDS].sort(), contributed);
});
