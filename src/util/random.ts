// Random numbers that a test can make repeatable: `seededRandom(seed)` is
// mulberry32, a small 32-bit generator whose sequence a seed fixes; production
// passes Math.random. Used where the modelled service is itself random (which
// EIP of a NAT gateway a flow leaves by, docs/alibaba/nat-bandwidth.md).

/** A source of numbers in [0, 1), as Math.random. */
export type Random = () => number;

export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** NODELESS_RANDOM_SEED (read when nodeless starts) makes the modelled randomness repeatable. */
export function randomFromEnv(env: NodeJS.ProcessEnv = process.env): Random {
  const seed = env.NODELESS_RANDOM_SEED;
  return seed !== undefined && /^\d+$/.test(seed) ? seededRandom(Number(seed)) : Math.random;
}
