// Security groups: ordered ingress/egress rules (first match wins, no match
// drops, as on Tencent), a `default` group per region that pods use unless
// annotated otherwise (docs/tencent/security-groups.md), and a count of bound instances against the
// 2000-per-group quota.
import { InvalidParameter, InvalidParameterValue, ResourceInUse, ResourceNotFound, UnsupportedOperation } from '../errors.js';
import { newId } from '../ids.js';
import { cidrContainsIp, parseCidr, parseIp } from '../ipv4.js';
import type { CloudState } from '../state.js';
import { now } from '../state.js';
import type { SecurityGroup, SecurityGroupView, SgAction, SgProtocol, SgRule, Tags } from '../types.js';
import { checkName, checkTags, clone, mustGet } from './common.js';

export type Direction = 'ingress' | 'egress';
const PROTOCOLS: SgProtocol[] = ['tcp', 'udp', 'icmp', 'all'];
const ACTIONS: SgAction[] = ['ACCEPT', 'DROP'];

export interface CreateSgInput {
  name: string;
  description?: string;
  ingress?: SgRule[];
  egress?: SgRule[];
  tags?: Tags;
  isDefault?: boolean;
}

/** A packet to judge: `peerIp` is the source for ingress, the destination for egress. */
export interface Flow {
  direction: Direction;
  protocol: 'tcp' | 'udp' | 'icmp';
  port?: number;
  peerIp: string;
  /** VPC of the pod, to resolve security-group peers to their members' addresses. */
  vpcId?: string;
}

export interface Verdict {
  action: SgAction;
  /** The rule that decided, absent when nothing matched (implicit drop). */
  securityGroupId?: string;
  ruleIndex?: number;
}

export class SecurityGroupModel {
  constructor(private readonly s: CloudState) {}

  list(): SecurityGroupView[] {
    return this.s.securityGroups.all().map((g) => this.view(g));
  }

  get(id: string): SecurityGroupView {
    return this.view(mustGet(this.s.securityGroups, id));
  }

  defaultGroup(): SecurityGroup | undefined {
    return this.s.securityGroups.all().find((g) => g.isDefault);
  }

  view(g: SecurityGroup): SecurityGroupView {
    return { ...clone(g), instanceCount: this.s.instancesBySg.get(g.id) ?? 0 };
  }

  async create(input: CreateSgInput): Promise<SecurityGroupView> {
    const name = checkName(input.name, 'security group');
    if (name === 'default' && !input.isDefault) throw new InvalidParameterValue('the name default is reserved for the region\'s default security group');
    if (input.description !== undefined && typeof input.description !== 'string') throw new InvalidParameter('description must be a string');
    const ingress = this.checkRules(input.ingress ?? [], 'ingress');
    const egress = this.checkRules(input.egress ?? [], 'egress');
    const id = newId('securitygroup', (x) => this.s.securityGroups.has(x));
    const sg: SecurityGroup = {
      id, name, description: input.description ?? '', isDefault: input.isDefault ?? false,
      ingress, egress, tags: checkTags(input.tags), createdTime: now(),
    };
    await this.s.securityGroups.insert(sg);
    return this.changed(sg, 'created');
  }

  async addRule(id: string, direction: Direction, rule: SgRule, index?: number): Promise<SecurityGroupView> {
    const sg = mustGet(this.s.securityGroups, id);
    const dir = checkDirection(direction);
    const [checked] = this.checkRules([rule], dir);
    const list = sg[dir];
    if (index !== undefined && (!Number.isInteger(index) || index < 0 || index > list.length)) {
      throw new InvalidParameterValue(`index must be from 0 to ${list.length}`);
    }
    await this.s.securityGroups.update(sg, (g) => { g[dir].splice(index ?? g[dir].length, 0, checked); });
    return this.changed(sg, 'updated');
  }

  async deleteRule(id: string, direction: Direction, index: number): Promise<SecurityGroupView> {
    const sg = mustGet(this.s.securityGroups, id);
    const dir = checkDirection(direction);
    if (!Number.isInteger(index) || index < 0 || index >= sg[dir].length) {
      throw new ResourceNotFound(`${dir} rule`, `#${index} of ${id} (it has ${sg[dir].length})`);
    }
    await this.s.securityGroups.update(sg, (g) => { g[dir].splice(index, 1); });
    return this.changed(sg, 'updated');
  }

  /** Replaces the rules of the given directions wholesale. */
  async replaceRules(id: string, rules: { ingress?: SgRule[]; egress?: SgRule[] }): Promise<SecurityGroupView> {
    const sg = mustGet(this.s.securityGroups, id);
    const ingress = rules.ingress === undefined ? undefined : this.checkRules(rules.ingress, 'ingress');
    const egress = rules.egress === undefined ? undefined : this.checkRules(rules.egress, 'egress');
    await this.s.securityGroups.update(sg, (g) => {
      if (ingress) g.ingress = ingress;
      if (egress) g.egress = egress;
    });
    return this.changed(sg, 'updated');
  }

