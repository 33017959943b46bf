/**
 * Rows of the crash matrix (test/ops/crash-matrix.ts; all of them: `npm run bench:crash`), on PGlite: the
 * real service is killed with SIGKILL at a step, restarted, and the fake platforms count what they received.
 * - after a Feishu send, before it is marked sent: re-sent with the same uuid, which Feishu drops;
 * - after a Telegram send, before it is marked sent: re-sent, and Telegram (no idempotency key) shows it
 *   twice: the duplicate window, at most one message per send in flight;
 * - between a case transition and its agency notification: the agency is told once.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from './crash-matrix.js';

describe.concurrent('crash matrix (a few rows)', () => {
  it('after a Feishu send, before mark-sent: nothing lost, the re-send dropped by its uuid', { timeout: 60_000 }, async () => {
    const o = await runScenario({ step: 'delivery.sent', platform: 'feishu' }, { kind: 'pglite' });
    expect(o).toMatchObject({ crashed: true, sent: 3, delivered: 3, lost: 0, duplicated: 0, apologies: 0 });
    expect(o.dropped).toBeGreaterThanOrEqual(1);
  });

  it('after a Telegram send, before mark-sent: nothing lost, at most one duplicate per send in flight', { timeout: 60_000 }, async () => {
    const o = await runScenario({ step: 'delivery.sent', platform: 'telegram' }, { kind: 'pglite' });
    expect(o).toMatchObject({ crashed: true, sent: 3, delivered: 3, lost: 0, apologies: 0 });
    // The send the kill interrupted goes out again; so may the others already in flight, never more.
    expect(o.duplicated).toBeGreaterThanOrEqual(1);
    expect(o.duplicated).toBeLessThanOrEqual(o.sent);
  });

  it('between a case transition and its agency notification: the agency is told once', { timeout: 60_000 }, async () => {
    const o = await runScenario({ step: 'case.committed', platform: 'webhook' }, { kind: 'pglite' });
    expect(o).toMatchObject({ crashed: true, sent: 2, delivered: 2, lost: 0, duplicated: 0 });
    expect(o.acknowledged).toBeLessThan(o.sent); // the consent the kill cut short was repeated after the restart
  });
});
