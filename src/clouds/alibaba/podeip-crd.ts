// The PodEIP CustomResourceDefinition (alibabacloud.com/v1beta1), installed
// into every cluster at start so `kubectl get podeips` works as on ACK
// (schema per terway's podeip_types.go, see docs/alibaba/pod-eip.md).
import type { KubeObject } from '../../api/types.js';
import type { Client } from '../../client/types.js';
import { refs } from '../../client/types.js';
import { deepCopy } from '../../api/deepcopy.js';

const str = { type: 'string' };

export const PODEIP_CRD: KubeObject = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'podeips.alibabacloud.com' },
  spec: {
    group: 'alibabacloud.com',
    scope: 'Namespaced',
    names: { plural: 'podeips', singular: 'podeip', kind: 'PodEIP', listKind: 'PodEIPList', shortNames: ['podeip'] },
    versions: [{
      name: 'v1beta1', served: true, storage: true,
      subresources: { status: {} },
      additionalPrinterColumns: [
        { name: 'EIP', type: 'string', jsonPath: '.status.eipAddress' },
        { name: 'Allocation', type: 'string', jsonPath: '.spec.allocationID' },
        { name: 'Type', type: 'string', jsonPath: '.spec.allocationType.type' },
        { name: 'Status', type: 'string', jsonPath: '.status.status' },
        { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
      ],
      schema: {
        openAPIV3Schema: {
          type: 'object',
          properties: {
            apiVersion: str, kind: str, metadata: { type: 'object' },
            spec: {
              type: 'object', required: ['allocationID', 'allocationType'],
              properties: {
                allocationID: str, bandwidthPackageID: str,
                allocationType: {
                  type: 'object', required: ['releaseStrategy'],
                  properties: {
                    type: { type: 'string', enum: ['Auto', 'Static'], default: 'Auto' },
                    releaseStrategy: { type: 'string', enum: ['Follow', 'TTL', 'Never'] },
                    releaseAfter: str,
                  },
                },
              },
            },
            status: {
              type: 'object',
              properties: {
                networkInterfaceID: str, privateIPAddress: str, eipAddress: str, isp: str, internetChargeType: str,
                resourceGroupID: str, name: str, publicIpAddressPoolID: str, status: str, bandwidthPackageID: str,
                podLastSeen: { type: 'string', format: 'date-time' }, bandwidth: str, period: { type: 'integer' },
              },
            },
          },
        },
      },
    }],
  },
};

/** Creates the CRD unless present (idempotent across restarts). */
export async function installPodEipCrd(client: Client): Promise<void> {
  if (await client.tryGet(refs.crds, undefined, PODEIP_CRD.metadata.name!)) return;
  try {
    await client.create(refs.crds, deepCopy(PODEIP_CRD));
  } catch (e) {
    if ((e as { code?: number }).code !== 409) throw e;
  }
}
