import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_TOOL_SPECS, isBuiltinTool } from '../../src/agent/tools/builtin-tools.js';
import { jsonSchemaSchema, parametersSchema, validateJson, type JsonSchema } from '../../src/agent/tools/json-schema.js';

const schema: JsonSchema = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 2, maxLength: 5 },
    count: { type: 'integer', minimum: 0, maximum: 3 },
    price: { type: 'number' },
    urgent: { type: 'boolean' },
    tags: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 2 },
    address: { type: 'object', properties: { pin: { type: 'string', pattern: '^\\d{6}$' } }, required: ['pin'], additionalProperties: false },
    kind: { enum: ['a', 1, null] },
  },
  required: ['name'],
};

test('values that fit the schema pass', () => {
  assert.deepEqual(validateJson(schema, { name: 'ab', count: 3, price: 9.5, urgent: false, tags: ['x'], address: { pin: '560038' }, kind: null, extra: 1 }), []);
  assert.deepEqual(validateJson(schema, { name: 'abcde', kind: 1 }), []);
});

test('each keyword of the subset is enforced, with the path of the bad value', () => {
  assert.deepEqual(validateJson(schema, { name: 'a' }), ['name: must be at least 2 characters']);
  assert.deepEqual(validateJson(schema, { name: 'abcdef' }), ['name: must be at most 5 characters']);
  assert.deepEqual(validateJson(schema, { name: 'ab', count: 1.5 }), ['count: must be an integer, got a number']);
  assert.deepEqual(validateJson(schema, { name: 'ab', count: 4 }), ['count: must be ≤ 3']);
  assert.deepEqual(validateJson(schema, { name: 'ab', count: -1 }), ['count: must be ≥ 0']);
  assert.deepEqual(validateJson(schema, { name: 'ab', price: '9' }), ['price: must be a number, got a string']);
  assert.deepEqual(validateJson(schema, { name: 'ab', urgent: 'yes' }), ['urgent: must be a boolean, got a string']);
  assert.deepEqual(validateJson(schema, { name: 'ab', tags: [] }), ['tags: must have at least 1 items']);
  assert.deepEqual(validateJson(schema, { name: 'ab', tags: ['a', 'b', 3] }), ['tags: must have at most 2 items', 'tags[2]: must be a string, got an integer']);
  assert.deepEqual(validateJson(schema, { name: 'ab', address: {} }), ['address.pin: is required']);
  assert.deepEqual(validateJson(schema, { name: 'ab', address: { pin: '5600', city: 'x' } }), ['address.pin: must match ^\\d{6}$', 'address: unknown property city']);
  assert.deepEqual(validateJson(schema, { name: 'ab', kind: 'b' }), ['kind: must be one of "a", 1, null']);
  assert.deepEqual(validateJson(schema, [1]), ['(arguments): must be an object, got an array']);
  assert.deepEqual(validateJson(schema, { name: 'ab', price: Number.NaN }), ['price: must be a number, got a non-finite number']);
});

test('at most five problems are reported', () => {
  const wide: JsonSchema = { type: 'object', properties: Object.fromEntries([...'abcdefgh'].map((k) => [k, { type: 'string' }])) };
  const problems = validateJson(wide, Object.fromEntries([...'abcdefgh'].map((k) => [k, 1])));
  assert.equal(problems.length, 5);
});

test('schemas outside the subset, or inconsistent ones, are rejected when the definition loads', () => {
  const issues = (s: unknown) => {
    const r = parametersSchema.safeParse(s);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  assert.deepEqual(issues({ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }), []);
  assert.deepEqual(issues({ type: 'string' }), [': must be a JSON Schema with type: object']);
  assert.match(issues({ type: 'object', properties: { a: { type: 'string', oneOf: [] } } })[0], /properties\.a: Unrecognized key: "oneOf"/);
  assert.deepEqual(issues({ type: 'object', properties: {}, required: ['b'] }), ['required: "b" is not in properties']);
  assert.deepEqual(issues({ type: 'object', properties: { a: { type: 'string', pattern: '(' } } }), ['properties.a.pattern: must be a valid regular expression']);
  assert.deepEqual(issues({ type: 'object', properties: { a: { type: 'string', items: { type: 'string' } } } }), ['properties.a.type: items needs type array, not string']);
  assert.match(issues({ type: 'object', properties: { a: { type: 'date' } } })[0], /properties\.a\.type: Invalid option/);
  assert.equal(jsonSchemaSchema.safeParse({ description: 'anything' }).success, true);
});

test('built-in tools: end_call and transfer specs, recognised by name', () => {
  assert.equal(BUILTIN_TOOL_SPECS.end_call.name, 'end_call');
  assert.equal(BUILTIN_TOOL_SPECS.transfer.name, 'transfer');
  for (const spec of Object.values(BUILTIN_TOOL_SPECS)) assert.equal(parametersSchema.safeParse(spec.parameters).success, true);
  assert.equal(isBuiltinTool('end_call'), true);
  assert.equal(isBuiltinTool('transfer'), true);
  assert.equal(isBuiltinTool('order_status'), false);
});
