// RBAC roles and bindings (kubernetes/pkg/registry/rbac/*/strategy.go and
// */policybased/storage.go): names are path segments, not DNS names
// (`system:controller:foo` is a valid ClusterRole name); and nobody grants what
// they do not hold (escalation prevention): a Role or ClusterRole may be written
// by a member of system:masters, by someone allowed the `escalate` verb on it, or
// by someone who holds every permission it lists; a binding by a member of
// system:masters, by someone allowed to `bind` its role, or by someone who holds
// every permission of the role. Each write tells the authorizer to read the
// roles and bindings again. docs/auth.md.
import type { KubeObject } from '../../api/types.js';
import type { NameValidation, StoreAccess, WriteContext } from './strategy.js';
import { ResourceStrategy } from './strategy.js';
import { errors } from '../status.js';
import { SYSTEM_MASTERS } from '../auth/user.js';
import { escalationMessage, rulesOf, uncovered, type PolicyRule } from '../auth/rbac.js';
import type { AuthorizationAttributes } from '../auth/authorizer.js';

const GROUP = 'rbac.authorization.k8s.io';

/** What a binding to the aggregationRule needs: everything (fullAuthority). */
const FULL_AUTHORITY: PolicyRule[] = [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }];

/**
 * IsOnlyMutatingGCFields: the write changes only ownerReferences or finalizers (the garbage
 * collector's), which needs no permission check.
 */
function onlyGCFields(obj: KubeObject, old: KubeObject): boolean {
  const strip = (o: KubeObject) => {
    const { ownerReferences: _o, finalizers: _f, resourceVersion: _r, managedFields: _m, ...meta } = o.metadata;
    return JSON.stringify({ ...o, metadata: meta });
  };
  return strip(obj) === strip(old);
}

export class RBACStrategy extends ResourceStrategy {
  override readonly nameValidation: NameValidation = 'pathSegment';

  private async allowed(ctx: WriteContext, a: Omit<AuthorizationAttributes, 'user' | 'resourceRequest'>): Promise<boolean> {
    return (await ctx.store.authorizer.authorize({ ...a, user: ctx.user, resourceRequest: true })).decision === 'Allow';
  }

  /** ConfirmNoEscalation: the user's own RBAC rules in the namespace cover `rules`. */
  private async confirmNoEscalation(ctx: WriteContext, namespace: string, rules: PolicyRule[], name: string, message?: string): Promise<void> {
    const own = await ctx.store.rbac.policyRulesFor(ctx.user, namespace);
    const missing = uncovered(own.rules, rules);
    if (missing.length) throw errors.forbidden(this.type, name, message ?? escalationMessage(ctx.user, missing, own.errors));
  }

  override async checkWrite(obj: KubeObject, old: KubeObject | undefined, ctx: WriteContext): Promise<void> {
    // EscalationAllowed: the API server's own loopback identity is in system:masters.
    if (ctx.user.groups.includes(SYSTEM_MASTERS)) return;
    const namespace = obj.metadata.namespace ?? '';
    const name = obj.metadata.name ?? '';
    const plural = this.type.plural;
    if (plural === 'roles' || plural === 'clusterroles') {
      // RoleEscalationAuthorized: the `escalate` verb on the role (named on an update; a create names none).
      if (await this.allowed(ctx, { verb: 'escalate', apiGroup: GROUP, apiVersion: '*', resource: plural, namespace, name: old ? name : '' })) return;
      if (old && onlyGCFields(obj, old)) return;
      await this.confirmNoEscalation(ctx, namespace, rulesOf(obj), name);
      // An aggregationRule can gather anything: setting or changing one takes cluster-admin's permissions.
      if (plural === 'clusterroles' && ((obj as any).aggregationRule || (old as any)?.aggregationRule)) {
        await this.confirmNoEscalation(ctx, namespace, FULL_AUTHORITY, name, 'must have cluster-admin privileges to use the aggregationRule');
      }
      return;
    }
    if (old && onlyGCFields(obj, old)) return;
    const ref = (obj as any).roleRef ?? {};
    const refKind = String(ref.kind ?? '');
    const refName = String(ref.name ?? '');
    // BindingAuthorized: the `bind` verb on the role, in the binding's namespace.
    if ((refKind === 'ClusterRole' || refKind === 'Role') &&
      await this.allowed(ctx, { verb: 'bind', apiGroup: String(ref.apiGroup ?? ''), resource: refKind === 'Role' ? 'roles' : 'clusterroles', namespace, name: refName })) return;
    const rules = refKind === 'ClusterRole' ? await ctx.store.rbac.clusterRoleRules(refName) : refKind === 'Role' ? await ctx.store.rbac.roleRules(namespace, refName) : undefined;
    if (!rules) {
      const why = refKind === 'ClusterRole' || refKind === 'Role'
        ? `${refKind.toLowerCase()}.rbac.authorization.k8s.io ${JSON.stringify(refName)} not found`
        : `unsupported role reference kind: ${JSON.stringify(refKind)}`;
      throw errors.forbidden(this.type, name, why);
    }
    await this.confirmNoEscalation(ctx, namespace, rules, name);
  }

  override afterCreate(_obj: KubeObject, store: StoreAccess): void {
    store.rbacChanged();
  }

  override afterUpdate(_obj: KubeObject, store: StoreAccess): void {
    store.rbacChanged();
  }

  override afterDelete(_obj: KubeObject, store: StoreAccess): void {
    store.rbacChanged();
  }
}
