import { describe, expect, it } from 'vitest';
import { defineScenario } from '../../public.ts';

describe('defineScenario', () => {
  it('returns its argument unchanged', () => {
    const s = { name: 'x', description: 'y', duration: '36h' } as const;
    expect(defineScenario(s)).toBe(s);
  });

  it('types scenario files so editors flag mistakes (checked by tsc in npm test)', () => {
    const typed = [
      defineScenario({
        name: 'typed',
        description: 'Every field class, correctly typed.',
        seed: 2n ** 63n,
        fleet: { devices: 10, mix: { adultBrush: 1 } },
        duration: '1d12h',
        behaviour: { latePhones: 0.2, reorder: false },
        faults: [
          { at: { day: 1, hour: 2 }, fault: 'restart-api', probability: 0.5 },
          { at: '3h', fault: 'latency', duration: '30m', params: { ms: 10, jitterMs: 5, pathPrefix: '/v2/uploads' } },
          { at: '4h', fault: 'http-5xx', count: 3, params: { status: 502 } },
        ],
        invariants: ['ING-1', 'PRIV-2'],
        thresholds: { http_req_duration: ['p(99)<250'] },
        env: { provider: 'embedded' },
      }),
      // @ts-expect-error a misspelt field
      defineScenario({ name: 'a', description: 'b', durtion: '3d' }),
      // @ts-expect-error a duration without a unit
      defineScenario({ name: 'a', description: 'b', duration: '3' }),
      // @ts-expect-error an unknown fault
      defineScenario({ name: 'a', description: 'b', faults: [{ at: '1h', fault: 'restart-db' }] }),
      // @ts-expect-error a restart has no window
      defineScenario({ name: 'a', description: 'b', faults: [{ at: '1h', fault: 'restart-api', duration: '1h' }] }),
      // @ts-expect-error latency params do not include a status
      defineScenario({ name: 'a', description: 'b', faults: [{ at: '1h', fault: 'latency', params: { status: 500 } }] }),
      // @ts-expect-error an unknown invariant id
      defineScenario({ name: 'a', description: 'b', invariants: ['ING-9'] }),
      // @ts-expect-error a behaviour knob that does not exist
      defineScenario({ name: 'a', description: 'b', behaviour: { loss: 0.1 } }),
    ];
    expect(typed).toHaveLength(8);
  });
});
