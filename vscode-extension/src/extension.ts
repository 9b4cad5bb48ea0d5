// The entry point VS Code loads on activation. It stays small on purpose:
// VS Code counts loading this file and running activate() as the
// extension's activation time, and vscode-languageclient alone takes tens of
// milliseconds to load. So activate() registers the commands and returns;
// the rest (main.js: the client, the views) is loaded right after.
import * as vscode from "vscode";

import { COMMAND_IDS } from "./commandIds";
import type * as Main from "./main";

// Set by the bundle's first line (esbuild.mjs), before anything else runs.
const marks = globalThis as { __assetryLoadStart?: number; __assetryLoadEnd?: number };
const loadedAt = marks.__assetryLoadStart ?? performance.now();

let main: typeof Main | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const activateStart = performance.now();
  // From the bundle's first line to activate(): evaluating this file, then
  // whatever VS Code does before calling activate() (it prepares the
  // extension's context meanwhile), so an upper bound of the load time.
  const moduleLoadMs = activateStart - loadedAt;
  const moduleEvalMs = (marks.__assetryLoadEnd ?? activateStart) - loadedAt;
  const loaded = new Promise<Record<string, (...args: unknown[]) => unknown>>((resolve, reject) => {
    setImmediate(() => {
      try {
        const mainRequiredAt = performance.now();
        // A separate bundle, loaded after activate() has returned.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        main = require("./main.js") as typeof Main;
        resolve(main.start(context, { moduleLoadMs, moduleEvalMs, activateMs, mainRequiredAt }));
      } catch (err) {
        reject(err);
      }
    });
  });
  for (const id of COMMAND_IDS) {
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => (await loaded)[id]?.(...args)),
    );
  }
  const activateMs = performance.now() - activateStart;
}

export function deactivate(): Promise<void> | undefined {
  return main?.stop();
}
