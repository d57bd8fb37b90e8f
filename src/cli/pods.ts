// Offline commands about serverless pods: `nodeless explain-size -f pod.yaml`
// (Tencent's pod spec calculation, step by step) and `nodeless net simulate`
// (the ipvs incidents of docs/tencent/ipvs.md, replayed with the pod's annotations).
import fs from 'node:fs';
import type { Command } from 'commander';
import { DecodeError, parseYamlDocuments } from '../util/decode.js';
import type { KubeObject } from '../api/types.js';
import { explainPodSize, computePodSize, formatPodSize, PodSizeError } from '../clouds/tencent/podsize.js';
import { eksSettings, validateEksAnnotations } from '../clouds/tencent/annotations.js';
import { runScenario } from '../clouds/tencent/ipvs.js';
import { CliError } from './connect.js';
import { netCommand, registerNetCommands } from './net.js';

/** The pod template of a Pod, Deployment, StatefulSet, Job… document. */
function podOf(doc: any): KubeObject {
  if (!doc || typeof doc !== 'object') throw new CliError('the file holds no Kubernetes object');
  if (doc.kind === 'Pod') return doc;
  const tpl = doc.spec?.template ?? doc.spec?.jobTemplate?.spec?.template;
  if (tpl) return { metadata: tpl.metadata ?? {}, spec: tpl.spec };
  throw new CliError(`${doc.kind ?? 'the object'} has no pod template`);
}

function readDocs(file: string): any[] {
  const text = file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(file, 'utf8');
  try {
    // The same decoding as the API server's: a hostile manifest is an error message, not a crash.
    return parseYamlDocuments(text, { maxAliasBytes: Math.max(text.length, 3 * 1024 * 1024) }).filter(Boolean);
  } catch (e) {
    if (e instanceof DecodeError) throw new CliError(`${file}: ${e.message}`);
    throw e;
  }
}

export function registerPodCommands(program: Command): void {
  program.command('explain-size')
    .description('compute a pod\'s serverless size (CPU/memory/GPU spec) step by step, as the cloud does')
    .requiredOption('-f, --filename <file>', 'manifest with a Pod or a workload (- for stdin)')
    .option('--home <dir>', 'accepted like every nodeless command; this one works offline')
    .action((o) => {
      let failed = false;
      for (const doc of readDocs(o.filename)) {
        const pod = podOf(doc);
        const ann = pod.metadata?.annotations ?? {};
        console.log(`${doc.kind ?? 'Pod'}/${doc.metadata?.name ?? '?'}:`);
        console.log(explainPodSize(pod, ann));
        try {
          console.log(`=> ${formatPodSize(computePodSize(pod, ann), 'long')} (${formatPodSize(computePodSize(pod, ann))})`);
        } catch (e) {
          if (!(e instanceof PodSizeError)) throw e;
          console.log(`=> refused: ${e.message}`);
          failed = true;
        }
      }
      if (failed) process.exitCode = 1;
    });

  const net = netCommand(program);
  registerNetCommands(program); // `net egress` lives in net.ts; registering here keeps main.ts unchanged
  net.command('simulate')
    .description('replay the documented ipvs incidents: tcp-idle (Connection reset by peer) and dns-scale (DNS timeouts after CoreDNS scales)')
    .argument('[scenario]', 'tcp-idle, dns-scale or all', 'all')
    .option('-f, --filename <file>', 'take the eks.tke.cloud.tencent.com/ipvs-* annotations from this manifest')
    .option('--idle <seconds>', 'tcp-idle: how long the connection stays idle', '960')
    .option('--home <dir>', 'accepted like every nodeless command; this one works offline')
    .action((scenario: string, o) => {
      const names = scenario === 'all' ? ['tcp-idle', 'dns-scale'] : [scenario];
      for (const name of names) if (name !== 'tcp-idle' && name !== 'dns-scale') throw new CliError(`unknown scenario ${name}: use tcp-idle, dns-scale or all`);
      let ann: Record<string, string> = {};
      if (o.filename) ann = podOf(readDocs(o.filename)[0]).metadata?.annotations ?? {};
      const problems = validateEksAnnotations(ann);
      if (problems.length) throw new CliError(problems.map((p) => p.message).join('; '));
      const s = eksSettings(ann);
      let failed = false;
      for (const name of names) {
        const out = runScenario(name as 'tcp-idle' | 'dns-scale', { ipvsTcpTimeoutSec: s.ipvsTcpTimeoutSec, ipvsUdpTimeoutSec: s.ipvsUdpTimeoutSec, conntrackUdpTimeoutSec: s.conntrackUdpTimeoutSec, idleSeconds: Number(o.idle) });
        console.log(`== ${name}: ${out.ok ? 'PASS' : 'FAIL'} (${out.passed} ok, ${out.failed} failed)`);
        for (const line of out.transcript) console.log(`  ${line}`);
        if (out.advice) console.log(`  fix: ${out.advice}`);
        failed ||= !out.ok;
      }
      if (failed) process.exitCode = 1;
    });
}
