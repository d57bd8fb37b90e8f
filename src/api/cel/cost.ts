// The runtime cost of one CEL evaluation, as cel-go's ActualCost limits it:
// kube-apiserver gives each expression a budget (PerCallLimit, 1,000,000) and
// cancels the evaluation past it ("operation cancelled: actual cost limit
// exceeded"), so no expression can keep the server busy. Here every
// comprehension step costs 1 and the library's list and string functions
// cost their input's size (docs/admission.md, "Cost"). Evaluation is
// synchronous, so one meter at a time is enough.

/** k8s.io/apiserver/pkg/apis/cel: PerCallLimit. */
export const PER_CALL_LIMIT = 1_000_000;
/** RuntimeCELCostBudget: what one policy (all its expressions) or one object's CRD rules may spend. */
export const RUNTIME_COST_BUDGET = 10_000_000;

export const COST_EXCEEDED = 'operation cancelled: actual cost limit exceeded';

interface Meter { spent: number; limit: number; exceeded: boolean }
let current: Meter | undefined;

/** Adds `n` to the running evaluation's cost; throws once past its limit. */
export function charge(n: number): void {
  const m = current;
  if (!m) return;
  if (m.exceeded) throw new Error(COST_EXCEEDED);
  m.spent += n;
  if (m.spent > m.limit) {
    m.exceeded = true;
    throw new Error(COST_EXCEEDED);
  }
}

/** Runs `fn` under a fresh meter; the cost spent and whether the limit was crossed. */
export function metered<T>(limit: number, fn: () => T): { value: T; cost: number; exceeded: boolean } {
  const outer = current;
  const m: Meter = { spent: 0, limit, exceeded: false };
  current = m;
  try {
    const value = fn();
    return { value, cost: m.spent, exceeded: m.exceeded };
  } finally {
    current = outer;
  }
}
