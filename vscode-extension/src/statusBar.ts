// The status bar item: diagnostics counted from what the server published.
import * as vscode from "vscode";

import { StatusInput, statusView } from "./status";

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("assetry.status", vscode.StatusBarAlignment.Left, 10);
  private readonly input: StatusInput = { state: "starting", errors: 0, warnings: 0 };
  private readonly listener: vscode.Disposable;
  private recount: NodeJS.Timeout | undefined;

  constructor() {
    this.item.name = "Assetry";
    this.item.command = "workbench.actions.view.problems";
    this.listener = vscode.languages.onDidChangeDiagnostics(() => {
      // A start-up publishes one notification per file: count once per burst.
      if (this.recount === undefined) {
        this.recount = setTimeout(() => {
          this.recount = undefined;
          this.count();
        }, 50);
      }
    });
    this.render();
  }

  /** Also shows the item: a workspace where the server never starts (no Assetry project) gets none. */
  setState(state: StatusInput["state"]): void {
    this.input.state = state;
    this.render();
    this.item.show();
  }

  /** Recounts now (the e2e self-test reads the text right after a diagnostic arrives). */
  count(): void {
    let errors = 0;
    let warnings = 0;
    for (const [, diagnostics] of vscode.languages.getDiagnostics()) {
      for (const d of diagnostics) {
        if (d.source !== "assetry") continue;
        if (d.severity === vscode.DiagnosticSeverity.Error) errors++;
        else if (d.severity === vscode.DiagnosticSeverity.Warning) warnings++;
      }
    }
    this.input.errors = errors;
    this.input.warnings = warnings;
    this.render();
  }

  get text(): string {
    return this.item.text;
  }

  private render(): void {
    const view = statusView(this.input);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
  }

  dispose(): void {
    if (this.recount !== undefined) clearTimeout(this.recount);
    this.listener.dispose();
    this.item.dispose();
  }
}
