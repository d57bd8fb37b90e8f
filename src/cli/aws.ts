// `nodeless aws ipamd NODE`: the VPC CNI's view of one EKS node (docs/aws/vpc-cni.md), as ipamd's
// introspection endpoint shows it on a real node: its ENIs, their secondary addresses and /28 prefixes,
// the warm pool and which pod holds which address; -o json|yaml gives the whole view.
import type { Command } from 'commander';
import YAML from 'yaml';
import { api, leaf } from './common.js';
import { CliError } from './connect.js';

function text(v: any): string {
  const s = v.settings;
  const p = v.pool;
  const lines = [
    `Node ${v.node} (${v.instanceId}, ${v.instanceType}: up to ${p.maxEnis} ENIs × ${p.addressesPerEni} addresses)`,
    `Settings: WARM_ENI_TARGET=${s.warmEniTarget} WARM_IP_TARGET=${s.warmIpTarget || 'unset'} MINIMUM_IP_TARGET=${s.minimumIpTarget || 'unset'} `
      + `ENABLE_PREFIX_DELEGATION=${s.prefixDelegation} WARM_PREFIX_TARGET=${s.warmPrefixTarget} AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG=${s.customNetworking}`,
    `Pool: ${p.total} addresses, ${p.assigned} assigned, ${p.available} warm${s.prefixDelegation ? ` (${p.prefixes} prefixes, ${p.freePrefixes} free)` : ''}`,
    '',
  ];
  for (const e of v.enis) {
    const what = e.prefixes.length ? `prefixes ${e.prefixes.join(' ')}` : `${e.secondaryIps.length} secondary addresses`;
    lines.push(`ENI ${e.id} device ${e.deviceIndex}${e.primary ? ' (primary)' : ''} subnet ${e.subnetId} ${e.primaryIp}: ${e.servesPods ? what : 'no pod addresses'}`);
    for (const a of e.assigned) lines.push(`  ${a.ip.padEnd(15)} ${a.pod}`);
  }
  if (v.log.length) {
    lines.push('', 'Recent ipamd messages:');
    for (const l of v.log.slice(-10)) lines.push(`  ${l.at} ${l.level} ${l.msg}${l.count ? ` (×${l.count})` : ''}`);
  }
  return lines.join('\n');
}

export function registerAwsCommands(program: Command): void {
  const aws = program.command('aws').description('AWS (EKS) tools');
  leaf(aws, 'ipamd <node>', 'the VPC CNI (ipamd) of an EKS node: ENIs, secondary addresses, prefixes, warm pool, pod assignments', async (o, node) => {
    // An empty name would ask for the collection, which the cloud API does not serve.
    if (!String(node).trim()) throw new CliError('ipamd needs a node name, e.g. ip-172-31-0-8.ec2.internal (kubectl get nodes)');
    const view = await api(o, 'GET', `/ipamd/${encodeURIComponent(node)}`);
    const f = o.output === 'yml' ? 'yaml' : o.output;
    console.log(f === 'json' ? JSON.stringify(view, null, 2) : f === 'yaml' ? YAML.stringify(view).trimEnd() : text(view));
  });
}