  async delete(id: string): Promise<SecurityGroupView> {
    const sg = mustGet(this.s.securityGroups, id);
    if (sg.isDefault) throw new UnsupportedOperation(`security group ${id} is the region's default group and cannot be deleted`);
    const bound = this.s.instancesBySg.get(id) ?? 0;
    if (bound) throw new ResourceInUse(`security group ${id} is still bound to ${bound} instance${bound === 1 ? '' : 's'}`);
    const referrer = this.s.securityGroups.all().find((g) => g.id !== id && [...g.ingress, ...g.egress].some((r) => r.sgId === id));
    if (referrer) throw new ResourceInUse(`security group ${id} is referenced by the rules of ${referrer.id} (${referrer.name})`);
    const view = this.view(sg);
    await this.s.securityGroups.remove(sg);
    this.s.emit({ kind: 'securitygroup', type: 'deleted', id, object: view });
    return view;
  }

  /** Judges a flow against groups in priority order: the first matching rule of the first group that has one decides. */
  evaluate(sgIds: string[], flow: Flow): Verdict {
    const peer = parseIp(flow.peerIp);
    if (peer === undefined) throw new InvalidParameterValue(`${flow.peerIp} is not an IPv4 address`);
    for (const sgId of sgIds) {
      const sg = mustGet(this.s.securityGroups, sgId);
      const rules = sg[flow.direction];
      for (let i = 0; i < rules.length; i++) {
        if (this.matches(rules[i], flow, peer)) return { action: rules[i].action, securityGroupId: sgId, ruleIndex: i };
      }
    }
    return { action: 'DROP' };
  }

  private matches(r: SgRule, flow: Flow, peer: number): boolean {
    if (r.protocol !== 'all' && r.protocol !== flow.protocol) return false;
    if (!portMatches(r.port, flow.port)) return false;
    if (r.cidr) return cidrContainsIp(parseCidr(r.cidr), peer);
    if (r.sgId) {
      const eniId = flow.vpcId ? this.s.eniAt(flow.vpcId, flow.peerIp) : undefined;
      const eni = eniId ? this.s.enis.get(eniId) : undefined;
      return !!eni && eni.securityGroupIds.includes(r.sgId);
    }
    return false;
  }

  checkRules(rules: unknown, dir: Direction): SgRule[] {
    if (!Array.isArray(rules)) throw new InvalidParameter(`${dir} must be a list of rules`);
    return rules.map((raw, i) => {
      const where = `${dir} rule #${i}`;
      if (typeof raw !== 'object' || raw === null) throw new InvalidParameter(`${where} must be an object`);
      const r = raw as Record<string, unknown>;
      const protocol = String(r.protocol ?? 'all').toLowerCase() as SgProtocol;
      if (!PROTOCOLS.includes(protocol)) throw new InvalidParameterValue(`${where}: protocol ${JSON.stringify(r.protocol)} is not one of ${PROTOCOLS.join(', ')}`);
      const port = String(r.port ?? 'ALL').toUpperCase();
      if (!validPort(port)) throw new InvalidParameterValue(`${where}: port ${JSON.stringify(r.port)} must be ALL, a port like 80, a range like 8000-9000 or a list like 80,443`);
      if ((protocol === 'icmp' || protocol === 'all') && port !== 'ALL') throw new InvalidParameterValue(`${where}: protocol ${protocol} takes port ALL`);
      const action = String(r.action ?? 'ACCEPT').toUpperCase() as SgAction;
      if (!ACTIONS.includes(action)) throw new InvalidParameterValue(`${where}: action ${JSON.stringify(r.action)} must be ACCEPT or DROP`);
      if ((r.cidr === undefined) === (r.sgId === undefined)) throw new InvalidParameter(`${where}: give exactly one of cidr and sgId`);
      const rule: SgRule = { protocol, port, action };
      if (r.cidr !== undefined) rule.cidr = parseCidr(r.cidr, `${where} cidr`).text;
      if (r.sgId !== undefined) {
        if (typeof r.sgId !== 'string' || !this.s.securityGroups.has(r.sgId)) throw new InvalidParameterValue(`${where}: security group ${String(r.sgId)} does not exist`);
        rule.sgId = r.sgId;
      }
      if (r.description !== undefined) rule.description = String(r.description);
      return rule;
    });
  }

  private changed(sg: SecurityGroup, type: 'created' | 'updated'): SecurityGroupView {
    const view = this.view(sg);
    this.s.emit({ kind: 'securitygroup', type, id: sg.id, object: view });
    return view;
  }
}

function checkDirection(d: unknown): Direction {
  if (d !== 'ingress' && d !== 'egress') throw new InvalidParameterValue(`direction must be ingress or egress, got ${JSON.stringify(d)}`);
  return d;
}

function validPort(p: string): boolean {
  if (p === 'ALL') return true;
  return p.split(',').every((part) => {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part);
    if (!m) return false;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    return lo >= 1 && hi <= 65535 && lo <= hi;
  });
}

function portMatches(spec: string, port: number | undefined): boolean {
  if (spec === 'ALL') return true;
  if (port === undefined) return false;
  return spec.split(',').some((part) => {
    const [lo, hi] = part.split('-').map(Number);
    return port >= lo && port <= (hi ?? lo);
  });
}
