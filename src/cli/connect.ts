// How CLI commands find and talk to a running nodeless: the home folder holds
// server.json (written by `nodeless up`), the admin token and the CA.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jsonRequest } from '../client/jsonrequest.js';

export function defaultHome(): string {
  return process.env.NODELESS_HOME || path.join(os.homedir(), '.nodeless');
}

export interface Connection {
  /** Base URL of the server, e.g. https://127.0.0.1:6443 */
  url: string;
  token: string;
  ca: string;
}

export class CliError extends Error {}

export function connect(home = defaultHome()): Connection {
  const serverFile = path.join(home, 'server.json');
  if (!fs.existsSync(serverFile)) {
    throw new CliError(`nodeless is not running for home ${home} (no ${serverFile}); start it with: nodeless up --home ${home}`);
  }
  const server = JSON.parse(fs.readFileSync(serverFile, 'utf8')) as { url: string };
  return {
    url: server.url,
    token: fs.readFileSync(path.join(home, 'token'), 'utf8').trim(),
    ca: fs.readFileSync(path.join(home, 'pki', 'ca.crt'), 'utf8'),
  };
}

export interface HttpResult {
  status: number;
  body: any;
  text: string;
}

/** One JSON request to the server. Never throws on HTTP status; throws CliError when unreachable. */
export async function request(conn: Connection, method: string, urlPath: string, body?: unknown, contentType = 'application/json'): Promise<HttpResult> {
  try {
    return await jsonRequest({ method, url: new URL(urlPath, conn.url), token: conn.token, ca: conn.ca, body, contentType });
  } catch (e) {
    throw new CliError(`cannot reach nodeless at ${conn.url}: ${(e as Error).message}`);
  }
}
