import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A toy user store, in the worker's memory: enough to show the bus, not a way to keep users. */
export class UserStore {
  private readonly users = new Map<string, { salt: string; hash: Buffer; displayName: string | undefined }>();

  public create(username: string, password: string, displayName?: string): boolean {
    if (this.users.has(username)) return false;
    const salt = randomBytes(8).toString('hex');
    this.users.set(username, { salt, hash: hash(salt, password), displayName });
    return true;
  }

  public get size(): number {
    return this.users.size;
  }

  public check(username: string, password: string): boolean {
    const user = this.users.get(username);
    return user !== undefined && timingSafeEqual(user.hash, hash(user.salt, password));
  }
}

function hash(salt: string, password: string): Buffer {
  return createHash('sha256').update(`${salt}:${password}`).digest();
}
