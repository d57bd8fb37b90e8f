// One JSON request over HTTPS, shared by the HTTP client and the CLI: the body
// is sent as given, the answer comes back parsed (when it is JSON) with its
// status. What a status means is the caller's business.
import https from 'node:https';

export interface JsonRequest {
  method: string;
  url: string | URL;
  token?: string;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  contentType?: string;
  agent?: https.Agent;
  ca?: string;
}

export interface JsonResponse {
  status: number;
  body: any;
  text: string;
}

export function jsonRequest(r: JsonRequest): Promise<JsonResponse> {
  const payload = r.body === undefined ? undefined : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
  return new Promise((resolve, reject) => {
    const req = https.request(r.url, {
      method: r.method,
      ...(r.agent ? { agent: r.agent } : {}),
      ...(r.ca ? { ca: r.ca } : {}),
      headers: {
        accept: 'application/json',
        ...(r.token ? { authorization: `Bearer ${r.token}` } : {}),
        ...(payload !== undefined ? { 'content-type': r.contentType ?? 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: any;
        try { body = text ? JSON.parse(text) : undefined; } catch { body = undefined; }
        resolve({ status: res.statusCode ?? 0, body, text });
      });
    });
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}
