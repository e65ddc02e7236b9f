// The scope prologue's two forms (src/db/tenantPipeline.ts): on one server a parameterized
// set_config; on a distributed (Citus) database SET LOCAL statements — SET takes no parameters, so
// the scope becomes a literal there, and only ids that are UUIDs may become one.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SET_TENANT_SCOPE, tenantScopeSteps } from '../../../src/db/tenantPipeline.js';
import { InternalError } from '../../../src/model/errors.js';

const A = '0194f3a0-0000-7000-8000-00000000000a';
const B = '0194f3a0-0000-7000-8000-00000000000b';

describe('tenantScopeSteps', () => {
  it('single server: the set_config prologue with the scope as its parameter', () => {
    expect(tenantScopeSteps(A, 'single')).toEqual([{ statement: SET_TENANT_SCOPE, params: [A] }]);
    expect(tenantScopeSteps([A, B], 'single')).toEqual([{ statement: SET_TENANT_SCOPE, params: [`${A},${B}`] }]);
  });

  it('Citus: propagate SET LOCAL to the workers, then the scope as a literal', () => {
    expect(tenantScopeSteps(A, 'citus-distributed').map((s) => [s.statement.text, s.params])).toEqual([
      ["SET LOCAL citus.propagate_set_commands = 'local'", []],
      [`SET LOCAL thread_store.tenant_id = '${A}'`, []],
    ]);
    expect(tenantScopeSteps([A, B], 'citus-distributed')[1]!.statement.text).toBe(`SET LOCAL thread_store.tenant_id = '${A},${B}'`);
  });

  it('Citus: anything but UUIDs never becomes a literal (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 0, maxLength: 60 }), (text) => {
        fc.pre(!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text));
        expect(() => tenantScopeSteps(text, 'citus-distributed')).toThrow(/UUID/);
        expect(() => tenantScopeSteps([A, text], 'citus-distributed')).toThrow(/UUID/);
      }),
    );
    expect(() => tenantScopeSteps(`${A}'; DROP TABLE x; --`, 'citus-distributed')).toThrow(/UUID/);
    expect(() => tenantScopeSteps([], 'citus-distributed')).toThrow(InternalError);
  });
});
