// Mounts the cloud REST API (/cloud/v1/...) on the API server's HTTPS port.
import type { ExtraRoute } from '../apiserver/server.js';
import { API_PREFIX, handleCloudRequest, renderError } from './api.js';
import { UnauthorizedOperation } from './errors.js';
import { SYSTEM_MASTERS } from '../apiserver/auth/user.js';
import type { Cloud } from './cloud.js';
import { sendJson } from '../apiserver/http.js';
import { DecodeError, parseJson } from '../util/decode.js';

export function cloudRoute(cloud: Cloud): ExtraRoute {
  return async (req, res, url, body, user) => {
    if (url.pathname !== API_PREFIX && !url.pathname.startsWith(`${API_PREFIX}/`)) return false;
    // The cloud account is the administrators': anyone not in system:masters is refused before anything is read.
    if (!user.groups.includes(SYSTEM_MASTERS)) {
      const out = renderError(new UnauthorizedOperation(`user ${JSON.stringify(user.username)} is not allowed to use the cloud API: it requires the group ${SYSTEM_MASTERS}`));
      sendJson(res, out.status, out.body ?? {});
      return true;
    }
    let parsed: unknown;
    try {
      const buf = await body();
      const text = buf.toString('utf8');
      if (text.trim()) {
        try {
          parsed = parseJson(text);
        } catch (e) {
          if (e instanceof DecodeError && /max depth/.test(e.message)) {
            sendJson(res, 400, { code: 'InvalidParameter', message: `the request body is not usable JSON: ${e.message}` });
            return true;
          }
          parsed = text; // a string tells the handler it did not parse
        }
      }
    } catch (e: any) {
      sendJson(res, e?.code === 413 ? 413 : 400, { code: 'InvalidParameter', message: e?.message ?? 'could not read the request body' });
      return true;
    }
    const out = await handleCloudRequest(cloud, { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, body: parsed });
    sendJson(res, out.status, out.body ?? {});
    return true;
  };
}
