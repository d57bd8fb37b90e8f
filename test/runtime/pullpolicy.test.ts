// imagePullPolicy as the kubelet's image manager applies it (docs/lifecycle-hooks.md,
// "Images"), through kubectl on simulated pods: Never with an image the pod's
// disk does not have waits with ErrImageNeverPull in the kubelet's words;
// Always pulls at every start, restarts included; IfNotPresent pulls once and
// finds the image at the restart.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kc, startCli, waitFor, waitForReadyNode, type Running } from '../helpers/nodeless.js';

let n: Running;
before(async () => {
  n = await startCli();
  await waitForReadyNode(n);
});
after(async () => { await n?.stop(); });

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
