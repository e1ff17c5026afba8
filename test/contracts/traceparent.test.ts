// W3C traceparent: generation, parsing and the validity rules of the spec.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  childTraceparent,
  formatTraceparent,
  isSampled,
  newTraceparent,
  parseTraceparent,
  traceparentProblem,
} from '../../src/contracts/traceparent.ts';

// The example from the W3C Trace Context recommendation.
const SPEC_EXAMPLE = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('traceparent', () => {
  it('parses the example of the spec', () => {
    assert.deepEqual(parseTraceparent(SPEC_EXAMPLE), {
      version: '00',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentId: '00f067aa0ba902b7',
      flags: 1,
    });
    assert.equal(formatTraceparent(parseTraceparent(SPEC_EXAMPLE)!), SPEC_EXAMPLE);
  });

  it('rejects what the spec forbids, saying why', () => {
    const cases: Array<[string, RegExp]> = [
      ['00-00000000000000000000000000000000-00f067aa0ba902b7-01', /trace-id is all zeros/],
      ['00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01', /parent-id is all zeros/],
      ['00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01', /trace-id is not 32 lowercase hex/],
      ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bz-01', /parent-id/],
      ['ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', /version ff is forbidden/],
      ['0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', /version is not two lowercase hex/],
      ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g', /trace-flags/],
      ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x', /version 00 has 55/],
      ['00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01', /separated/],
      ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7', /55/],
      ['', /55/],
    ];
    for (const [text, why] of cases) {
      assert.match(traceparentProblem(text) ?? 'valid', why, text);
      assert.equal(parseTraceparent(text), undefined, text);
    }
  });

  it('reads a future version by its first four fields, which must end at a "-"', () => {
    const future = '01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes-next';
    assert.equal(parseTraceparent(future)?.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x'), undefined);
  });

  it('generates valid, distinct contexts with the sampled flag as asked', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const text = newTraceparent();
      assert.equal(traceparentProblem(text), undefined, text);
      seen.add(parseTraceparent(text)!.traceId);
    }
    assert.equal(seen.size, 200);
    assert.equal(isSampled(parseTraceparent(newTraceparent(false))!), false);
    assert.equal(isSampled(parseTraceparent(newTraceparent(true))!), true);
  });

  it('a child keeps the trace id and flags with a new parent id; an invalid parent starts a new trace', () => {
    const child = parseTraceparent(childTraceparent(SPEC_EXAMPLE))!;
    assert.equal(child.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(child.flags, 1);
    assert.notEqual(child.parentId, '00f067aa0ba902b7');
    const fresh = parseTraceparent(childTraceparent('not-a-traceparent'))!;
    assert.notEqual(fresh.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
  });
});
