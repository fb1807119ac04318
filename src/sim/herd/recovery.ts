/**
 * Did a run recover after its trigger ended, and when? The definition lives in the SLO layer
 * (src/slo/recovery.ts), where the `recovery_time(<fault>)` metric reads it too; the herd
 * studies import it from here, under the names they always had, so there is one definition.
 */
export type { RecoveryCriteria, RecoveryOptions, RecoveryOutcome, RecoverySeries, SecondStats } from '../../slo/index.ts';
export { analyzeRecovery, perSecond, RECOVERY_DEFAULTS, secondStats, triggerWindow } from '../../slo/index.ts';
