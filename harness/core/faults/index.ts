export {
  startFaultProxy,
  type FaultProxy,
  type FaultProxyOptions,
  type FaultProxyStats,
  type ProxyFaults,
  type FaultRule,
  type LatencyRule,
  type Http5xxRule,
  type FaultEvent,
} from './fault-proxy.ts';
export { FaultSchedule, type ScheduledFault } from './schedule.ts';
export { FaultError, type FaultErrorCode } from './errors.ts';
export { startPgFaultProxy, type PgFaultProxy, type PgFaultProxyStats, type DbFaults, type DbFaultRule, type DbLatencyRule } from './pg-fault-proxy.ts';
