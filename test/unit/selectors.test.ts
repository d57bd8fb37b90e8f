import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  SelectorError, parseLabelSelector, selectorFromLabelSelector, selectorFromSet, labelSelectorToString, formatLabelSelector, formatLabels,
  parseFieldSelector, validateLabels, validateAnnotations, validateDNS1123Label, validateDNS1123Subdomain, validateQualifiedName,
  TOTAL_ANNOTATION_SIZE_LIMIT,
} from '../../src/api/selectors.js';

const NAME_PART_MSG = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

describe('parseLabelSelector: canonical form', () => {
  const cases: [string, string][] = [
    ['', ''],
    ['   ', ''],
    ['a=b', 'a=b'],
    ['a==b', 'a==b'],
    ['a!=b', 'a!=b'],
    ['a', 'a'],
    ['!a', '!a'],
    ['a in (y,x)', 'a in (x,y)'],
    ['a notin (x)', 'a notin (x)'],
    ['a in (x,x,y)', 'a in (x,y)'],
    [' a = b , c in ( x , y ) ', 'a=b,c in (x,y)'],
    ['z=1,a=2', 'a=2,z=1'],
    ['x in (foo,,baz),y,z notin ()', 'x in (,baz,foo),y,z notin ()'],
    ['a=', 'a='],
    ['a>1,b<10', 'a>1,b<10'],
    ['example.com/app=web', 'example.com/app=web'],
    ['in in (in)', 'in in (in)'],
    ['a,!b', 'a,!b'],
  ];
  for (const [input, want] of cases) {
    it(`${JSON.stringify(input)} -> ${JSON.stringify(want)}`, () => {
      assert.equal(parseLabelSelector(input).toString(), want);
    });
  }

  it('reports emptiness', () => {
    assert.equal(parseLabelSelector('').empty, true);
    assert.equal(parseLabelSelector('a').empty, false);
  });
});

describe('parseLabelSelector: matching', () => {
  const labels = { app: 'web', tier: 'front', n: '5', empty: '' };
  const cases: [string, boolean][] = [
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app=db', false],
    ['app!=db', true],
    ['app!=web', false],
    ['missing!=x', true],
    ['app in (db,web)', true],
    ['app in (db)', false],
    ['missing in (x)', false],
    ['app notin (db)', true],
    ['app notin (web)', false],
    ['missing notin (x)', true],
    ['app', true],
    ['missing', false],
    ['!missing', true],
    ['!app', false],
    ['app=web,tier=front', true],
    ['app=web,tier=back', false],
    ['empty=', true],
    ['empty', true],
    ['n>4', true],
    ['n>5', false],
    ['n<6', true],
    ['app>1', false],
    ['missing<1', false],
  ];
  for (const [sel, want] of cases) {
    it(`${sel} ${want ? 'matches' : 'does not match'}`, () => {
      assert.equal(parseLabelSelector(sel).matches(labels), want);
    });
  }

  it('treats undefined labels as none', () => {
    assert.equal(parseLabelSelector('!a').matches(undefined), true);
    assert.equal(parseLabelSelector('a').matches(undefined), false);
    assert.equal(parseLabelSelector('').matches(undefined), true);
  });

  it('does not see inherited properties as labels', () => {
    assert.equal(parseLabelSelector('constructor').matches({}), false);
    assert.equal(parseLabelSelector('!toString').matches({}), true);
  });

  it('exposes exact-match requirements', () => {
    const s = parseLabelSelector('app=web,tier in (a),x in (a,b)');
    assert.equal(s.requiresExactMatch('app'), 'web');
    assert.equal(s.requiresExactMatch('tier'), 'a');
    assert.equal(s.requiresExactMatch('x'), undefined);
    assert.equal(s.requiresExactMatch('nope'), undefined);
  });
});

