// The server's custom requests.
import * as vscode from "vscode";
import { LanguageClient, RequestType } from "vscode-languageclient/node";

import { DependenciesResult } from "./depsTree";

export const dependenciesRequest = new RequestType<{ uri: string }, DependenciesResult | null, void>("assetry/dependencies");

export function dependenciesOf(client: LanguageClient, uri: vscode.Uri): Promise<DependenciesResult | null> {
  return client.sendRequest(dependenciesRequest, { uri: client.code2ProtocolConverter.asUri(uri) });
}
