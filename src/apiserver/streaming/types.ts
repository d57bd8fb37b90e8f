// What exec, attach and port-forward ask of whatever runs the pod's
// containers. The API server speaks the protocols (WebSocket channels, SPDY);
// a runtime (src/runtime/streams.ts for the process runtime) only sees
// streams, so a runtime that enters the pod's namespaces changes nothing here.
import type { Duplex, Readable, Writable } from 'node:stream';
import type { KubeObject } from '../../api/types.js';

export interface TerminalSize {
  width: number;
  height: number;
}

/** The client's side of one exec or attach session, whatever the protocol. */
export interface StreamIO {
  /** What the client types; ends when the client closes stdin (v5 CLOSE, SPDY FIN). */
  stdin?: Readable;
  stdout?: Writable;
  /** Absent with a TTY: a terminal has one output. */
  stderr?: Writable;
  tty: boolean;
  /**
   * Terminal size changes, in the order they came (TTY sessions). A runtime
   * with a TTY must register before it reads stdin: stdin that came after a
   * resize is handed over once the handler applied it (its promise resolved),
   * so what was typed after a resize runs at the new size.
   */
  onResize(cb: (size: TerminalSize) => Promise<void> | void): void;
  /** Aborted when the client is gone (connection closed, stream reset). */
  signal: AbortSignal;
}

/** Why a stream cannot reach a container: kube's answers, pre-upgrade. */
export type StreamCheck = { ok: true } | { ok: false; notRunning: true };

export interface PodStreams {
  /**
   * Whether the pod's container can be streamed to. Throws a StatusError for
   * pods this runtime cannot stream to at all (a simulated pod: 400 naming
   * what is needed). `container` is undefined for port-forward.
   */
  check(pod: KubeObject, container: string | undefined, kind: 'exec' | 'attach' | 'portforward'): StreamCheck;
  /** Runs `command` in the container; resolves with its exit code. Rejects with an Error when it cannot start. */
  exec(pod: KubeObject, container: string, command: string[], io: StreamIO): Promise<number>;
  /** Joins the container's own stdin/stdout/stderr until it exits or the client leaves. */
  attach(pod: KubeObject, container: string, io: StreamIO): Promise<void>;
  /** A connection to the pod's port; rejects with the runtime's error (connection refused…). */
  portForward(pod: KubeObject, port: number): Promise<Duplex>;
  /** The pod sandbox's ID, as error messages name it. */
  sandboxId(pod: KubeObject): string;
}
