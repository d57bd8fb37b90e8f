// `nodeless podeip config`: the settings of a cluster's pod EIP controller
// (docs/alibaba/pod-eip.md), kept in ConfigMap kube-system/ack-extend-network-controller
// of that cluster and written through its Kubernetes API, as `kubectl` would.
// Without flags it prints them; with flags it sets those and prints the result.
import type { Command } from 'commander';
import { DEFAULT_PODEIP_SETTINGS, parsePodEipConfig, PODEIP_CONFIG, type PodEipSettings } from '../clouds/alibaba/controller-config.js';
import { formatTable } from '../cloud/columns.js';
import { CloudCliError, leaf, showDone } from './common.js';
import { connect, request } from './connect.js';

const FLAGS: [keyof PodEipSettings, string, string][] = [
  ['disabled', '--disabled <bool>', 'the controller is not installed: EIP annotations do nothing'],
  ['injectReadinessGate', '--inject-readiness-gate <bool>', 'a webhook adds the readiness gate k8s.aliyun.com/eip to EIP pods'],
  ['ramPermission', '--ram-permission <bool>', 'the controller\'s RAM role may call the EIP API (false: Forbidden.RAM)'],
  ['bindAfterRollout', '--bind-after-rollout <bool>', 'fix A: a new pod gets the static EIP of its workload\'s old pod once that pod is gone'],
];

const bool = (flag: string, v: string): 'true' | 'false' => {
  if (v === 'true' || v === 'false') return v;
  throw new CloudCliError('InvalidParameter', `${flag} must be true or false, got ${JSON.stringify(v)}`);
};

export function registerPodEipCommands(program: Command): void {
  const podeip = program.command('podeip').description('the pod EIP controller (ack-extend-network-controller) of a cluster');
  const cmd = leaf(podeip, 'config', 'show or set the controller\'s settings (ConfigMap kube-system/ack-extend-network-controller)', async (o) => {
    const conn = connect(o.home);
    const base = `${o.cluster && o.cluster !== 'default' ? `/clusters/${encodeURIComponent(o.cluster)}` : ''}/api/v1/namespaces/${PODEIP_CONFIG.namespace}/configmaps`;
    const set: Record<string, string> = {};
    for (const [key, flag] of FLAGS) {
      const opt = o[key];
      if (opt !== undefined) set[key] = bool(flag.split(' ')[0], opt);
    }
    const fail = (res: { status: number; body: any; text: string }) => {
      throw new CloudCliError(typeof res.body?.reason === 'string' && res.body.reason ? res.body.reason : `HTTP${res.status}`, typeof res.body?.message === 'string' ? res.body.message : res.text.trim());
    };
    let res = await request(conn, 'GET', `${base}/${PODEIP_CONFIG.name}`);
    if (res.status !== 200 && res.status !== 404) fail(res);
    let data: Record<string, string> | undefined = res.status === 200 ? res.body.data : undefined;
    if (Object.keys(set).length) {
      res = res.status === 404
        ? await request(conn, 'POST', base, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: PODEIP_CONFIG.name, namespace: PODEIP_CONFIG.namespace }, data: set })
        : await request(conn, 'PATCH', `${base}/${PODEIP_CONFIG.name}`, { data: set }, 'application/merge-patch+json');
      if (res.status >= 300) fail(res);
      data = res.body.data;
    }
    const settings = parsePodEipConfig(data);
    const rows = FLAGS.map(([key]) => ({ setting: key, value: String(settings[key]), source: data?.[key] !== undefined ? 'configmap' : 'default' }));
    showDone(o, settings, formatTable([
      { header: 'SETTING', get: (r: any) => r.setting }, { header: 'VALUE', get: (r: any) => r.value }, { header: 'SOURCE', get: (r: any) => r.source },
    ], rows));
  }).option('--cluster <name>', 'cluster (default: default)');
  for (const [, flag, help] of FLAGS) cmd.option(flag, `${help} (default ${DEFAULT_PODEIP_SETTINGS[FLAGS.find((f) => f[1] === flag)![0]]})`);
}
