// The command palette's "Assetry: …" commands.
import { execFile } from "node:child_process";
import * as vscode from "vscode";
import { CodeActionRequest } from "vscode-languageclient/node";

import { CommandId } from "./commandIds";
import { flatten } from "./depsTree";
import type { Assetry } from "./main";
import { dependenciesOf } from "./requests";

/**
 * The server's whole-file conversion. It has no command id, so it is known by
 * its title; a file with a single path reference gets only the one-reference
 * action ("Use the id of `…`"), which then converts the whole file too.
 */
const TO_IDS_WHOLE_FILE = "Use ids for every path reference in this file";
const TO_ID_ONE = "Use the id of `";

/** The handler of each command of package.json (registered by extension.ts). */
export function commandHandlers(assetry: Assetry): Record<CommandId, () => unknown> {
  return {
    "assetry.showServerLog": () => assetry.output.show(true),
    "assetry.restartServer": () => assetry.restart(),
    "assetry.refreshDependencies": () => assetry.dependencies.refresh(),
    "assetry.checkProject": () => checkProject(assetry),
    "assetry.convertToIds": () => convertToIds(assetry),
    "assetry.showDependents": () => showDependents(assetry),
  };
}

function runningClient(assetry: Assetry) {
  const client = assetry.client;
  if (client === undefined || !client.isRunning()) {
    void vscode.window.showWarningMessage("Assetry: the language server is not running (Assetry: Show Server Log says why).");
    return undefined;
  }
  return client;
}

function activeFile(): vscode.TextEditor | undefined {
  const editor = vscode.window.activeTextEditor;
  if (editor === undefined || editor.document.uri.scheme !== "file") {
    void vscode.window.showInformationMessage("Assetry: open a file of the project first.");
    return undefined;
  }
  return editor;
}

/**
 * `assetry check` on every workspace folder, its report in the Assetry
 * output; resolves with the worst exit status (0 clean, 1 errors, 2 could not
 * run), or undefined when there was nothing to run.
 */
async function checkProject(assetry: Assetry): Promise<number | undefined> {
  const server = assetry.serverPath();
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (server === undefined || folders.length === 0) return undefined;
  assetry.output.show(true);
  let worst = 0;
  for (const folder of folders) {
    const dir = folder.uri.fsPath;
    assetry.output.appendLine(`$ assetry check ${dir}`);
    const code = await new Promise<number>((resolve) => {
      execFile(server, ["check", dir], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        assetry.output.append(stdout);
        assetry.output.append(stderr);
        const status = err === null ? 0 : typeof err.code === "number" ? err.code : 2;
        resolve(status);
      });
    });
    worst = Math.max(worst, code);
  }
  const verdict = ["Assetry: the project checks clean.", "Assetry: the check found errors (see Problems).", "Assetry: the check could not run (see the Assetry output)."];
  void vscode.window.showInformationMessage(verdict[Math.min(worst, 2)]);
  if (worst === 1) void vscode.commands.executeCommand("workbench.actions.view.problems");
  return worst;
}

/** Applies the server's "every path reference in this file → id" code action. */
async function convertToIds(assetry: Assetry): Promise<boolean> {
  const client = runningClient(assetry);
  const editor = activeFile();
  if (client === undefined || editor === undefined) return false;
  const doc = editor.document;
  const whole = new vscode.Range(0, 0, doc.lineCount, 0);
  const actions =
    (await client.sendRequest(CodeActionRequest.type, {
      textDocument: { uri: client.code2ProtocolConverter.asUri(doc.uri) },
      range: client.code2ProtocolConverter.asRange(whole),
      context: { diagnostics: [], only: ["refactor.rewrite"] },
    })) ?? [];
  const candidates = actions.filter((a) => "edit" in a && a.edit !== undefined);
  const wholeFile = candidates.find((a) => a.title === TO_IDS_WHOLE_FILE);
  const single = candidates.filter((a) => a.title.startsWith(TO_ID_ONE));
  const chosen = wholeFile ?? (single.length === 1 ? single[0] : undefined);
  if (chosen === undefined || !("edit" in chosen) || chosen.edit === undefined) {
    void vscode.window.showInformationMessage("Assetry: this file has no path reference to convert to an id.");
    return false;
  }
  const edit = await client.protocol2CodeConverter.asWorkspaceEdit(chosen.edit);
  return vscode.workspace.applyEdit(edit);
}

/** A pick list of every asset that depends on the active file, directly or not. */
async function showDependents(assetry: Assetry): Promise<void> {
  const client = runningClient(assetry);
  const editor = activeFile();
  if (client === undefined || editor === undefined) return;
  const result = await dependenciesOf(client, editor.document.uri);
  const name = vscode.workspace.asRelativePath(editor.document.uri);
  if (result === null) {
    void vscode.window.showInformationMessage(`Assetry: ${name} is not in an Assetry project.`);
    return;
  }
  const direct = new Set(result.dependents.map((d) => d.uri));
  const nodes = flatten(result.dependents);
  if (nodes.length === 0) {
    void vscode.window.showInformationMessage(`Assetry: no asset depends on ${result.path}.`);
    return;
  }
  const pick = await vscode.window.showQuickPick(
    nodes.map((n) => ({
      label: n.path,
      description: `${n.kind}${direct.has(n.uri) ? "" : " · indirect"}`,
      uri: n.uri,
    })),
    { title: `Assets that depend on ${result.path}`, matchOnDescription: true },
  );
  // vscode.open, not showTextDocument: a dependent may be a binary asset (an image).
  if (pick !== undefined) await vscode.commands.executeCommand("vscode.open", vscode.Uri.parse(pick.uri));
}
