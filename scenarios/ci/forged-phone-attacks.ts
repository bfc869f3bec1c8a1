import { defineAttackSuite } from 'fleetbed';

/**
 * The attack catalogue as part of the CI gate: `fleetbed run scenarios/ci` runs every
 * forged-phone case against a fresh platform after the scenarios, with one verdict, one
 * junit.xml and one exit code. (`fleetbed attack scenarios/security` runs the same cases alone.)
 */
export default defineAttackSuite({
  name: 'forged-phone-gate',
  description: 'Every forged-phone case of the catalogue is refused and changes nothing',
  seed: 7,
  cases: 'all',
});
