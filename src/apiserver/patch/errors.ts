// Errors raised by the patch functions; the HTTP layer renders them as metav1.Status.

/** A malformed or inapplicable patch. `code` is the HTTP status to answer with. */
export class PatchError extends Error {
  readonly code: 400 | 413 | 415 | 422;
  constructor(message: string, code: 400 | 413 | 415 | 422 = 422) {
    super(message);
    this.name = 'PatchError';
    this.code = code;
  }
}

/** One field owned by another manager that an apply would change. */
export interface ApplyConflict {
  /** Manager as Kubernetes prints it, e.g. `"kubectl" using apps/v1`. */
  manager: string;
  /** Field path in structured-merge-diff form, e.g. `.spec.template.spec.containers[name="app"].image`. */
  field: string;
}

/** Server-side apply conflicts (HTTP 409, reason Conflict, causes of type FieldManagerConflict). */
export class ApplyConflictError extends Error {
  readonly code = 409;
  readonly conflicts: ApplyConflict[];
  constructor(conflicts: ApplyConflict[]) {
    super(conflictMessage(conflicts));
    this.name = 'ApplyConflictError';
    this.conflicts = conflicts;
  }

  /** metav1.Status details.causes, as the API server reports them. */
  get causes(): { type: 'FieldManagerConflict'; message: string; field: string }[] {
    return this.conflicts.map((c) => ({ type: 'FieldManagerConflict', message: `conflict with ${c.manager}`, field: c.field }));
  }
}

// Same wording as k8s.io/apimachinery's managedfields conflict error: one conflict
// on one line, several grouped by manager (managers sorted), one "- path" per line.
function conflictMessage(conflicts: ApplyConflict[]): string {
  if (conflicts.length === 1) {
    const c = conflicts[0]!;
    return `Apply failed with 1 conflict: conflict with ${c.manager}: ${c.field}`;
  }
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) {
    const list = byManager.get(c.manager) ?? [];
    list.push(c.field);
    byManager.set(c.manager, list);
  }
  const lines: string[] = [];
  for (const manager of [...byManager.keys()].sort()) {
    lines.push(`conflicts with ${manager}:`);
    for (const f of byManager.get(manager)!) lines.push(`- ${f}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}
