import { LightbusError } from '../errors';

/** Splits `'support.case.open'` into API `support.case` and member `open`. */
export function splitMemberName(qualified: string): { api: string; member: string } {
  const dot = qualified.lastIndexOf('.');
  if (dot <= 0 || dot === qualified.length - 1) {
    throw new LightbusError('INVALID_NAME', `Expected "api.member" (e.g. "auth.checkPassword"); got ${JSON.stringify(qualified)}.`);
  }
  return { api: qualified.slice(0, dot), member: qualified.slice(dot + 1) };
}
