// `nodeless up`: start everything, say where it is, serve until a signal.
import { startNodeless } from '../nodeless.js';
import { parseGoDuration } from '../api/duration.js';
import { CliError } from './connect.js';
import type { CloudName } from '../cloud/storage.js';
import { configureLogging, logger, LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from '../util/log.js';

export interface UpOptions {
  home: string;
  port: number;
  host: string;
  allowProcessRuntime: boolean;
  apiOnly?: boolean;
  /** tencent (default), alibaba or aws: the cloud of a new home's cluster `default`. */
  cloud?: string;
  /** Kubelet event rate, as kubelet's --event-qps (0: unlimited) and --event-burst. */
  eventQps?: string;
  eventBurst?: string;
  /** How long a request body may take to arrive, a Go duration (kube-apiserver's --request-timeout). */
  requestTimeout?: string;
  /** How long Events are kept after their last write, a Go duration (kube-apiserver's --event-ttl). */
  eventTtl?: string;
  /** Terminated pods kept before the oldest are deleted (kube-controller-manager's --terminated-pod-gc-threshold). */
  terminatedPodGcThreshold?: string;
  /** The least level logged: trace, debug, info (default), warn, error. */
  logLevel?: string;
  /** text (default: one human line per message) or json (pino's JSON lines). */
  logFormat?: string;
}

/** A flag that must be a whole number ≥ 0 (or absent). */
function count(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === '' || !Number.isInteger(v) || v < 0) throw new CliError(`${flag} must be a whole number of 0 or more, got "${text}"`);
  return v;
}

export async function runUp(o: UpOptions): Promise<void> {
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw new CliError(`--port must be a number between 0 and 65535, got ${o.port}`);
  const qps = count('--event-qps', o.eventQps);
  const burst = count('--event-burst', o.eventBurst);
  // Either flag alone keeps kubelet's default for the other.
  const kubeletEvents = qps === undefined && burst === undefined ? undefined : { qps: qps ?? 50, burst: burst ?? 100 };
  let requestTimeoutMs: number | undefined;
  if (o.requestTimeout !== undefined) {
    const ms = parseGoDuration(o.requestTimeout);
    if (ms === undefined || !(ms > 0)) throw new CliError(`--request-timeout must be a positive duration such as 60s or 1m, got "${o.requestTimeout}"`);
    requestTimeoutMs = Math.min(ms, 2 ** 31 - 1);
  }
  let eventTTLMs: number | undefined;
  if (o.eventTtl !== undefined) {
    const ms = parseGoDuration(o.eventTtl);
    if (ms === undefined || ms < 0) throw new CliError(`--event-ttl must be a duration of 0 or more such as 1h or 30m, got "${o.eventTtl}"`);
    eventTTLMs = ms;
  }
  const cloudName = o.cloud ?? 'tencent';
  if (!['tencent', 'alibaba', 'aws'].includes(cloudName)) throw new CliError(`--cloud must be tencent, alibaba or aws, got "${o.cloud}"`);
  const terminatedPodGCThreshold = count('--terminated-pod-gc-threshold', o.terminatedPodGcThreshold);
  const level = o.logLevel ?? 'info';
  if (!LOG_LEVELS.includes(level as LogLevel)) throw new CliError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${level}"`);
  const format = o.logFormat ?? 'text';
  if (!LOG_FORMATS.includes(format as LogFormat)) throw new CliError(`--log-format must be one of ${LOG_FORMATS.join(', ')}, got "${format}"`);
  // Logs go to stderr; what this command prints for its user (where nodeless is) stays plain on stdout.
  configureLogging({ level: level as LogLevel, format: format as LogFormat });
  const log = logger('nodeless');
  // Last resort: a promise nobody awaited must not end the server (Node's default
  // for an unhandled rejection); request errors are answered where they happen.
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection (the server keeps running)'));
  let n;
  try {
    n = await startNodeless({ cloud: cloudName as CloudName, home: o.home, port: o.port, host: o.host, allowProcessRuntime: o.allowProcessRuntime, apiOnly: o.apiOnly, kubeletEvents, requestTimeoutMs, eventTTLMs, terminatedPodGCThreshold });
  } catch (e: any) {
    if (e?.code === 'EADDRINUSE') throw new CliError(`port ${o.port} on ${o.host} is already in use (another nodeless or API server?); choose another with --port`);
    if (e?.code === 'EACCES') throw new CliError(`not allowed to listen on ${o.host}:${o.port}; choose a port above 1024 with --port`);
    throw e;
  }
  console.log(`nodeless is up at ${n.url}`);
  console.log(`  home:       ${n.home}`);
  console.log(`  kubeconfig: ${n.kubeconfigPath}`);
  const ns = n.processNamespaces;
  if (ns) console.log(ns.available ? `  processes:  process pods run in their own Linux namespaces${ns.userns ? ' (a user namespace)' : ''}` : `  processes:  no Linux namespaces here (${ns.reason}); process pods run under $NODELESS_ROOT`);
  console.log('');
  console.log(`  export KUBECONFIG=${n.kubeconfigPath}`);
  console.log('  kubectl get nodes');
  console.log('');
  console.log('Press Ctrl-C to stop.');
  let stopping = false;
  const stop = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\nnodeless: ${sig} received, shutting down`);
    await n.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