describe('parseLabelSelector: errors', () => {
  const cases: [string, string][] = [
    ['(a)', "found '(', expected: !, identifier, or 'end of string'"],
    ['a=b c', "found 'c', expected: ',' or 'end of string'"],
    ['a=b,', "found '', expected: identifier after ','"],
    ['a in x', "unable to parse requirement: found 'x' expected: '('"],
    ['a in (x', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['a b', "unable to parse requirement: found 'b', expected: '=', '!=', '==', 'in', notin'"],
    ['!a=b', "found '=', expected: ',' or 'end of string'"],
    ['a=(b)', "unable to parse requirement: found '(', expected: identifier"],
    ['!', "unable to parse requirement: found '', expected: identifier"],
    ['-a=b', `unable to parse requirement: <nil>: Invalid value: "-a": ${NAME_PART_MSG}`],
    ['a=-b', `unable to parse requirement: values[0][a]: Invalid value: "-b": ${LABEL_VALUE_MSG}`],
    ['a>x', `unable to parse requirement: values[0]: Invalid value: "x": for 'Gt', 'Lt' operators, the value must be an integer`],
    [`${'k'.repeat(64)}=v`, `unable to parse requirement: <nil>: Invalid value: "${'k'.repeat(64)}": name part must be no more than 63 characters`],
  ];
  for (const [input, msg] of cases) {
    it(`${JSON.stringify(input)} fails`, () => {
      assert.throws(() => parseLabelSelector(input), (e: unknown) => {
        assert.ok(e instanceof SelectorError);
        assert.equal(e.message, msg);
        return true;
      });
    });
  }

  it('reports both length and character problems of a value', () => {
    const long = `-${'v'.repeat(63)}`;
    assert.throws(() => parseLabelSelector(`a=${long}`), { message: `unable to parse requirement: values[0][a]: Invalid value: "${long}": must be no more than 63 characters; ${LABEL_VALUE_MSG}` });
  });
});

describe('selectorFromLabelSelector', () => {
  it('null and undefined match nothing', () => {
    for (const s of [null, undefined]) {
      const m = selectorFromLabelSelector(s);
      assert.equal(m.matches({ a: 'b' }), false);
      assert.equal(m.matches({}), false);
      assert.equal(m.empty, false);
      assert.equal(m.toString(), '');
    }
  });

  it('an empty selector matches everything', () => {
    const m = selectorFromLabelSelector({});
    assert.equal(m.empty, true);
    assert.equal(m.matches({ a: 'b' }), true);
    assert.equal(m.matches(undefined), true);
    assert.equal(selectorFromLabelSelector({ matchLabels: {}, matchExpressions: [] }).empty, true);
  });

  it('combines matchLabels and every expression operator', () => {
    const m = selectorFromLabelSelector({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['front', 'edge'] },
        { key: 'env', operator: 'NotIn', values: ['prod'] },
        { key: 'team', operator: 'Exists' },
        { key: 'legacy', operator: 'DoesNotExist' },
      ],
    });
    assert.equal(m.toString(), 'app=web,env notin (prod),!legacy,team,tier in (edge,front)');
    assert.equal(m.matches({ app: 'web', tier: 'edge', team: 'x' }), true);
    assert.equal(m.matches({ app: 'web', tier: 'edge', team: 'x', env: 'prod' }), false);
    assert.equal(m.matches({ app: 'web', tier: 'edge', team: 'x', legacy: '1' }), false);
    assert.equal(m.matches({ app: 'web', tier: 'edge' }), false);
    assert.equal(m.matches({ app: 'db', tier: 'edge', team: 'x' }), false);
  });

  it('rejects unknown operators and invalid expressions', () => {
    assert.throws(() => selectorFromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Equals', values: ['b'] }] }), { message: '"Equals" is not a valid label selector operator' });
    assert.throws(() => selectorFromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }), /values set can't be empty/);
    assert.throws(() => selectorFromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }), /values set must be empty for exists and does not exist/);
    assert.throws(() => selectorFromLabelSelector({ matchLabels: { 'bad key': 'x' } }), SelectorError);
    assert.throws(() => selectorFromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'constructor' }] }), { message: '"constructor" is not a valid label selector operator' });
  });

  it('renders canonical strings for Scale status.selector and table columns', () => {
    assert.equal(labelSelectorToString({ matchLabels: { b: '2', a: '1' } }), 'a=1,b=2');
    assert.equal(labelSelectorToString({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }], matchLabels: { app: 'web' } }), 'app=web,tier in (a,b)');
    assert.equal(labelSelectorToString(null), '');
    assert.equal(labelSelectorToString({}), '');
    assert.equal(formatLabelSelector(undefined), '<none>');
    assert.equal(formatLabelSelector({}), '<none>');
    assert.equal(formatLabelSelector({ matchLabels: { app: 'web' } }), 'app=web');
    assert.equal(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Bogus' }] }), '<error>');
  });

  it('selectorFromSet and formatLabels', () => {
    assert.equal(selectorFromSet({ b: '1', a: '2' }).toString(), 'a=2,b=1');
    assert.equal(selectorFromSet({}).matches({ x: 'y' }), true);
    assert.equal(selectorFromSet({ a: '1' }).matches({ a: '2' }), false);
    assert.equal(formatLabels({ z: '1', a: 'b' }), 'a=b,z=1');
    assert.equal(formatLabels(undefined), '<none>');
  });
});

