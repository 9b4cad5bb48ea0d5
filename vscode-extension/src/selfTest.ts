// The end-to-end self-test (e2e/run.mjs): runs only when the environment
// variable ASSETRY_E2E_VERDICT names a file. It drives the real editor as a
// user would (open a file, wait for its diagnostic, go to a definition, look
// at the dependency view) and writes what it saw there as JSON; the driver
// compares that with the expected results.
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";

import { TreeItemModel } from "./depsTree";
import type { Assetry } from "./main";

interface Spec {
  project: string;
  brokenFile: string;
  brokenCode: string;
  brokenLine: number;
  defFile: string;
  defLine: number;
  defCol: number;
  treeFile: string;
  convertFile: string;
  tomlMeta: string;
  ronMeta: string;
  renameFrom: string;
  renameTo: string;
  renameReferrer: string;
  timeoutMs: number;
}


interface SeenNode {
  label: string;
  description?: string;
  path?: string;
  children: SeenNode[];
}

/** Resolves with the first value `probe` returns, checked now and on each `event`; rejects after the deadline. */
function waitFor<T>(what: string, event: vscode.Event<unknown>, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const now = probe();
    if (now !== undefined) return resolve(now);
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const sub = event(() => {
      const v = probe();
      if (v !== undefined) {
        clearTimeout(timer);
        sub.dispose();
        resolve(v);
      }
    });
  });
}

