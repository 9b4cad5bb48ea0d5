// The "Asset Dependencies" view: the active file's dependencies and
// dependents as the server's `assetry/dependencies` request returns them.
import * as vscode from "vscode";

import { buildTree, TreeItemModel } from "./depsTree";
import type { Assetry } from "./main";
import { dependenciesOf } from "./requests";

export class DependenciesView implements vscode.TreeDataProvider<TreeItemModel>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly view: vscode.TreeView<TreeItemModel>;
  private readonly disposables: vscode.Disposable[] = [];
  /** The file the tree shows, and the tree once loaded. */
  private file: vscode.Uri | undefined;
  private roots: Promise<TreeItemModel[]> = Promise.resolve([]);

  constructor(private readonly assetry: Assetry) {
    this.view = vscode.window.createTreeView("assetry.dependencies", { treeDataProvider: this, showCollapseAll: true });
    this.disposables.push(
      this.view,
      this.changed,
      vscode.window.onDidChangeActiveTextEditor(() => this.refresh()),
      // The graph changes when a file is saved; the server has seen the
      // change by then (didSave is sent before this event's listeners run).
      vscode.workspace.onDidSaveTextDocument(() => this.refresh()),
    );
  }

  /** Reloads the tree for the active editor's file (kept when no file editor is active). */
  refresh(): void {
    const editor = vscode.window.activeTextEditor;
    if (editor !== undefined && editor.document.uri.scheme === "file") this.file = editor.document.uri;
    this.roots = this.load();
    this.changed.fire();
  }

  /** The tree currently shown (the e2e self-test checks it). */
  current(): Promise<{ file: vscode.Uri | undefined; roots: TreeItemModel[] }> {
    const file = this.file;
    return this.roots.then((roots) => ({ file, roots }));
  }

  private async load(): Promise<TreeItemModel[]> {
    const client = this.assetry.client;
    if (this.file === undefined || client === undefined || !client.isRunning()) return [];
    this.view.description = vscode.workspace.asRelativePath(this.file);
    try {
      return buildTree(await dependenciesOf(client, this.file));
    } catch (err) {
      this.assetry.log(`assetry/dependencies failed: ${String(err)}`);
      return [{ label: "The server could not answer; see the Assetry output", icon: "warning", children: [] }];
    }
  }

  getTreeItem(m: TreeItemModel): vscode.TreeItem {
    const state =
      m.children.length === 0
        ? vscode.TreeItemCollapsibleState.None
        : m.uri === undefined
          ? vscode.TreeItemCollapsibleState.Expanded
          : vscode.TreeItemCollapsibleState.Collapsed;
    const item = new vscode.TreeItem(m.label, state);
    item.description = m.description;
    item.tooltip = m.tooltip;
    item.iconPath = new vscode.ThemeIcon(m.icon);
    if (m.uri !== undefined) {
      const uri = vscode.Uri.parse(m.uri);
      item.resourceUri = uri;
      item.command = { command: "vscode.open", title: "Open", arguments: [uri] };
    }
    return item;
  }

  getChildren(m?: TreeItemModel): Promise<TreeItemModel[]> | TreeItemModel[] {
    return m === undefined ? this.roots : m.children;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
