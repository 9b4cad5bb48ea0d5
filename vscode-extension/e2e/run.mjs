// End-to-end test of the packaged extension in a real VS Code (code-server)
// driven by headless Chromium. Called by e2e/run.sh, which installs the tools
// and builds the .vsix and the server first. Environment:
//   CODE_SERVER   the code-server binary        CHROMIUM  the chromium binary
//   VSIX          the packaged extension         ASSETRY_BIN  the assetry binary
//   DEMO          the demo project to copy       SCREENSHOT   where to write the PNG
// Prints one line per check and "N passed, N failed"; exits 1 on any failure.
import { spawn, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`missing environment variable ${name}`);
  return v;
};
const [codeServer, chromium, vsix, assetryBin, demo, screenshot] = [
  "CODE_SERVER",
  "CHROMIUM",
  "VSIX",
  "ASSETRY_BIN",
  "DEMO",
  "SCREENSHOT",
].map(env);
// Generous: the machine is shared; a healthy run takes about 15 s.
const TIMEOUT_MS = Number(process.env.ASSETRY_E2E_TIMEOUT_MS ?? 180_000);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "assetry-vscode-e2e-"));
const project = path.join(tmp, "demo");
const groups = [];

function cleanup() {
  // code-server and Chromium leave helpers behind: end each whole process group.
  for (const child of groups) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
}

/** 0-based line and UTF-16 column of the first occurrence of needle. */
function locate(text, needle) {
  const at = text.indexOf(needle);
  if (at < 0) throw new Error(`\`${needle}\` not in the demo file`);
  const before = text.slice(0, at);
  const line = before.split("\n").length - 1;
  return { line, col: at - (before.lastIndexOf("\n") + 1) };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Starts a process in its own group; resolves once a line of its output matches. */
function startUntil(cmd, args, opts, pattern, what) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    groups.push(child);
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`${what} did not start in ${TIMEOUT_MS} ms:\n${seen}`)), TIMEOUT_MS);
    const onData = (chunk) => {
      seen += chunk.toString();
      const m = pattern.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve({ child, match: m, output: () => seen });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}:\n${seen}`));
    });
  });
}

/** Resolves when `file` exists (watching its folder), rejects after the deadline. */
function waitForFile(file) {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      watcher.close();
      resolve(fs.readFileSync(file, "utf8"));
    };
    const watcher = fs.watch(path.dirname(file), () => {
      if (fs.existsSync(file)) done();
    });
    const timer = setTimeout(() => {
      watcher.close();
      reject(new Error(`no verdict from the extension in ${TIMEOUT_MS} ms`));
    }, TIMEOUT_MS);
    if (fs.existsSync(file)) done();
  });
}

/** A minimal Chrome DevTools Protocol session on one page (node 22+ has WebSocket). */
async function devtools(port) {
  const pages = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  const page = pages.find((p) => p.type === "page");
  if (!page) throw new Error("Chromium has no page");
  const ws = new WebSocket(page.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  let next = 0;
  const pending = new Map();
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.id !== undefined && pending.has(msg.id)) {
      pending.get(msg.id)(msg);
      pending.delete(msg.id);
    }
  };
  const send = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = ++next;
      pending.set(id, (msg) => (msg.error ? reject(new Error(`${method}: ${msg.error.message}`)) : resolve(msg.result)));
      ws.send(JSON.stringify({ id, method, params }));
    });
  return { send, close: () => ws.close() };
}

const results = [];
function check(name, ok, detail) {
  results.push(ok);
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${ok ? "" : `\n     ${detail}`}`);
}