/** `promise`, or a rejection naming `what` after the deadline (a command stuck on a dialog, say). */
function withTimeout<T>(what: string, promise: Thenable<T>, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

function codeOf(d: vscode.Diagnostic): string | undefined {
  if (d.code === undefined) return undefined;
  return typeof d.code === "object" ? String(d.code.value) : String(d.code);
}

function seen(project: string, m: TreeItemModel): SeenNode {
  return {
    label: m.label,
    description: m.description,
    path: m.uri === undefined ? undefined : path.relative(project, vscode.Uri.parse(m.uri).fsPath),
    children: m.children.map((c) => seen(project, c)),
  };
}

export async function runSelfTest(
  assetry: Assetry,
  ready: Promise<void>,
  verdictFile: string,
  timings: { moduleLoadMs: number; moduleEvalMs: number; activateMs: number; mainLoadedMs: number },
): Promise<void> {
  const started = performance.now();
  const report: Record<string, unknown> = { timings, steps: [] as string[] };
  const steps = report.steps as string[];
  try {
    const spec = JSON.parse(fs.readFileSync(process.env.ASSETRY_E2E_SPEC ?? "", "utf8")) as Spec;
    const file = (rel: string) => vscode.Uri.file(path.join(spec.project, rel));

    await ready;
    if (assetry.client === undefined || !assetry.client.isRunning()) throw new Error("the language server is not running");
    report.serverRunningMs = performance.now() - started;
    steps.push("server running");

    // 1. The injected broken path is reported where it is.
    const broken = file(spec.brokenFile);
    await vscode.window.showTextDocument(broken);
    const diagnostic = await waitFor(
      `a ${spec.brokenCode} diagnostic on line ${spec.brokenLine} of ${spec.brokenFile}`,
      vscode.languages.onDidChangeDiagnostics,
      () =>
        vscode.languages
          .getDiagnostics(broken)
          .find((d) => codeOf(d) === spec.brokenCode && d.range.start.line === spec.brokenLine),
      spec.timeoutMs,
    );
    report.diagnostic = {
      code: codeOf(diagnostic),
      source: diagnostic.source,
      message: diagnostic.message,
      line: diagnostic.range.start.line,
      severity: vscode.DiagnosticSeverity[diagnostic.severity],
    };
    report.diagnosticsOfBrokenFile = vscode.languages.getDiagnostics(broken).map((d) => `${d.range.start.line}:${codeOf(d)}`);
    assetry.status.count();
    report.statusText = assetry.status.text;
    steps.push("diagnostic");

    // 2. Go to definition on a good reference, as F12 does, opens the asset.
    const defEditor = await vscode.window.showTextDocument(file(spec.defFile));
    const at = new vscode.Position(spec.defLine, spec.defCol);
    defEditor.selection = new vscode.Selection(at, at);
    const before = vscode.window.activeTextEditor?.document.uri.toString();
    await vscode.commands.executeCommand("editor.action.revealDefinition");
    const opened = await waitFor(
      "the definition to open in an editor",
      vscode.window.onDidChangeActiveTextEditor,
      () => {
        const now = vscode.window.activeTextEditor?.document.uri;
        return now !== undefined && now.toString() !== before ? now : undefined;
      },
      spec.timeoutMs,
    );
    report.definitionOpened = path.relative(spec.project, opened.fsPath);
    steps.push("definition");

    // 3. The dependency view of a scene.
    const treeFile = file(spec.treeFile);
    await vscode.window.showTextDocument(treeFile);
    await vscode.commands.executeCommand("assetry.dependencies.focus");
    assetry.dependencies.refresh();
    const shown = await assetry.dependencies.current();
    report.treeFile = shown.file === undefined ? null : path.relative(spec.project, shown.file.fsPath);
    report.tree = shown.roots.map((r) => seen(spec.project, r));
    steps.push("tree");

    // 4. "Convert References to IDs in This File", through the palette command.
    const convertDoc = (await vscode.window.showTextDocument(file(spec.convertFile))).document;
    report.convertApplied = await vscode.commands.executeCommand("assetry.convertToIds");
    report.convertedText = convertDoc.getText();
    await vscode.commands.executeCommand("workbench.action.revertAndCloseActiveEditor");
    steps.push("convert");

    // 4b. "Check Project": `assetry check` finds the broken path (exit status 1).
    report.checkStatus = await vscode.commands.executeCommand("assetry.checkProject");
    steps.push("check");

    // 5. .meta highlighting: TOML, or RON when the file starts with `(`.
    const languageOf = async (rel: string) => {
      const uri = file(rel);
      await vscode.window.showTextDocument(uri);
      const settled = (d: vscode.TextDocument) => d.uri.toString() === uri.toString() && d.languageId !== "assetry-meta";
      // A RON file is switched just after it opens; a TOML one keeps the language it opened with.
      const doc =
        rel === spec.ronMeta
          ? await waitFor(`${rel} to switch to RON`, vscode.workspace.onDidOpenTextDocument, () => vscode.workspace.textDocuments.find(settled), spec.timeoutMs)
          : vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
      await vscode.commands.executeCommand("workbench.action.closeActiveEditor");
      return doc?.languageId;
    };
    report.metaLanguages = { toml: await languageOf(spec.tomlMeta), ron: await languageOf(spec.ronMeta) };
    steps.push("meta languages");

    // 6. "Restart Server": a new server process that answers like the old one.
    const before5 = assetry.client;
    await vscode.commands.executeCommand("assetry.restartServer");
    report.restarted = assetry.client !== undefined && assetry.client !== before5 && assetry.client.isRunning();
    await vscode.window.showTextDocument(treeFile);
    assetry.dependencies.refresh();
    const again = await assetry.dependencies.current();
    report.treeAfterRestartSame = JSON.stringify(again.roots) === JSON.stringify(shown.roots);
    steps.push("restart");

    // 7. Rename-follow: renaming an asset (as the Explorer does, through a
    // workspace edit) rewrites the references to it and moves its .meta.
    // Last, since it changes the graph the steps above looked at.
    const rename = new vscode.WorkspaceEdit();
    rename.renameFile(file(spec.renameFrom), file(spec.renameTo));
    report.renameApplied = await withTimeout("the rename to apply", vscode.workspace.applyEdit(rename), spec.timeoutMs);
    const referrer = await vscode.workspace.openTextDocument(file(spec.renameReferrer));
    report.referrerAfterRename = referrer.getText();
    report.metaAfterRename = {
      from: fs.existsSync(`${file(spec.renameFrom).fsPath}.meta`),
      to: fs.existsSync(`${file(spec.renameTo).fsPath}.meta`),
    };
    // ...and the project settles back to the one injected error (the server
    // sees the moved .meta, the rewritten reference and the renamed file).
    const onlyTheInjected = () => {
      const all = vscode.languages
        .getDiagnostics()
        .flatMap(([uri, ds]) => ds.filter((d) => d.source === "assetry").map((d) => `${path.relative(spec.project, uri.fsPath)}:${d.range.start.line}:${codeOf(d)}`));
      return all.length === 1 && all[0] === `${spec.brokenFile}:${spec.brokenLine}:${spec.brokenCode}` ? all : undefined;
    };
    try {
      report.diagnosticsAfterRename = await waitFor("the diagnostics to settle after the rename", vscode.languages.onDidChangeDiagnostics, onlyTheInjected, spec.timeoutMs);
    } catch (err) {
      report.diagnosticsAfterRename = vscode.languages
        .getDiagnostics()
        .flatMap(([uri, ds]) => ds.map((d) => `${path.relative(spec.project, uri.fsPath)}:${d.range.start.line}:${codeOf(d)}`));
      throw err;
    }
    steps.push("rename");

    // 8. Processing, turned on in the settings as a user would: the server
    // restarts with it, processes the project in the background, and the
    // scene the injected path breaks cannot be processed either.
    await vscode.workspace.getConfiguration("assetry").update("processing.enabled", true, vscode.ConfigurationTarget.Global);
    const processingFailed = await waitFor(
      `a processing-failed diagnostic on ${spec.brokenFile}`,
      vscode.languages.onDidChangeDiagnostics,
      () => vscode.languages.getDiagnostics(broken).find((d) => codeOf(d) === "processing-failed"),
      spec.timeoutMs,
    );
    report.processing = {
      line: processingFailed.range.start.line,
      message: processingFailed.message,
      manifest: fs.existsSync(path.join(spec.project, ".assetry", "out", "default", "manifest.json")),
    };
    steps.push("processing");

    // Leave the window as a user would see it, for the screenshot: the
    // scene with its error, the dependency view, the Problems panel.
    await vscode.commands.executeCommand("workbench.files.action.collapseExplorerFolders");
    await vscode.commands.executeCommand("workbench.action.closeOtherEditors");
    await vscode.commands.executeCommand("workbench.actions.view.problems");
    await vscode.window.showTextDocument(broken, { preserveFocus: false });
    report.ok = true;
  } catch (err) {
    report.ok = false;
    report.error = err instanceof Error ? `${err.message}\n${err.stack ?? ""}` : String(err);
    report.log = assetry.recentLog;
  }
  // Written to a temporary name and renamed, so the driver never reads half a verdict.
  fs.writeFileSync(`${verdictFile}.tmp`, JSON.stringify(report, null, 2));
  fs.renameSync(`${verdictFile}.tmp`, verdictFile);
}
