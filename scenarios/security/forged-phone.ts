import { defineAttackSuite } from 'fleetbed';

/**
 * The forged-phone suite (docs/design.md AUTH-4): every trick a decompiled, scripted
 * phone can play against the platform — replay, tampering, identity, BOLA,
 * bonding, mass assignment, tokens, function level, OTA, resource consumption,
 * and the old v1 lines (unsigned replays for devices that now sign, identity-map
 * confusion, deprecated endpoints, legacy ids in v2 answers).
 * Each case must be refused with the expected problem and leave the state
 * digest unchanged.
 */
export default defineAttackSuite({
  name: 'forged-phone',
  description: 'Everything a forged phone can send is useless',
  seed: 7,
  cases: 'all',
});
