// The extension proper, loaded by the small entry point (extension.ts) right
// after activation: finds the server, runs `assetry lsp` through
// vscode-languageclient (which brings diagnostics, definition, references,
// hover, completion, links, inlay hints, code actions and rename-follow, all
// answered by the server), and adds the status bar item, the dependency view
// and the commands. Logic worth testing lives in modules without `vscode`.
import * as fs from "node:fs";
import * as os from "node:os";
import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions, State } from "vscode-languageclient/node";

import { commandHandlers } from "./commands";
import { DependenciesView } from "./dependenciesView";
import { cargoDependsOnBevy, metaSyntax } from "./detect";
import { runSelfTest } from "./selfTest";
import { resolveServerPath } from "./serverPath";
import { StatusBar } from "./statusBar";

/** The files the server reads; everything else stays out of its way. */
const SELECTOR = [{ scheme: "file", pattern: "**/*.{json,gltf,ron,toml,wgsl,wesl,rs,meta}" }];

export class Assetry implements vscode.Disposable {
  client: LanguageClient | undefined;
  readonly output = vscode.window.createOutputChannel("Assetry", { log: true });
  readonly status: StatusBar;
  readonly dependencies: DependenciesView;
  /** Resolves when the current start attempt has finished (either way). */
  started: Promise<void> = Promise.resolve();
  /** The extension's own recent log lines (the e2e self-test reports them on failure). */
  readonly recentLog: string[] = [];
  private readonly disposables: vscode.Disposable[] = [];

  constructor(readonly context: vscode.ExtensionContext) {
    this.status = new StatusBar();
    this.dependencies = new DependenciesView(this);
    this.disposables.push(this.output, this.status, this.dependencies);
  }

  log(line: string): void {
    this.output.appendLine(line);
    this.recentLog.push(line);
    if (this.recentLog.length > 50) this.recentLog.shift();
  }

  /** The resolved server binary, or undefined after telling the user why not. */
  serverPath(): string | undefined {
    const setting = vscode.workspace.getConfiguration("assetry").get<string>("server.path", "");
    const res = resolveServerPath({
      setting,
      pathVar: process.env.PATH,
      platform: process.platform,
      home: os.homedir(),
      workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
      isExecutable: (file) => {
        try {
          fs.accessSync(file, fs.constants.X_OK);
          return fs.statSync(file).isFile();
        } catch {
          return false;
        }
      },
    });
    if (res.ok) {
      this.log(`Server: ${res.path} (from ${res.from === "setting" ? "assetry.server.path" : "PATH"})`);
      return res.path;
    }
    this.log(res.message);
    this.status.setState("failed");
    void vscode.window
      .showErrorMessage(`${res.message} Install it or set assetry.server.path.`, "Open README", "Open Settings")
      .then((choice) => {
        if (choice === "Open README") {
          const readme = vscode.Uri.joinPath(this.context.extensionUri, "README.md");
          void vscode.commands.executeCommand("markdown.showPreview", readme);
        } else if (choice === "Open Settings") {
          void vscode.commands.executeCommand("workbench.action.openSettings", "assetry.server.path");
        }
      });
    return undefined;
  }

  start(): Promise<void> {
    this.started = this.startClient();
    return this.started;
  }

  private async startClient(): Promise<void> {
    const command = this.serverPath();
    if (command === undefined) return;
    const extraEnv = vscode.workspace.getConfiguration("assetry").get<Record<string, string>>("server.extraEnv", {});
    const serverOptions: ServerOptions = {
      command,
      args: ["lsp"],
      options: { env: { ...process.env, ...extraEnv } },
    };
    const processing = vscode.workspace.getConfiguration("assetry.processing");
    const clientOptions: LanguageClientOptions = {
      documentSelector: SELECTOR,
      outputChannel: this.output,
      // Background processing (README, "Processing"): off unless the user
      // turns it on, as the server's own default is.
      initializationOptions: {
        process: processing.get<boolean>("enabled", false),
        profile: processing.get<string>("profile", "default"),
      },
      // The server watches the project itself (README, "Watching"): no
      // client-side file watching is registered.
    };
    const client = new LanguageClient("assetry", "Assetry", serverOptions, clientOptions);
    client.onDidChangeState((e) => {
      if (e.newState === State.Running) this.status.setState("running");
      else if (e.newState === State.Starting) this.status.setState("starting");
      else this.status.setState("stopped");
    });
    this.client = client;
    this.status.setState("starting");
    try {
      await client.start();
    } catch (err) {
      this.status.setState("failed");
      this.log(`The server did not start: ${String(err)}`);
      void vscode.window.showErrorMessage(`Assetry: the language server did not start (${String(err)}).`, "Show Log").then((c) => {
        if (c === "Show Log") this.output.show();
      });
      return;
    }
    this.dependencies.refresh();
  }