describe('parseFieldSelector', () => {
  it('parses =, == and != with AND semantics', () => {
    const f = parseFieldSelector('metadata.name=web,spec.nodeName!=node-1,status.phase==Running');
    const obj: Record<string, string> = { 'metadata.name': 'web', 'spec.nodeName': 'node-2', 'status.phase': 'Running' };
    assert.equal(f.matches((k) => obj[k]), true);
    assert.equal(f.matches((k) => ({ ...obj, 'spec.nodeName': 'node-1' })[k]), false);
    assert.equal(f.matches((k) => ({ ...obj, 'metadata.name': 'x' })[k]), false);
    assert.deepEqual(f.fields().sort(), ['metadata.name', 'spec.nodeName', 'status.phase']);
    assert.equal(f.requiresExactMatch('metadata.name'), 'web');
    assert.equal(f.requiresExactMatch('spec.nodeName'), undefined);
  });

  it('treats missing fields as empty strings', () => {
    assert.equal(parseFieldSelector('spec.nodeName=').matches(() => undefined), true);
    assert.equal(parseFieldSelector('spec.nodeName!=').matches(() => undefined), false);
    assert.equal(parseFieldSelector('spec.nodeName!=').matches(() => 'n1'), true);
  });

  it('sorts terms and escapes values in its string form', () => {
    assert.equal(parseFieldSelector('b=2,a=1').toString(), 'a=1,b=2');
    assert.equal(parseFieldSelector('a==1').toString(), 'a=1');
    const f = parseFieldSelector('metadata.name=x\\,y\\=z\\\\w');
    assert.equal(f.requirements[0]!.value, 'x,y=z\\w');
    assert.equal(f.toString(), 'metadata.name=x\\,y\\=z\\\\w');
    assert.equal(f.matches(() => 'x,y=z\\w'), true);
  });

  it('empty selector matches everything', () => {
    const f = parseFieldSelector('');
    assert.equal(f.empty, true);
    assert.equal(f.matches(() => 'anything'), true);
    assert.deepEqual(f.fields(), []);
  });

  it('rejects malformed selectors', () => {
    assert.throws(() => parseFieldSelector('metadata.name'), { message: "invalid selector: 'metadata.name'; can't understand 'metadata.name'" });
    assert.throws(() => parseFieldSelector('a=b,c'), { message: "invalid selector: 'a=b,c'; can't understand 'c'" });
    assert.throws(() => parseFieldSelector('a=b=c'), { message: 'invalid field selector: unescaped character in value: 61' });
    assert.throws(() => parseFieldSelector('a=b\\x'), { message: 'invalid field selector: invalid escape sequence: \\x' });
    assert.throws(() => parseFieldSelector('a=b\\'), SelectorError);
  });
});

describe('name and metadata validation', () => {
  it('qualified names', () => {
    assert.deepEqual(validateQualifiedName('app'), []);
    assert.deepEqual(validateQualifiedName('example.com/app-name_1.x'), []);
    assert.deepEqual(validateQualifiedName('/app'), ['prefix part must be non-empty']);
    assert.deepEqual(validateQualifiedName('a/b/c').length, 1);
    assert.match(validateQualifiedName('a/b/c')[0]!, /^a qualified name must consist of .* with an optional DNS subdomain prefix and '\/' \(e\.g\. 'example\.com\/MyName'\)$/);
    assert.deepEqual(validateQualifiedName('Example.com/x'), [
      "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ]);
    assert.deepEqual(validateQualifiedName('example.com/'), ['name part must be non-empty', NAME_PART_MSG]);
  });

  it('validateLabels reports keys and values at the map path', () => {
    assert.deepEqual(validateLabels({ app: 'web', 'example.com/x': '' }, 'metadata.labels'), []);
    assert.deepEqual(validateLabels({ 'bad key': 'ok' }, 'metadata.labels'), [
      { field: 'metadata.labels', type: 'FieldValueInvalid', message: `"bad key": ${NAME_PART_MSG}` },
    ]);
    assert.deepEqual(validateLabels({ a: 'x'.repeat(64) }, 'metadata.labels'), [
      { field: 'metadata.labels', type: 'FieldValueInvalid', message: `"${'x'.repeat(64)}": must be no more than 63 characters` },
    ]);
    assert.deepEqual(validateLabels({ a: 'bad value' }, 'spec.template.metadata.labels'), [
      { field: 'spec.template.metadata.labels', type: 'FieldValueInvalid', message: `"bad value": ${LABEL_VALUE_MSG}` },
    ]);
    assert.deepEqual(validateLabels(undefined, 'metadata.labels'), []);
  });

  it('validateAnnotations checks keys case-insensitively and the total size', () => {
    assert.deepEqual(validateAnnotations({ 'Example.COM/Some-Key': 'any value at all, even with spaces!' }, 'metadata.annotations'), []);
    assert.equal(validateAnnotations({ 'a b': 'x' }, 'metadata.annotations')[0]?.field, 'metadata.annotations');
    const big = { a: 'x'.repeat(TOTAL_ANNOTATION_SIZE_LIMIT) };
    assert.deepEqual(validateAnnotations(big, 'metadata.annotations'), [
      { field: 'metadata.annotations', type: 'FieldValueTooLong', message: 'may not be more than 262144 bytes' },
    ]);
    assert.deepEqual(validateAnnotations({ a: 'x'.repeat(TOTAL_ANNOTATION_SIZE_LIMIT - 1) }, 'metadata.annotations'), []);
  });

  it('DNS-1123 names', () => {
    assert.deepEqual(validateDNS1123Label('my-name'), []);
    assert.deepEqual(validateDNS1123Label('a.b'), ['must not contain dots']);
    assert.deepEqual(validateDNS1123Label('My_Name'), [
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    ]);
    assert.deepEqual(validateDNS1123Label('a'.repeat(64)), ['must be no more than 63 characters']);
    assert.deepEqual(validateDNS1123Subdomain('web.example.com'), []);
    assert.equal(validateDNS1123Subdomain('-bad').length, 1);
    assert.deepEqual(validateDNS1123Subdomain('a'.repeat(254)), ['must be no more than 253 characters']);
    assert.equal(validateDNS1123Subdomain('').length, 1);
  });
});