async function main() {
  // The demo with one broken path injected, as the Neovim test does.
  fs.cpSync(demo, project, { recursive: true, filter: (src) => path.basename(src) !== ".assetry" });
  const scene = "assets/scenes/level1.scene.json";
  const text = fs.readFileSync(path.join(project, scene), "utf8");
  const good = '"ground": "textures/ground.png"';
  const broken = locate(text, good);
  fs.writeFileSync(path.join(project, scene), text.replace(good, '"ground": "textures/grund.png"'));
  const def = locate(text, '"materials/water.material.ron"');

  const spec = {
    project,
    brokenFile: scene,
    brokenCode: "broken-path",
    brokenLine: broken.line,
    defFile: scene,
    defLine: def.line,
    defCol: def.col + 5,
    treeFile: scene,
    convertFile: "assets/scenes/prefabs/enemy.scene.json",
    tomlMeta: "assets/textures/sky.png.meta",
    // Outside the asset root, so the project's diagnostics do not change.
    ronMeta: "bevy-example/sprite.png.meta",
    renameFrom: "assets/textures/water.png",
    renameTo: "assets/textures/lake.png",
    renameReferrer: "assets/materials/water.material.ron",
    timeoutMs: TIMEOUT_MS,
  };
  fs.mkdirSync(path.join(project, "bevy-example"));
  fs.writeFileSync(
    path.join(project, spec.ronMeta),
    '\n(\n    meta_format_version: "1.0",\n    asset: Load(loader: "bevy_image::image_loader::ImageLoader", settings: ()),\n)\n',
  );
  const specFile = path.join(tmp, "spec.json");
  fs.writeFileSync(specFile, JSON.stringify(spec));

  // A fresh profile: the packaged .vsix installed as a user would, the
  // server named by the extension's setting.
  const extensions = path.join(tmp, "extensions");
  const userData = path.join(tmp, "user-data");
  execFileSync(codeServer, ["--extensions-dir", extensions, "--user-data-dir", userData, "--install-extension", vsix], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  // User settings, and the same as the remote machine's: in code-server the
  // extension host reads machine-scoped settings (assetry.server.path) there.
  const settings = JSON.stringify({
    "assetry.server.path": assetryBin,
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": false,
    "telemetry.telemetryLevel": "off",
    "extensions.autoCheckUpdates": false,
    "extensions.autoUpdate": false,
    "update.mode": "none",
    "security.workspace.trust.enabled": false,
    "workbench.colorTheme": "Default Dark Modern",
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "chat.disableAIFeatures": true,
    "explorer.autoReveal": false,
  });
  for (const dir of ["User", "Machine"]) {
    fs.mkdirSync(path.join(userData, dir), { recursive: true });
    fs.writeFileSync(path.join(userData, dir, "settings.json"), settings);
  }

  const verdictFile = path.join(tmp, "verdict.json");
  const port = await freePort();
  const server = await startUntil(
    codeServer,
    [
      "--bind-addr",
      `127.0.0.1:${port}`,
      "--auth",
      "none",
      "--disable-workspace-trust",
      "--disable-telemetry",
      "--disable-update-check",
      "--extensions-dir",
      extensions,
      "--user-data-dir",
      userData,
      project,
    ],
    { env: { ...process.env, ASSETRY_E2E_VERDICT: verdictFile, ASSETRY_E2E_SPEC: specFile } },
    /HTTP server listening on/,
    "code-server",
  );
  const browser = await startUntil(
    chromium,
    [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--no-first-run",
      "--window-size=1400,860",
      "--remote-debugging-port=0",
      `--user-data-dir=${path.join(tmp, "chromium")}`,
      `http://127.0.0.1:${port}/?folder=${encodeURIComponent(project)}`,
    ],
    {},
    /DevTools listening on ws:\/\/127\.0\.0\.1:(\d+)\//,
    "chromium",
  );

  // Answer VS Code's own confirmation as a user would: the first time a
  // rename brings edits from an extension (rename-follow), VS Code asks
  // "Extension 'Assetry' wants to make refactoring changes with this file
  // move" and waits for OK.
  const ui = await devtools(browser.match[1]);
  let confirmations = 0;
  const clickOk = `(() => {
    const box = [...document.querySelectorAll('.monaco-dialog-box')].find((b) => b.textContent.includes('wants to make refactoring changes'));
    const ok = box && [...box.querySelectorAll('.monaco-button')].find((b) => b.textContent.trim() === 'OK');
    if (!ok) return false;
    ok.click();
    return true;
  })()`;
  const clicker = setInterval(() => {
    ui.send("Runtime.evaluate", { expression: clickOk }).then(
      (r) => {
        if (r.result.value === true) confirmations++;
      },
      () => {},
    );
  }, 250);

  let verdict;
  try {
    verdict = JSON.parse(await waitForFile(verdictFile));
    clearInterval(clicker);
    ui.close();
  } catch (err) {
    clearInterval(clicker);
    // What the page shows says more than any log: keep it.
    try {
      const cdp = await devtools(browser.match[1]);
      const shot = await cdp.send("Page.captureScreenshot", { format: "png" });
      fs.writeFileSync(screenshot.replace(/\.png$/, "-failure.png"), Buffer.from(shot.data, "base64"));
      cdp.close();
    } catch {
      // no screenshot then
    }
    throw new Error(`${err.message}\n--- code-server output:\n${server.output()}`, { cause: err });
  }

  check("the extension's self-test ran to the end", verdict.ok === true, verdict.error);
  check(
    `broken-path diagnostic on line ${broken.line} of ${scene}`,
    verdict.diagnostic?.code === "broken-path" && verdict.diagnostic?.line === broken.line && verdict.diagnostic?.source === "assetry",
    JSON.stringify(verdict.diagnostic),
  );
  check(
    "it is the only diagnostic of the scene",
    JSON.stringify(verdict.diagnosticsOfBrokenFile) === JSON.stringify([`${broken.line}:broken-path`]),
    JSON.stringify(verdict.diagnosticsOfBrokenFile),
  );
  check("status bar counts the one error", verdict.statusText === "Assetry $(error) 1", verdict.statusText);
  check(
    "go to definition opens the material",
    verdict.definitionOpened === "assets/materials/water.material.ron",
    verdict.definitionOpened,
  );
  const expected = JSON.parse(fs.readFileSync(path.join(here, "expected-level1-tree.json"), "utf8"));
  check("dependency view of the scene", verdict.treeFile === scene && JSON.stringify(verdict.tree) === JSON.stringify(expected), JSON.stringify(verdict.tree));
  // Every path reference of the prefab becomes the id from its asset's .meta.
  const idOf = (asset) => /^id = "([^"]+)"/m.exec(fs.readFileSync(path.join(project, `${asset}.meta`), "utf8"))[1];
  const prefab = fs.readFileSync(path.join(project, spec.convertFile), "utf8");
  const converted = prefab
    .replace('"../../textures/enemy.png"', `"${idOf("assets/textures/enemy.png")}"`)
    .replace('"textures/particles/spark.png"', `"${idOf("assets/textures/particles/spark.png")}"`)
    .replace('"audio/sfx/hit.ogg"', `"${idOf("assets/audio/sfx/hit.ogg")}"`);
  check(
    "Convert References to IDs in This File",
    verdict.convertApplied === true && converted !== prefab && verdict.convertedText === converted,
    `applied ${verdict.convertApplied}:\n${verdict.convertedText}`,
  );
  check("Check Project: assetry check exits 1 on the broken path", verdict.checkStatus === 1, `status ${verdict.checkStatus}`);
  check(
    ".meta files highlighted as TOML, or as RON when they start with (",
    verdict.metaLanguages?.toml === "assetry-meta" && verdict.metaLanguages?.ron === "assetry-meta-ron",
    JSON.stringify(verdict.metaLanguages),
  );
  const material = fs.readFileSync(path.join(demo, spec.renameReferrer), "utf8");
  const renamed = material.replace('"../textures/water.png"', '"../textures/lake.png"');
  check(
    "rename-follow: renaming water.png rewrites the material's reference and moves the .meta",
    confirmations === 1 &&
      verdict.renameApplied === true &&
      renamed !== material &&
      verdict.referrerAfterRename === renamed &&
      verdict.metaAfterRename?.from === false &&
      verdict.metaAfterRename?.to === true &&
      JSON.stringify(verdict.diagnosticsAfterRename) === JSON.stringify([`${scene}:${broken.line}:broken-path`]),
    `confirmed ${confirmations} time(s), applied ${verdict.renameApplied}, .meta ${JSON.stringify(verdict.metaAfterRename)}, diagnostics ${JSON.stringify(verdict.diagnosticsAfterRename)}:\n${verdict.referrerAfterRename}`,
  );
  check(
    "assetry.processing.enabled: the server processes, and the broken scene is processing-failed at the path",
    verdict.processing?.line === broken.line &&
      verdict.processing?.message === "`textures/grund.png` does not resolve to an asset" &&
      verdict.processing?.manifest === true,
    JSON.stringify(verdict.processing),
  );
  check("Restart Server: a new server that answers the same", verdict.restarted === true && verdict.treeAfterRestartSame === true, `restarted ${verdict.restarted}, same tree ${verdict.treeAfterRestartSame}`);
  // Activation as VS Code counts it (Developer: Show Running Extensions):
  // loading the entry point plus the activate() call. The time VS Code spends
  // between the two (it prepares the extension's context meanwhile) is printed
  // but not counted.
  const t = verdict.timings ?? {};
  const activation = (t.moduleEvalMs ?? Infinity) + (t.activateMs ?? Infinity);
  console.log(
    `activation: ${activation.toFixed(1)} ms (evaluating dist/extension.js ${t.moduleEvalMs?.toFixed(1)} ms + activate() ` +
      `${t.activateMs?.toFixed(1)} ms; ${t.moduleLoadMs?.toFixed(1)} ms from the file's first line to the activate() call); ` +
      `then loading dist/main.js ${t.mainLoadedMs?.toFixed(1)} ms; server running ${verdict.serverRunningMs?.toFixed(0)} ms after that`,
  );
  check("activation under 200 ms", activation < 200, `${activation} ms`);
  if (results.includes(false)) console.log(`the extension's verdict:\n${JSON.stringify(verdict, null, 2)}`);

  // The screenshot, once the dependency view shows the scene's rows.
  const cdp = await devtools(browser.match[1]);
  const deadline = Date.now() + TIMEOUT_MS;
  const shown = `Array.from(document.querySelectorAll('.monaco-list-row')).some((r) => (r.getAttribute('aria-label') || '').includes('water.material.ron'))`;
  while (!(await cdp.send("Runtime.evaluate", { expression: shown })).result.value) {
    if (Date.now() > deadline) throw new Error("the dependency view never showed its rows in the page");
    await new Promise((r) => setTimeout(r, 100));
  }
  const shot = await cdp.send("Page.captureScreenshot", { format: "png" });
  fs.writeFileSync(screenshot, Buffer.from(shot.data, "base64"));
  cdp.close();
  console.log(`screenshot: ${screenshot}`);
}

let failed = false;
try {
  await main();
} catch (err) {
  console.error(`FAIL ${err.stack ?? err}`);
  failed = true;
} finally {
  cleanup();
}
const passed = results.filter(Boolean).length;
const fails = results.length - passed + (failed ? 1 : 0);
console.log(`vscode-e2e: ${passed} passed, ${fails} failed`);
process.exit(fails === 0 ? 0 : 1);
