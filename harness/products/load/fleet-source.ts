import { signUpHouseholds } from '../../core/fleet/accounts.ts';
import type { FleetContext } from '../../core/fleet/context.ts';
import { provisionAndBond } from '../../core/fleet/setup.ts';
import type { FixtureUse } from '../../../reports/load-summary.ts';

/**
 * The seam for fleet fixtures (harness/core/fixtures, built separately): something that
 * leaves `ctx` holding a provisioned, bonded fleet (accounts, tokens, bonds on the
 * platform) and says where it came from. {@link bondThroughApi} is the full path.
 */
export interface FleetSource {
  prepare(ctx: FleetContext, databaseUrl: string | undefined): Promise<FixtureUse>;
}

/** Sign up every household and provision and bond every device through the API (no fixture). */
export const bondThroughApi: FleetSource = {
  async prepare(ctx) {
    await signUpHouseholds(ctx);
    await provisionAndBond(ctx, 25_000);
    return 'none';
  },
};
