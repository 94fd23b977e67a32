export { BusHistory } from './replay';
export type { ListenerReplayRequest, ReplayReport } from './replay';
export { ReplayRefusedError } from './errors';
export { historyTransportOf, refuseHistoryOfSnsApi } from './sns-apis';
export { checkWindow, parseTimePoint } from './window';
export type { HistoryWindow } from './window';
