// Shapes shared by the node agent and its two runtimes. Per-pod state is kept
// deliberately small (numbers and short strings, no pod copies): a node may
// carry 100k simulated pods.
import type { KubeObject } from '../api/types.js';
import type { LogOptions } from '../apiserver/subresources.js';

/** Gives pods their IPs. The default is PodCidrNetwork; the super node agent plugs in subnet IPAM. */
export interface PodNetwork {
  /** The CNI plugin as FailedCreatePodSandBox names it (default `type="nodeless"`). */
  readonly plugin?: string;
  allocate(pod: KubeObject): Promise<{ ip: string }>;
  release(pod: KubeObject): Promise<void>;
}

/** The last run of a container, as status.lastState.terminated shows it. */
export interface Terminated {
  exitCode: number;
  reason: string;
  message?: string;
  startedAt: number;
  finishedAt: number;
  signal?: number;
  /** Ended because it was asked to stop (not serialized). */
  stopped?: boolean;
}

/** One container of a pod (init containers first, then app containers, in spec order). */
export interface ContainerState {
  name: string;
  init: boolean;
  /** Init container with restartPolicy Always (a sidecar): keeps running next to the app containers. */
  sidecar: boolean;
  /** An ephemeral container (`kubectl debug`): started once, never restarted, not counted for phase or readiness. */
  ephemeral: boolean;
  state: 'waiting' | 'running' | 'terminated';
  /** Waiting reason / message (ContainerCreating, PodInitializing, CrashLoopBackOff, CreateContainerError…). */
  reason?: string;
  message?: string;
  /** Current (or last, when waiting) instance. */
  startedAt?: number;
  term?: Terminated;
  last?: Terminated;
  restarts: number;
  ready: boolean;
  started: boolean;
  /** Has an instance ever been created (containerID known). */
  created: boolean;
  /** Image pulled for this container. */
  pulled: boolean;
  /** When the image pull ends, or when a back-off ends. */
  waitUntil?: number;
  /** Current back-off in ms; 0 = the next restart is immediate. */
  backoff: number;
  /** Simulated runtime: when the running instance exits, with which code. */
  exitAt?: number;
  exitCode?: number;
  /** Simulated: when the instance becomes ready/started (probe delays). */
  readyAt?: number;
  /** Set while a stop was requested (deletion, liveness failure). */
  stopping?: boolean;
  /** The stop is a restart (failed liveness probe), not the end. */
  restartOnStop?: boolean;
  /** An asynchronous start is under way. */
  starting?: boolean;
  /** Runtime-private handle (process runtime: the child). */
  handle?: unknown;
  /** A lifecycle hook under way (postStart, preStop): aborting it ends it early. */
  hook?: AbortController;
  /** An exit reported while postStart ran (the instance is not running yet for the lifecycle). */
  pendingExit?: { code: number; at: number; extra: { message?: string; signal?: number; reason?: string } };
  /** Why the last instance was killed after its postStart hook failed (the waiting message of PostStartHookError). */
  hookError?: string;
}

export type RuntimeName = 'simulated' | 'process';

export interface PodState {
  key: string;
  uid: string;
  namespace: string;
  name: string;
  runtime: RuntimeName;
  ip?: string;
  startTime?: number;
  sandbox: 'none' | 'allocating' | 'ready' | 'failed';
  containers: ContainerState[];
  /** Terminal phase reached (no more restarts). */
  done?: 'Succeeded' | 'Failed';
  doneReason?: string;
  doneMessage?: string;
  deleting: boolean;
  finalizing: boolean;
  /** While terminating: when the grace period ends (ms), so sidecars stopped after the app containers get what is left. */
  killBy: number;
  /** Next time the pod's clock needs a look (0 = none). */
  wakeAt: number;
}

/** What a runtime does for the agent's shared pod state machine. */
export interface Runtime {
  readonly name: RuntimeName;
  /** Starts an instance of `c`: sets exitAt/readyAt (simulated) or spawns it (process). Throws RuntimeStartError to leave it waiting. */
  start(ps: PodState, c: ContainerState, spec: any, pod: KubeObject, now: number): Promise<void> | void;
  /** Runs a lifecycle handler (postStart, preStop) in a running instance: the kubelet's failure message, or undefined (hooks.ts). */
  runHook?(ps: PodState, c: ContainerState, pod: KubeObject, handler: any, signal: AbortSignal): Promise<string | undefined>;
  /** Runtimes that run no handler (simulated): whether the hook fails, at once, and the kubelet's message if so. */
  hookFailure?(ps: PodState, c: ContainerState, pod: KubeObject, kind: 'postStart' | 'preStop', handler: any): string | undefined;
  /** Asks a running instance to stop within `graceSec`; the runtime reports the exit through the agent. */
  stop(ps: PodState, c: ContainerState, graceSec: number, now: number): void;
  /** The termination message for an instance that ended by itself (simulated FallbackToLogsOnError). */
  terminationMessage?(ps: PodState, c: ContainerState, pod: KubeObject, exitCode: number, at: number): string | undefined;
  /** Told when an instance ended (log followers end). */
  exited?(ps: PodState, c: ContainerState): void;
  /** The pod object changed (downward API files follow annotations); true when a container's state changed with it. */
  podUpdated?(ps: PodState, pod: KubeObject, now?: number): boolean | void;
  /** Where the pod's writable layers are, as the disk measures them (process runtime). */
  writableDirs?(ps: PodState, pod: KubeObject): string[];
  /** Frees everything held for the pod (processes, files). */
  cleanup(ps: PodState): Promise<void> | void;
  /** The main processes of the pod's running containers (process runtime), for what is measured of them. */
  pids?(ps: PodState): number[];
  /** The main process of one running container (process runtime): what metrics-server measures of it (./metricsserver.ts). */
  pid?(c: ContainerState): number | undefined;
  readLog(ps: PodState | undefined, pod: KubeObject, opts: LogOptions): Promise<string> | string;
  followLog(ps: PodState | undefined, pod: KubeObject, opts: LogOptions, onData: (t: string) => void, onEnd: () => void): () => void;
  /** Stops everything (agent shutdown). */
  shutdown(): Promise<void> | void;
}

/** A container that cannot be started: stays waiting with this reason, and a Failed event is recorded. */
export class RuntimeStartError extends Error {
  constructor(readonly reason: string, message: string) {
    super(message);
  }
}
