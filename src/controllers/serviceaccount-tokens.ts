// The ServiceAccount token controller of kube-controller-manager
// (pkg/serviceaccount/tokens_controller.go, 1.32): a Secret of type
// kubernetes.io/service-account-token annotated with its account's name is
// filled with a legacy token (a JWT that never expires), the cluster CA and
// the namespace, and annotated with the account's uid; it is deleted when its
// account is (or when the account it was made for is gone, re-created under
// the same name). Nothing makes such Secrets on its own any more
// (LegacyServiceAccountTokenNoAutoGeneration): a user asks for one by
// creating it. docs/auth.md.
import type { KubeObject } from '../api/types.js';
import { ApiError, refs } from '../client/types.js';
import { type Informer } from '../client/cache/informer.js';
import { WorkQueue } from '../client/workqueue/queue.js';
import type { TokenIssuer } from '../apiserver/auth/serviceaccount.js';
import { ControllerContext, deleteExact, isNotFound } from './util/context.js';

export const SERVICE_ACCOUNT_TOKEN_TYPE = 'kubernetes.io/service-account-token';
/** v1.ServiceAccountNameKey and ServiceAccountUIDKey. */
export const SERVICE_ACCOUNT_NAME_KEY = 'kubernetes.io/service-account.name';
export const SERVICE_ACCOUNT_UID_KEY = 'kubernetes.io/service-account.uid';

const isTokenSecret = (s: KubeObject) => (s as { type?: string }).type === SERVICE_ACCOUNT_TOKEN_TYPE;
const b64 = (s: string) => Buffer.from(s).toString('base64');

export class ServiceAccountTokensController {
  private queue = new WorkQueue({ name: 'serviceaccount-tokens' });
  private saInf: Informer;
  private secretInf: Informer;

  constructor(private ctx: ControllerContext, private issuer: TokenIssuer, private rootCA: string) {
    this.saInf = ctx.informer(refs.serviceaccounts);
    this.secretInf = ctx.informer(refs.secrets);
    // An account gone: its tokens go (keyed by its uid, so one re-created meanwhile keeps its own).
    this.saInf.on({ delete: (sa) => this.queue.add(`sa/${sa.metadata.namespace}/${sa.metadata.name}/${sa.metadata.uid}`) });
    const secret = (s: KubeObject) => { if (isTokenSecret(s)) this.queue.add(`secret/${s.metadata.namespace}/${s.metadata.name}`); };
    this.secretInf.on({ add: secret, update: (_o, s) => secret(s) });
    // A token secret made before its account: filled once the account comes.
    this.saInf.on({
      add: (sa) => {
        for (const s of this.secretInf.list(sa.metadata.namespace)) {
          if (isTokenSecret(s) && s.metadata.annotations?.[SERVICE_ACCOUNT_NAME_KEY] === sa.metadata.name) secret(s);
        }
      },
    });
  }

  async run(): Promise<void> {
    await Promise.all([this.saInf.hasSynced(), this.secretInf.hasSynced()]);
    this.queue.run((k) => this.sync(k), 1);
  }

  stop(): void { this.queue.stop(); }

  async sync(key: string): Promise<void> {
    const [kind, ns, name, uid] = key.split('/');
    if (kind === 'sa') return this.syncDeletedAccount(ns, name, uid);
    return this.syncSecret(ns, name);
  }

  /** The account, if it is the one meant (the uid, when known, must match). */
  private account(ns: string, name: string, uid: string | undefined): KubeObject | undefined {
    const sa = this.saInf.get(ns, name);
    return sa && (!uid || sa.metadata.uid === uid) ? sa : undefined;
  }

  /** deleteTokens: every token Secret of the account that was deleted. */
  private async syncDeletedAccount(ns: string, name: string, uid: string): Promise<void> {
    if (this.account(ns, name, uid)) return;
    for (const s of this.secretInf.list(ns)) {
      if (!isTokenSecret(s) || s.metadata.annotations?.[SERVICE_ACCOUNT_NAME_KEY] !== name) continue;
      const forUid = s.metadata.annotations?.[SERVICE_ACCOUNT_UID_KEY];
      if (forUid && forUid !== uid) continue;
      await deleteExact(this.ctx.client, refs.secrets, s);
    }
  }

  /** syncSecret: a token Secret of an account that exists is filled; of one that does not, deleted. */
  private async syncSecret(ns: string, name: string): Promise<void> {
    const cached = this.secretInf.get(ns, name);
    if (!cached || !isTokenSecret(cached) || cached.metadata.deletionTimestamp) return;
    const saName = cached.metadata.annotations?.[SERVICE_ACCOUNT_NAME_KEY] ?? '';
    const saUid = cached.metadata.annotations?.[SERVICE_ACCOUNT_UID_KEY];
    let sa = this.account(ns, saName, saUid);
    // The cache may not show an account just made: ask the API before deleting anything.
    if (!sa) {
      const live = await this.ctx.client.tryGet(refs.serviceaccounts, ns, saName);
      sa = live && (!saUid || live.metadata.uid === saUid) ? live : undefined;
    }
    if (!sa) {
      await deleteExact(this.ctx.client, refs.secrets, cached);
      return;
    }
    // generateTokenIfNeeded: work from the live Secret; a cache behind it will bring the newer one back.
    let live: KubeObject;
    try {
      live = await this.ctx.client.get(refs.secrets, ns, name);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    if (live.metadata.resourceVersion !== cached.metadata.resourceVersion) return;
    const data: Record<string, string> = { ...(live.data ?? {}) };
    const needsCA = !!this.rootCA && data['ca.crt'] !== b64(this.rootCA);
    const needsNamespace = !data.namespace;
    const needsToken = !data.token;
    if (!needsCA && !needsNamespace && !needsToken) return;
    if (needsCA) data['ca.crt'] = b64(this.rootCA);
    if (needsNamespace) data.namespace = b64(ns);
    if (needsToken) data.token = b64(await this.issuer.legacy(sa, live));
    const annotations = { ...(live.metadata.annotations ?? {}), [SERVICE_ACCOUNT_NAME_KEY]: sa.metadata.name!, [SERVICE_ACCOUNT_UID_KEY]: sa.metadata.uid! };
    try {
      await this.ctx.client.update(refs.secrets, { ...live, data, metadata: { ...live.metadata, annotations } });
    } catch (e) {
      // Changed meanwhile (the update event queues it again), or gone.
      if (isNotFound(e) || (e instanceof ApiError && e.code === 409)) return;
      throw e;
    }
  }
}
