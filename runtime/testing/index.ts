export { BusMock, mockBus } from './bus-mock';
export type { BusMockOptions, ExpectedUse, MockResponse } from './bus-mock';
