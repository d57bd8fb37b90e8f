// The pieces of kwok Stages (docs/stages.md) without a server: the Go template
// subset, the jq paths, and a Stage's selector, delay and weight.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GoTemplate, TemplateError } from '../../src/util/gotemplate.js';
import { JqQuery } from '../../src/util/jqpath.js';
import YAML from 'yaml';
import { compileStage, kwokQuote, kwokYaml, pickStage, stageDelay, stageMatches } from '../../src/api/stages.js';

const tpl = (src: string, data: unknown, funcs = {}) => new GoTemplate(src).execute(data, funcs);
const pod: any = {
  metadata: { name: 'p', annotations: { 'x/delay': '2s' }, ownerReferences: [{ kind: 'ReplicaSet' }, { kind: 'Job' }] },
  spec: { containers: [{ name: 'a', image: 'i1' }, { name: 'b', image: 'i2', restartPolicy: 'Always' }] },
  status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'Initialized', status: 'True' }], containerStatuses: [{ name: 'a', ready: true }] },
};

describe('Go templates (kwok subset)', () => {
  it('fields, variables, range with index, index, or, eq, if/else if/else, trimming', () => {
    assert.equal(tpl('{{ .metadata.name }}-{{ $x := "v" }}{{ $x }}', pod), 'p-v');
    assert.equal(tpl('{{ range $i, $c := .spec.containers }}{{ $i }}={{ $c.name }};{{ end }}', pod), '0=a;1=b;');
    assert.equal(tpl('{{ $root := . }}{{ range $i, $c := .spec.containers }}{{ with index $root.status.containerStatuses $i }}{{ .ready }}{{ else }}none{{ end }},{{ end }}', pod), 'true,none,');
    assert.equal(tpl('{{ range .spec.containers }}{{ if eq .restartPolicy "Always" }}S{{ else if eq .name "a" }}A{{ else }}?{{ end }}{{ end }}', pod), 'AS');
    assert.equal(tpl('{{ or .spec.hostNetwork false }} {{ or .nothing "d" }}', pod), 'false d');
    assert.equal(tpl('a  {{- " b " -}}  c', {}), 'a b c');
    assert.equal(tpl('{{ range .spec.containers }}{{ .name }}{{ break }}{{ end }}', pod), 'a');
    assert.equal(tpl('{{ range .none }}x{{ else }}empty{{ end }}', pod), 'empty');
    assert.equal(tpl('{{ $n := 0 }}{{ range .spec.containers }}{{ $n = add1 $n }}{{ end }}{{ $n }}', pod), '2');
    assert.equal(tpl('{{ .missing.deep }}|{{ len .spec.containers }}|{{ printf "%s:%d" "x" 3 }}', pod), '|2|x:3');
  });

  it('define/template with dict, functions given by the caller, pipes', () => {
    const src = '{{ define "c" }}{{ .root.metadata.name }}/{{ .c.name }}{{ end }}{{ range .spec.containers }}{{ template "c" dict "c" . "root" $ }} {{ end }}';
    assert.equal(tpl(src, pod), 'p/a p/b ');
    assert.equal(tpl('{{ Now | Quote }}', {}, { Now: () => 'T', Quote: (s: string) => JSON.stringify(s) }), '"T"');
    assert.equal(tpl('{{ Quote (Up .metadata.name) }}', pod, { Up: (s: string) => s.toUpperCase(), Quote: (s: string) => `'${s}'` }), "'P'");
  });

  it('errors say what is wrong', () => {
    assert.throws(() => new GoTemplate('{{ if .a }}x'), /not closed by \{\{end\}\}/);
    assert.throws(() => new GoTemplate('{{ end }}'), /unexpected \{\{end\}\}/);
    assert.throws(() => new GoTemplate('{{ .a'), /unclosed action/);
    assert.throws(() => tpl('{{ Nope }}', {}), /function "Nope" not defined/);
    assert.throws(() => tpl('{{ $y }}', {}), /undefined variable "\$y"/);
  });

  it('a hostile template fails with a TemplateError, never exhausting memory or the stack', () => {
    // Each of these used to allocate gigabytes, block for seconds, or overflow the stack.
    assert.throws(() => tpl('{{ range 30000000 }}{{ end }}', {}), /template too large/);
    assert.throws(() => tpl('{{ $x := "aaaaaaaaaaaaaaaa" }}{{ range 26 }}{{ $x = print $x $x }}{{ end }}{{ len $x }}', {}), /template too large/);
    assert.throws(() => tpl('{{ define "a" }}{{ template "a" . }}{{ end }}{{ template "a" . }}', {}), /exceeded maximum template depth/);
    assert.throws(() => new GoTemplate(`{{ ${'('.repeat(100_000)}1${')'.repeat(100_000)} }}`), TemplateError);
    assert.throws(() => tpl('{{ range 1.5 }}x{{ end }}', {}), /range can't iterate over 1.5/);
    assert.equal(tpl('{{ range 3 }}{{ . }}{{ end }}{{ range -1 }}x{{ else }}none{{ end }}', {}), '012none');
  });
});

describe('jq paths (kwok subset)', () => {
  it('paths, iteration, keys with slashes, select', () => {
    assert.deepEqual(new JqQuery('.metadata.name').values(pod), ['p']);
    assert.deepEqual(new JqQuery('.metadata.ownerReferences.[].kind').values(pod), ['ReplicaSet', 'Job']);
    assert.deepEqual(new JqQuery('.metadata.annotations["x/delay"]').values(pod), ['2s']);
    assert.deepEqual(new JqQuery('.status.conditions.[] | select( .type == "Initialized" ) | .status').values(pod), ['True']);
    assert.deepEqual(new JqQuery('.status.containerStatuses.[].state.running.startedAt').values(pod), []);
    assert.deepEqual(new JqQuery('.status.nothing.[].x').values(pod), [], 'iterating what is not there is nothing');
    assert.throws(() => new JqQuery('status'), /expected a path starting with "\."/);
    assert.throws(() => new JqQuery('.a | select(.b > 1)'), /select\(\) supports PATH == VALUE/);
  });
});

describe('Stage selector, delay, weight', () => {
  const stage = (spec: object) => { const r = compileStage({ metadata: { name: 's' }, spec: { resourceRef: { apiGroup: 'v1', kind: 'Pod' }, ...spec } }); assert.deepEqual(r.errors, []); return r.stage!; };
  it('matchLabels, matchAnnotations, In/NotIn/Exists/DoesNotExist', () => {
    assert.equal(stageMatches(stage({ selector: { matchAnnotations: { 'x/delay': '2s' } } }), pod), true);
    assert.equal(stageMatches(stage({ selector: { matchLabels: { app: 'x' } } }), pod), false);
    const expr = (key: string, operator: string, values?: string[]) => stageMatches(stage({ selector: { matchExpressions: [{ key, operator, values }] } }), pod);
    assert.equal(expr('.metadata.ownerReferences.[].kind', 'In', ['Job']), true);
    assert.equal(expr('.metadata.ownerReferences.[].kind', 'NotIn', ['Job']), false);
    assert.equal(expr('.metadata.deletionTimestamp', 'DoesNotExist'), true);
    assert.equal(expr('.status.conditions', 'Exists'), true);
    // kwok's newer files wrap expressions in jq:
    assert.equal(stageMatches(stage({ selector: { matchExpressions: [{ jq: { key: '.metadata.name', operator: 'In', values: ['p'] } }] } }), pod), true);
  });
  it('delay with jitter (uniform between the two), durationFrom, weight', () => {
    const s = stage({ delay: { durationMilliseconds: 1000, jitterDurationMilliseconds: 5000 } });
    assert.equal(stageDelay(s, pod, 0, () => 0), 1000);
    assert.equal(stageDelay(s, pod, 0, () => 0.5), 3000);
    const f = stage({ delay: { durationMilliseconds: 1000, durationFrom: { expressionFrom: '.metadata.annotations["x/delay"]' } } });
    assert.equal(stageDelay(f, pod, 0, () => 0), 2000);
    const a = { ...stage({ weight: 1 }), name: 'a' };
    const b = { ...stage({ weight: 3 }), name: 'b' };
    assert.equal(pickStage([a, b], pod, () => 0.1)?.name, 'a');
    assert.equal(pickStage([a, b], pod, () => 0.5)?.name, 'b');
  });
  it('a patch root naming an object prototype is refused', () => {
    for (const root of ['__proto__', 'constructor', 'prototype']) {
      const r = compileStage({ metadata: { name: 's' }, spec: { resourceRef: { apiGroup: 'v1', kind: 'Pod' }, next: { patches: [{ type: 'merge', root, template: 'x: "1"' }] } } });
      assert.deepEqual(r.errors.map((e) => e.field), ['spec.next.patches[0].root']);
    }
  });
});

describe('kwok\'s template functions', () => {
  it('Quote and YAML as kwok renders them (node-initialize\'s capacity block)', () => {
    assert.equal(kwokQuote('a"b'), '"a\\"b"');
    assert.equal(kwokQuote(3), '"3"');
    assert.equal(kwokQuote(undefined), '"null"');
    const src = 'capacity:\n{{ with .status.capacity }}\n{{ YAML . 1 }}\n{{ else }}\n  cpu: 1k\n{{ end }}\nphase: Running\n';
    const render = (status: object) => YAML.parse(new GoTemplate(src).execute({ status }, { YAML: kwokYaml }));
    assert.deepEqual(render({ capacity: { cpu: '4', pods: '110' } }), { capacity: { cpu: '4', pods: '110' }, phase: 'Running' });
    assert.deepEqual(render({}), { capacity: { cpu: '1k' }, phase: 'Running' });
  });
});
