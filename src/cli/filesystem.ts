// `nodeless cloud cfs …` and `nodeless cloud nfs …`: file systems pods mount
// over NFS (docs/tencent/nfs-volumes.md). CFS is the managed one (a mount target in a subnet);
// nfs is a self-managed server with its /etc/exports, which `update`
// rewrites like editing the file and running `exportfs -ra`.
import type { Command } from 'commander';
import { COLUMNS, formatTable } from '../cloud/columns.js';
import { api, leaf, showDone, showList } from './common.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

function common(cmd: Command, type: 'cfs' | 'nfs', what: string): void {
  leaf(cmd, 'list', `list ${what}s`, async (o) => {
    const qs = new URLSearchParams({ type });
    if (o.vpc) qs.set('vpcId', o.vpc);
    showList(o, 'filesystem', (await api(o, 'GET', `/filesystems?${qs}`)).items);
  }).alias('ls').option('--vpc <id>', 'only those of this VPC');
  leaf(cmd, 'get <id>', `show one ${what}`, async (o, id) => {
    const res = await api(o, 'GET', `/filesystems/${encodeURIComponent(id)}`);
    showDone(o, res, formatTable(COLUMNS.filesystem, [res]));
  });
  leaf(cmd, 'delete <id>', `delete a ${what} (frees its address)`, async (o, id) => {
    const res = await api(o, 'DELETE', `/filesystems/${encodeURIComponent(id)}`);
    showDone(o, res, `${id} deleted`);
  }).alias('rm');
}

export function registerFileSystemCommands(cloud: Command): void {
  const cfs = cloud.command('cfs').description('CFS file systems (managed NFS: a mount target in a subnet, open to the whole VPC)');
  common(cfs, 'cfs', 'CFS file system');
  leaf(cfs, 'create', 'create a CFS file system; prints its id and mount target address', async (o) => {
    const res = await api(o, 'POST', '/filesystems', { type: 'cfs', subnetId: o.subnet, address: o.address, name: o.name });
    showDone(o, res, `${res.id} ${res.address}`);
  }).requiredOption('--subnet <id>', 'subnet of the mount target').option('--address <ip>', 'mount target IP (default: the next free one)')
    .option('--name <name>', 'name');
  leaf(cfs, 'update <id>', 'rename a CFS file system', async (o, id) => {
    const res = await api(o, 'PATCH', `/filesystems/${encodeURIComponent(id)}`, { name: o.name });
    showDone(o, res, `${id} updated`);
  }).requiredOption('--name <name>', 'new name');

  const nfs = cloud.command('nfs').description('self-managed NFS servers in a VPC, with their /etc/exports');
  common(nfs, 'nfs', 'NFS server');
  leaf(nfs, 'create', "add an NFS server, e.g. --vpc vpc-… --address 10.0.1.50 --export '/data 10.0.0.0/16(rw,insecure)'; prints its id and address", async (o) => {
    const res = await api(o, 'POST', '/filesystems', { type: 'nfs', vpcId: o.vpc, subnetId: o.subnet, address: o.address, name: o.name, exports: o.export ?? [] });
    showDone(o, res, `${res.id} ${res.address}`);
  }).option('--vpc <id>', 'VPC (with --address: the subnet is the one holding it)').option('--subnet <id>', 'subnet of the server')
    .option('--address <ip>', 'server IP (default: the subnet\'s next free one)').option('--name <name>', 'name')
    .option('--export <line>', "an /etc/exports line, e.g. '/data 10.0.0.0/16(rw,insecure)' (repeatable)", collect);
  leaf(nfs, 'update <id>', "replace the server's exports (like editing /etc/exports and exportfs -ra) or rename it", async (o, id) => {
    if (!o.export && !o.clearExports && o.name === undefined) throw new Error('nothing to change: give --export, --clear-exports or --name');
    const exports = o.clearExports ? [] : o.export;
    const res = await api(o, 'PATCH', `/filesystems/${encodeURIComponent(id)}`, { exports, name: o.name });
    showDone(o, res, `${id} updated`);
  }).option('--export <line>', 'an /etc/exports line (repeatable; replaces all exports)', collect)
    .option('--clear-exports', 'export nothing').option('--name <name>', 'new name');
}
