// Cloud load balancers for Services of type LoadBalancer (docs/services.md): the cloud's
// product (Tencent CLB, Alibaba SLB, AWS NLB), public with an EIP or internal with an address of
// a chosen subnet, counted against load-balancers-per-region. The service controller
// (src/controllers/servicelb.ts) makes and frees them; people list them with
// `nodeless cloud lb list` or GET /cloud/v1/loadbalancers.
import type { Store } from '../../store/types.js';
import { newId } from '../ids.js';
import type { CloudState } from '../state.js';
import { now, Table } from '../state.js';
import type { LoadBalancer } from '../types.js';
import { clone, mustGet } from './common.js';
import type { QuotaModel } from './quota.js';
import type { EipModel } from './eip.js';
import type { EniModel } from './eni.js';

export interface CreateLoadBalancerInput {
  name: string;
  product: string;
  cluster: string;
  service: string;
  serviceUid: string;
  /** Internal: an address of this subnet; absent: public, with an EIP. */
  subnetId?: string;
}

export class LoadBalancerModel {
  readonly table: Table<LoadBalancer>;

  constructor(private readonly s: CloudState, private readonly quotas: QuotaModel, private readonly eips: EipModel, private readonly enis: EniModel) {
    this.table = new Table<LoadBalancer>('loadbalancer', s.store);
    quotas.loadBalancerCount = () => this.table.size;
  }

  async load(store: Store = this.s.store): Promise<void> {
    await this.table.loadAll(store);
  }


  list(filter: { cluster?: string } = {}): LoadBalancer[] {
    return this.table.all().filter((l) => !filter.cluster || l.cluster === filter.cluster).map(clone);
  }

  get(id: string): LoadBalancer { return clone(mustGet(this.table, id)); }

  /** The load balancer of a Service (by its uid), if one was made. */
  findByService(cluster: string, serviceUid: string): LoadBalancer | undefined {
    const l = this.table.all().find((x) => x.cluster === cluster && x.serviceUid === serviceUid);
    return l && clone(l);
  }

  async create(input: CreateLoadBalancerInput): Promise<LoadBalancer> {
    this.quotas.check('load-balancers-per-region', this.table.size, `region ${this.s.region}`);
    const id = newId('loadbalancer', (x) => this.table.has(x));
    let address: string;
    let eipId: string | undefined;
    let eniId: string | undefined;
    if (input.subnetId) {
      // The VIP of an internal load balancer is an address of its subnet, held like an instance's.
      const eni = await this.enis.allocateNode({ subnetId: input.subnetId, node: id, cluster: input.cluster });
      address = eni.primaryIp;
      eniId = eni.id;
    } else {
      const eip = await this.eips.allocate({ name: id, description: `load balancer ${id} of service ${input.service}` });
      address = eip.address;
      eipId = eip.id;
    }
    const lb: LoadBalancer = {
      id, name: input.name, product: input.product, scheme: input.subnetId ? 'internal' : 'internet', address,
      ...(eipId ? { eipId } : {}), ...(eniId ? { eniId, subnetId: input.subnetId } : {}),
      cluster: input.cluster, service: input.service, serviceUid: input.serviceUid, createdTime: now(),
    };
    await this.table.insert(lb);
    this.s.emit({ kind: 'loadbalancer', type: 'created', id, object: clone(lb) });
    return clone(lb);
  }

  /** Deletes the load balancer and frees its address (the EIP released, the subnet address returned). */
  async delete(id: string): Promise<LoadBalancer> {
    const lb = mustGet(this.table, id);
    if (lb.eipId) await this.eips.release(lb.eipId).catch(() => undefined);
    if (lb.eniId) await this.enis.release(lb.eniId).catch(() => undefined);
    await this.table.remove(lb);
    this.s.emit({ kind: 'loadbalancer', type: 'deleted', id, object: clone(lb) });
    return clone(lb);
  }
}
