import assert from "node:assert/strict";
import { test } from "node:test";

import { PathEnv, resolveServerPath } from "../src/serverPath";

function env(over: Partial<PathEnv> & { executables?: string[] }): PathEnv {
  const executables = new Set(over.executables ?? []);
  return {
    setting: "",
    pathVar: "/usr/local/bin:/usr/bin",
    platform: "linux",
    home: "/home/ada",
    workspaceFolder: "/work/game",
    isExecutable: (f) => executables.has(f),
    ...over,
  };
}

test("an empty setting takes the first assetry on PATH", () => {
  const r = resolveServerPath(env({ pathVar: "/opt/a:/opt/b:/opt/c", executables: ["/opt/b/assetry", "/opt/c/assetry"] }));
  assert.deepEqual(r, { ok: true, path: "/opt/b/assetry", from: "PATH" });
});

test("a set setting wins over PATH", () => {
  const r = resolveServerPath(env({ setting: "/tools/assetry", executables: ["/tools/assetry", "/usr/bin/assetry"] }));
  assert.deepEqual(r, { ok: true, path: "/tools/assetry", from: "setting" });
});

test("a wrong setting is reported, not replaced by the binary on PATH", () => {
  const r = resolveServerPath(env({ setting: "/tools/assetry", executables: ["/usr/bin/assetry"] }));
  assert.deepEqual(r, {
    ok: false,
    message: 'The setting assetry.server.path names "/tools/assetry", which is not an executable file.',
  });
});

test("a relative setting is taken from the first workspace folder, ~ from the home folder", () => {
  assert.deepEqual(resolveServerPath(env({ setting: "target/debug/assetry", executables: ["/work/game/target/debug/assetry"] })), {
    ok: true,
    path: "/work/game/target/debug/assetry",
    from: "setting",
  });
  assert.deepEqual(resolveServerPath(env({ setting: "~/.cargo/bin/assetry", executables: ["/home/ada/.cargo/bin/assetry"] })), {
    ok: true,
    path: "/home/ada/.cargo/bin/assetry",
    from: "setting",
  });
});

test("a relative setting without an open folder is an error", () => {
  const r = resolveServerPath(env({ setting: "bin/assetry", workspaceFolder: undefined }));
  assert.equal(r.ok, false);
  assert.match((r as { message: string }).message, /no folder is open/);
});

test("not found anywhere: a message naming PATH and the setting", () => {
  const r = resolveServerPath(env({ pathVar: "/a::/b", executables: ["assetry"] }));
  assert.deepEqual(r, {
    ok: false,
    message: 'The Assetry language server was not found: "assetry" is not on PATH and the setting assetry.server.path is empty.',
  });
  assert.equal(resolveServerPath(env({ pathVar: undefined })).ok, false);
});

test("Windows looks for assetry.exe with ; separators", () => {
  const r = resolveServerPath(env({ platform: "win32", pathVar: "/x;/y", executables: ["/y/assetry.exe", "/x/assetry"] }));
  assert.deepEqual(r, { ok: true, path: "/y/assetry.exe", from: "PATH" });
});
