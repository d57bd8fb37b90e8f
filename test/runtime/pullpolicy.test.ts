// imagePullPolicy as the kubelet's image manager applies it (docs/lifecycle-hooks.md,
// "Images"), through kubectl on simulated pods: Never with an image the pod's
// disk does not have waits with ErrImageNeverPull in the kubelet's words;
// Always pulls at every start, restarts included; IfNotPresent pulls once and
// finds the image at the restart. The process runtime keeps the same account
// of the images on a pod's disk: Never without the image is ErrImageNeverPull
// there too; an image a deleted pod of the same reuse key pulled, or one
// `pre-pulled`, is found.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kc, startCli, waitFor, waitForReadyNode, type Running } from '../helpers/nodeless.js';

let n: Running;
before(async () => {
  n = await startCli(undefined, ['--allow-process-runtime']);
  await waitForReadyNode(n);
});
after(async () => {
  if (n) kc(n, ['delete', 'pods', '--all', '--grace-period=0', '--force']);
  await n?.stop();
});

const events = (name: string) => JSON.parse(kc(n, ['get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'json'])).items as any[];
const status = (name: string) => JSON.parse(kc(n, ['get', 'pod', name, '-o', 'json'])).status?.containerStatuses?.[0];

describe('imagePullPolicy', () => {
  it('Never: an image that is not there is ErrImageNeverPull, the container waits', async () => {
    kc(n, ['run', 'never', '--image=registry.example/app:1.0', '--image-pull-policy=Never']);
    const w = await waitFor('never waiting with ErrImageNeverPull', () => status('never')?.state?.waiting?.reason === 'ErrImageNeverPull' && status('never').state.waiting, 60_000, 300);
    assert.equal(w.message, 'Container image "registry.example/app:1.0" is not present with pull policy of Never');
    const e = await waitFor('the ErrImageNeverPull event', () => events('never').find((x) => x.reason === 'ErrImageNeverPull'), 60_000, 300);
    assert.deepEqual([e.type, e.message], ['Warning', 'Container image "registry.example/app:1.0" is not present with pull policy of Never']);
    assert.equal(events('never').some((x) => x.reason === 'Pulling'), false);
    assert.match(kc(n, ['get', 'pod', 'never']), /ErrImageNeverPull/);
  });

  it('Always pulls at each start; IfNotPresent finds the image at the restart', async () => {
    for (const [name, image, policy] of [['always', 'nginx:1.27', 'Always'], ['ifnp', 'nginx:1.27', 'IfNotPresent']]) {
      kc(n, ['run', name, `--image=${image}`, `--image-pull-policy=${policy}`, '--annotations=nodeless.dev/simulate=exit=1 after=1s']);
    }
    const restarted = (name: string) => waitFor(`${name} restarted`, () => status(name)?.restartCount >= 1, 60_000, 300);
    await restarted('always');
    await restarted('ifnp');
    const count = (name: string, reason: string, text: string) => events(name).filter((e) => e.reason === reason && e.message.includes(text)).reduce((a, e) => a + (e.count ?? 1), 0);
    await waitFor('always pulled twice', () => count('always', 'Pulling', 'Pulling image "nginx:1.27"') >= 2, 60_000, 300);
    assert.ok(count('always', 'Pulled', 'Successfully pulled image "nginx:1.27"') >= 2);
    assert.equal(count('always', 'Pulled', 'already present'), 0);
    await waitFor('ifnp found the image', () => count('ifnp', 'Pulled', 'Container image "nginx:1.27" already present on machine') >= 1, 60_000, 300);
    assert.equal(count('ifnp', 'Pulling', 'Pulling image'), 1);
  });
});

describe('imagePullPolicy in the process runtime', () => {
  const run = (name: string, policy: string, ...annotations: string[]) => kc(n, ['run', name, '--image=busybox:1.36', `--image-pull-policy=${policy}`,
    '--annotations=nodeless.dev/runtime=process', ...annotations.map((a) => `--annotations=${a}`), '--', 'sleep', '3600']);
  const running = (name: string) => waitFor(`${name} running`, () => status(name)?.state?.running, 90_000, 300);
  const pulls = (name: string) => events(name).filter((e) => e.reason === 'Pulling' || e.reason === 'Pulled').map((e) => e.message);

  it('Never: an image no pod pulled is ErrImageNeverPull; pre-pulled, it is there', async () => {
    run('pnever', 'Never');
    const w = await waitFor('pnever waiting with ErrImageNeverPull', () => status('pnever')?.state?.waiting?.reason === 'ErrImageNeverPull' && status('pnever').state.waiting, 90_000, 300);
    assert.equal(w.message, 'Container image "busybox:1.36" is not present with pull policy of Never');
    const e = await waitFor('the ErrImageNeverPull event', () => events('pnever').find((x) => x.reason === 'ErrImageNeverPull'), 60_000, 300);
    assert.equal(e.type, 'Warning');

    run('ppre', 'Never', 'nodeless.dev/simulate=pre-pulled');
    run('palways', 'Always', 'nodeless.dev/simulate=pre-pulled');
    await running('ppre');
    assert.deepEqual(pulls('ppre'), ['Container image "busybox:1.36" already present on machine']);
    // Always asks the registry even for an image the disk has.
    await running('palways');
    const a = pulls('palways');
    assert.ok(a.includes('Pulling image "busybox:1.36"') && a.some((m) => /^Successfully pulled image "busybox:1\.36" in \S+ \(\S+ including waiting\)\. Image size: \d+ bytes\.$/.test(m)), JSON.stringify(a));
    kc(n, ['delete', 'pod', 'pnever', 'ppre', 'palways', '--wait=false']);
  });

  it('an image pulled by an earlier pod of the same reuse key is found by a Never pod', async () => {
    const key = 'eks.tke.cloud.tencent.com/cbs-reuse-key=busybox';
    run('pfirst', 'IfNotPresent', key);
    await running('pfirst');
    const first = pulls('pfirst');
    assert.ok(first.includes('Pulling image "busybox:1.36"') && first.some((m) => m.startsWith('Successfully pulled image "busybox:1.36" in ')), JSON.stringify(first));
    kc(n, ['delete', 'pod', 'pfirst', '--grace-period=1']);
    run('psecond', 'Never', key);
    await running('psecond');
    assert.deepEqual(pulls('psecond'), ['Container image "busybox:1.36" already present on machine']);
  });
});
