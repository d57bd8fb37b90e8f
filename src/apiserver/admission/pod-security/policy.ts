// The Pod Security Standards' levels and versions, and the policy a namespace's
// labels give, as k8s.io/pod-security-admission/api (helpers.go, constants.go)
// parses them: `pod-security.kubernetes.io/<mode>` names a level,
// `<mode>-version` a version (`latest` or `v1.<minor>`). docs/admission.md.
import type { FieldError } from '../../../api/types.js';
import { own } from '../../../util/own.js';

export type Level = 'privileged' | 'baseline' | 'restricted';
const LEVELS: readonly Level[] = ['privileged', 'baseline', 'restricted'];

/**
 * A policy version: `latest`, or v1.<minor>. The minor is kept as written (for messages) and as
 * a number (for comparisons): no check is newer than this binary's, so a huge minor compares as
 * any minor past it.
 */
export interface Version {
  latest: boolean;
  minor: number;
  text: string;
}

export const LATEST: Version = Object.freeze({ latest: true, minor: Infinity, text: 'latest' });

export interface LevelVersion {
  level: Level;
  version: Version;
}

/** LevelVersion.String(): `restricted:latest`, `baseline:v1.24`. */
export const lvString = (lv: LevelVersion): string => `${lv.level}:${lv.version.text}`;
export const sameLV = (a: LevelVersion, b: LevelVersion): boolean => a.level === b.level && a.version.text === b.version.text;

export interface Policy {
  enforce: LevelVersion;
  audit: LevelVersion;
  warn: LevelVersion;
}

export const LABEL_PREFIX = 'pod-security.kubernetes.io/';
export const ENFORCE_LEVEL_LABEL = `${LABEL_PREFIX}enforce`;
export const ENFORCE_VERSION_LABEL = `${LABEL_PREFIX}enforce-version`;
export const AUDIT_LEVEL_LABEL = `${LABEL_PREFIX}audit`;
export const AUDIT_VERSION_LABEL = `${LABEL_PREFIX}audit-version`;
export const WARN_LEVEL_LABEL = `${LABEL_PREFIX}warn`;
export const WARN_VERSION_LABEL = `${LABEL_PREFIX}warn-version`;

/**
 * kube-apiserver's defaults when its admission configuration gives none (PodSecurityDefaults
 * v1: every mode privileged at latest), which is nodeless' configuration.
 */
export const DEFAULT_POLICY: Readonly<Policy> = Object.freeze({
  enforce: { level: 'privileged' as Level, version: LATEST },
  audit: { level: 'privileged' as Level, version: LATEST },
  warn: { level: 'privileged' as Level, version: LATEST },
});

/** ParseLevel: an unknown level is restricted, with an error. */
function parseLevel(s: string): [Level, string | undefined] {
  if ((LEVELS as readonly string[]).includes(s)) return [s as Level, undefined];
  return ['restricted', `must be one of ${LEVELS.join(', ')}`];
}

const VERSION_RE = /^v1\.([0-9]|[1-9][0-9]*)$/;
const INT64_MAX = 9223372036854775807n;

/** ParseVersion: `latest` or `v1.<minor>` (Go's Atoi: a minor past int64 is an error); anything else is latest, with an error. */
function parseVersion(s: string): [Version, string | undefined] {
  if (s === 'latest') return [LATEST, undefined];
  const m = VERSION_RE.exec(s);
  if (!m || BigInt(m[1]) > INT64_MAX) return [LATEST, 'must be "latest" or "v1.x"'];
  return [{ latest: false, minor: Number(m[1]), text: s }, undefined];
}

/** CompareLevels: -1 if a is less strict than b, 0 if the same, +1 if stricter. */
export function compareLevels(a: Level, b: Level): number {
  return Math.sign(LEVELS.indexOf(a) - LEVELS.indexOf(b));
}

/**
 * PolicyToEvaluate: the namespace's policy, the defaults where a label is missing. An invalid
 * enforce label means restricted (and latest for a bad version); an invalid audit or warn level
 * fails open to privileged. Each bad label is a field error on metadata.labels[<label>].
 * Since 1.26 an enforce level set without a warn level also warns at it (and at its version,
 * unless warn-version is set), when that is stricter than the default warn level.
 */
export function policyToEvaluate(labels: unknown, defaults: Policy = DEFAULT_POLICY): { policy: Policy; errors: FieldError[] } {
  const p: Policy = { enforce: { ...defaults.enforce }, audit: { ...defaults.audit }, warn: { ...defaults.warn } };
  const errors: FieldError[] = [];
  const label = (k: string): string | undefined => {
    const v = own(labels, k);
    return typeof v === 'string' ? v : undefined;
  };
  const bad = (k: string, v: string, why: string | undefined) => {
    if (why) errors.push({ field: `metadata.labels[${k}]`, type: 'FieldValueInvalid', message: `${JSON.stringify(v)}: ${why}` });
  };
  const modes: [keyof Policy, string, string, boolean][] = [
    ['enforce', ENFORCE_LEVEL_LABEL, ENFORCE_VERSION_LABEL, false],
    ['audit', AUDIT_LEVEL_LABEL, AUDIT_VERSION_LABEL, true],
    ['warn', WARN_LEVEL_LABEL, WARN_VERSION_LABEL, true],
  ];
  for (const [mode, levelLabel, versionLabel, failOpen] of modes) {
    const l = label(levelLabel);
    if (l !== undefined) {
      const [level, why] = parseLevel(l);
      p[mode].level = why && failOpen ? 'privileged' : level;
      bad(levelLabel, l, why);
    }
    const v = label(versionLabel);
    if (v !== undefined) {
      const [version, why] = parseVersion(v);
      p[mode].version = version;
      bad(versionLabel, v, why);
    }
  }
  if (label(WARN_LEVEL_LABEL) === undefined && label(ENFORCE_LEVEL_LABEL) !== undefined && compareLevels(p.enforce.level, p.warn.level) > 0) {
    p.warn.level = p.enforce.level;
    if (label(WARN_VERSION_LABEL) === undefined) p.warn.version = p.enforce.version;
  }
  return { policy: p, errors };
}

/** Policy.FullyPrivileged. */
export const fullyPrivileged = (p: Policy): boolean => p.enforce.level === 'privileged' && p.audit.level === 'privileged' && p.warn.level === 'privileged';
