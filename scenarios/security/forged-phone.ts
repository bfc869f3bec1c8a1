import { defineAttackSuite } from 'fleetbed';

/**
 * The forged-phone suite (docs/design.md AUTH-4): every trick a decompiled, scripted
 * phone can play against the platform — replay, tampering, identity, BOLA,
 * bonding, mass assignment, tokens, function level, OTA, resource consumption.
 * Each case must be refused with the expected problem and leave the state
 * digest unchanged.
 */
export default defineAttackSuite({
  name: 'forged-phone',
  description: 'Everything a forged phone can send is useless',
  seed: 7,
  cases: 'all',
});
