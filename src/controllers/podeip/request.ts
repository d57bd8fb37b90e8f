// A pod's EIP request in either dialect: Alibaba's annotations
// (src/clouds/alibaba/pod-eip.ts) or Tencent's (src/clouds/tencent/pod-eip.ts).
import type { KubeObject } from '../../api/types.js';
import type { EipRequest } from '../../cloud/types.js';
import { alibabaEipRequest, alibabaWantsEip } from '../../clouds/alibaba/pod-eip.js';
import { tencentEipRequest, tencentWantsEip } from '../../clouds/tencent/pod-eip.js';

/** Whether the pod asks for an EIP at all (either dialect). */
export function wantsEip(pod: KubeObject): boolean {
  return alibabaWantsEip(pod) || tencentWantsEip(pod);
}

/** Reads and validates the annotations; throws an Error whose message names the bad value. */
export function eipRequest(pod: KubeObject): EipRequest {
  if (tencentWantsEip(pod)) {
    // One EIP per pod: two dialects asking at once would be two answers to one question.
    if (alibabaWantsEip(pod)) throw new Error('the pod asks for an EIP in both the Alibaba (k8s.aliyun.com/) and the Tencent (eks.tke.cloud.tencent.com/) annotations; keep one');
    return tencentEipRequest(pod)!;
  }
  return alibabaEipRequest(pod);
}
