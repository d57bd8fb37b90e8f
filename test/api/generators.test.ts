// kubectl's generator commands send protobuf bodies through client-go's typed clients.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kc, kubectl, startCli, type Running } from '../helpers/nodeless.js';

let n: Running;
before(async () => { n = await startCli(); });
after(async () => { await n?.stop(); });

describe('kubectl create generators (protobuf bodies)', () => {
  it('creates configmaps, secrets, namespaces and service accounts', () => {
    assert.match(kc(n, ['create', 'configmap', 'gen', '--from-literal=a=b', '--from-literal=c=d']), /configmap\/gen created/);
    assert.deepEqual(JSON.parse(kc(n, ['get', 'cm', 'gen', '-o', 'jsonpath={.data}'])), { a: 'b', c: 'd' });
    assert.match(kc(n, ['create', 'secret', 'generic', 'sec', '--from-literal=password=s3cret']), /secret\/sec created/);
    assert.equal(Buffer.from(kc(n, ['get', 'secret', 'sec', '-o', 'jsonpath={.data.password}']), 'base64').toString(), 's3cret');
    assert.match(kc(n, ['create', 'namespace', 'team-a']), /namespace\/team-a created/);
    assert.match(kc(n, ['create', 'serviceaccount', 'robot', '-n', 'team-a']), /serviceaccount\/robot created/);
    assert.match(kc(n, ['create', 'cm', 'dry', '--from-literal=x=y', '--dry-run=server']), /server dry run/);
    assert.notEqual(kubectl(n, ['get', 'cm', 'dry']).code, 0);
    const bad = kubectl(n, ['create', 'cm', 'Bad_Name']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /Invalid value: "Bad_Name"/);
  });
});