  /** Stops the running server (waiting for it to exit) and starts a new one. */
  async restart(): Promise<void> {
    await this.started;
    const old = this.client;
    this.client = undefined;
    if (old !== undefined) {
      try {
        await old.stop(5000);
      } catch (err) {
        this.log(`Stopping the server: ${String(err)}`);
      }
      await old.dispose();
    }
    this.log("Restarting the server");
    await this.start();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/** Whether this workspace is one Assetry serves: an assetry.toml, a .meta, or a Cargo.toml that depends on Bevy. */
async function isAssetryWorkspace(): Promise<boolean> {
  const skip = "{**/node_modules/**,**/target/**,**/.git/**}";
  const [toml, meta] = await Promise.all([
    vscode.workspace.findFiles("**/assetry.toml", skip, 1),
    vscode.workspace.findFiles("**/*.meta", skip, 1),
  ]);
  if (toml.length > 0 || meta.length > 0) return true;
  for (const cargo of await vscode.workspace.findFiles("**/Cargo.toml", skip, 50)) {
    const bytes = await vscode.workspace.fs.readFile(cargo);
    if (cargoDependsOnBevy(Buffer.from(bytes).toString("utf8"))) return true;
  }
  return false;
}

/** Highlights a Bevy-style (RON) `.meta` as RON; everything else named `.meta` stays TOML. */
function pickMetaLanguage(doc: vscode.TextDocument): void {
  if (doc.languageId === "assetry-meta" && metaSyntax(doc.getText()) === "ron") {
    void vscode.languages.setTextDocumentLanguage(doc, "assetry-meta-ron");
  }
}

let instance: Assetry | undefined;

/** What the entry point measured of its own activation (reported by the e2e self-test). */
export interface ActivationTimings {
  moduleLoadMs: number;
  moduleEvalMs: number;
  activateMs: number;
  /** performance.now() just before main.js was required. */
  mainRequiredAt: number;
}

/** Called once by extension.ts; returns the command handlers it registered. */
export function start(
  context: vscode.ExtensionContext,
  timings: ActivationTimings,
): Record<string, (...args: unknown[]) => unknown> {
  const mainLoadedMs = performance.now() - timings.mainRequiredAt;
  const assetry = new Assetry(context);
  instance = assetry;
  context.subscriptions.push(assetry);
  vscode.workspace.textDocuments.forEach(pickMetaLanguage);
  context.subscriptions.push(vscode.workspace.onDidOpenTextDocument(pickMetaLanguage));
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      // The server reads both when it starts.
      if (e.affectsConfiguration("assetry.server") || e.affectsConfiguration("assetry.processing")) void assetry.restart();
    }),
  );

  const ready = (async () => {
    if (!(await isAssetryWorkspace())) {
      assetry.log("No assetry.toml, .meta file or Bevy dependency in this workspace: the server is not started.");
      return;
    }
    await vscode.commands.executeCommand("setContext", "assetry.active", true);
    await assetry.start();
  })();

  const e2eVerdict = process.env.ASSETRY_E2E_VERDICT;
  if (e2eVerdict !== undefined && e2eVerdict !== "") {
    void runSelfTest(assetry, ready, e2eVerdict, { ...timings, mainLoadedMs });
  }
  return commandHandlers(assetry);
}

export async function stop(): Promise<void> {
  const client = instance?.client;
  instance = undefined;
  if (client !== undefined) await client.stop(5000);
}
