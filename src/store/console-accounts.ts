/**
 * Console accounts, their server-side sessions and login lock-out. A session row is the only proof of a
 * login: disabling an account deletes its sessions in the same transaction, so it ends at once everywhere.
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, gt, isNull, lt, ne, sql } from 'drizzle-orm';
import type { Database } from './db.js';
import { consoleLoginAttempts, consoleSessions, staffAccounts } from './schema.js';

export const ROLES = ['admin', 'reviewer', 'agency'] as const;
export type Role = (typeof ROLES)[number];

export interface StaffAccount {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  agencyId: string | null;
  disabledAt: Date | null;
  /** When the second factor was enrolled; null while there is none. */
  totpEnabledAt: Date | null;
  /** Unused recovery codes left. */
  recoveryCodesLeft: number;
}

/** How far a session's sign-in has come: `totp` waits for the code, `enrol` for a second factor to be set up. */
export type SessionStage = 'full' | 'totp' | 'enrol';

export interface NewAccount {
  username: string;
  displayName: string;
  role: Role;
  agencyId?: string | null;
  passwordHash: string;
}

/** A live session: its account, its CSRF token and when it was last used. */
export interface Session {
  id: string;
  account: StaffAccount;
  stage: SessionStage;
  csrfToken: string;
  lastSeenAt: Date;
  expiresAt: Date;
}

/**
 * Failed sign-ins are counted per username and source address. The first `freeFailures` cost nothing;
 * each one after that pauses that pair for `firstLockMs`, doubled at every further failure up to
 * `maxLockMs`. An attacker slows only their own address; the owner signing in from elsewhere is not
 * affected. A quiet day starts the count again.
 */
export interface LockoutPolicy {
  freeFailures: number;
  firstLockMs: number;
  maxLockMs: number;
}

export const DEFAULT_LOCKOUT: LockoutPolicy = { freeFailures: 5, firstLockMs: 60_000, maxLockMs: 15 * 60_000 };

/** Whose failures are counted: an account's username (or a keyed hash of a name that is none) from one address. */
export interface AttemptKey {
  username: string;
  address: string;
}

/** How long the `failures`-th failure in a row pauses its pair, in milliseconds (0: not at all). */
export function lockMsAfter(failures: number, policy: LockoutPolicy = DEFAULT_LOCKOUT): number {
  if (failures < policy.freeFailures) return 0;
  return Math.min(policy.maxLockMs, policy.firstLockMs * 2 ** Math.min(30, failures - policy.freeFailures));
}

/** 256 bits from the CSPRNG, as the cookie value; only its hash is stored. */
export function newSessionToken(): string {
  return randomBytes(32).toString('base64url');
}

export function sessionIdOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

const USERNAME = /^[A-Za-z0-9._-]{2,64}$/;

export function validUsername(name: string): boolean {
  return USERNAME.test(name);
}

type AccountRow = typeof staffAccounts.$inferSelect;

function toAccount(row: AccountRow): StaffAccount {
  return {
    id: row.id,
    username: row.username,
    displayName: row.displayName,
    role: row.role as Role,
    agencyId: row.agencyId,
    disabledAt: row.disabledAt,
    totpEnabledAt: row.totpEnabledAt,
    recoveryCodesLeft: row.recoveryCodes?.length ?? 0,
  };
}

export class ConsoleAccounts {
  constructor(
    private readonly db: Database,
    private readonly lockout: LockoutPolicy = DEFAULT_LOCKOUT,
  ) {}

  async create(input: NewAccount): Promise<StaffAccount> {
    const [row] = await this.db
      .insert(staffAccounts)
      .values({ username: input.username, displayName: input.displayName, role: input.role, agencyId: input.agencyId ?? null, passwordHash: input.passwordHash })
      .returning();
    return toAccount(row!);
  }

  async byUsername(username: string): Promise<(StaffAccount & { passwordHash: string | null; totpSecret: string | null }) | undefined> {
    const [row] = await this.db.select().from(staffAccounts).where(eq(staffAccounts.username, username));
    return row && { ...toAccount(row), passwordHash: row.passwordHash, totpSecret: row.totpSecret };
  }

  /** The TOTP secret, enrolled or pending, of an account. */
  async totpSecret(accountId: string): Promise<string | null> {
    const [row] = await this.db.select({ secret: staffAccounts.totpSecret }).from(staffAccounts).where(eq(staffAccounts.id, accountId));
    return row?.secret ?? null;
  }

  /** A new password; every session of the account but `keepSessionId` ends. */
  async setPassword(accountId: string, passwordHash: string, keepSessionId?: string): Promise<number> {
    return this.db.transaction(async (tx) => {
      await tx.update(staffAccounts).set({ passwordHash, passwordChangedAt: sql`now()` }).where(eq(staffAccounts.id, accountId));
      const others = keepSessionId ? and(eq(consoleSessions.accountId, accountId), ne(consoleSessions.id, keepSessionId)) : eq(consoleSessions.accountId, accountId);
      return (await tx.delete(consoleSessions).where(others).returning({ id: consoleSessions.id })).length;
    });
  }

  /** The secret enrolment shows; an enrolment begun earlier keeps its secret (the app may have it already). */
  async pendingTotpSecret(accountId: string, fresh: string): Promise<string> {
    const [row] = await this.db
      .update(staffAccounts)
      .set({ totpSecret: sql`coalesce(${staffAccounts.totpSecret}, ${fresh})` })
      .where(and(eq(staffAccounts.id, accountId), isNull(staffAccounts.totpEnabledAt)))
      .returning({ secret: staffAccounts.totpSecret });
    return row?.secret ?? fresh;
  }

  /** Turns the pending secret on, with the step of the code that proved it and the recovery codes' hashes. */
  async enableTotp(accountId: string, step: number, recoveryHashes: string[]): Promise<boolean> {
    const rows = await this.db
      .update(staffAccounts)
      .set({ totpEnabledAt: sql`now()`, totpLastStep: step, recoveryCodes: recoveryHashes })
      .where(and(eq(staffAccounts.id, accountId), isNull(staffAccounts.totpEnabledAt)))
      .returning({ id: staffAccounts.id });
    return rows.length === 1;
  }

  /** Accepts a code's time step once: false when that step or a later one was used already. */
  async useTotpStep(accountId: string, step: number): Promise<boolean> {
    const rows = await this.db
      .update(staffAccounts)
      .set({ totpLastStep: step })
      .where(and(eq(staffAccounts.id, accountId), sql`(${staffAccounts.totpLastStep} is null or ${staffAccounts.totpLastStep} < ${step})`))
      .returning({ id: staffAccounts.id });
    return rows.length === 1;
  }

  /** Uses up a recovery code; false when it is not one of the account's unused codes. */
  async useRecoveryCode(accountId: string, hash: string): Promise<boolean> {
    const rows = await this.db
      .update(staffAccounts)
      .set({ recoveryCodes: sql`${staffAccounts.recoveryCodes} - ${hash}::text` })
      .where(and(eq(staffAccounts.id, accountId), sql`${staffAccounts.recoveryCodes} ? ${hash}::text`))
      .returning({ id: staffAccounts.id });
    return rows.length === 1;
  }

  /** Removes the second factor (lost phone): the next sign-in enrols again. Ends the account's sessions. */
  async resetTotp(username: string): Promise<{ account: StaffAccount; sessionsEnded: number } | undefined> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .update(staffAccounts)
        .set({ totpSecret: null, totpEnabledAt: null, totpLastStep: null, recoveryCodes: null })
        .where(eq(staffAccounts.username, username))
        .returning();
      if (!row) return undefined;
      const ended = await tx.delete(consoleSessions).where(eq(consoleSessions.accountId, row.id)).returning({ id: consoleSessions.id });
      return { account: toAccount(row), sessionsEnded: ended.length };
    });
  }

  async byId(id: string): Promise<StaffAccount | undefined> {
    const [row] = await this.db.select().from(staffAccounts).where(eq(staffAccounts.id, id));
    return row && toAccount(row);
  }

  async list(): Promise<StaffAccount[]> {
    return (await this.db.select().from(staffAccounts).orderBy(staffAccounts.username)).map(toAccount);
  }

  /** Disables the account and ends all its sessions; false when there is no such account. */
  async disable(username: string): Promise<{ account: StaffAccount; sessionsEnded: number } | undefined> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .update(staffAccounts)
        .set({ disabledAt: sql`coalesce(${staffAccounts.disabledAt}, now())` })
        .where(eq(staffAccounts.username, username))
        .returning();
      if (!row) return undefined;
      const ended = await tx.delete(consoleSessions).where(eq(consoleSessions.accountId, row.id)).returning({ id: consoleSessions.id });
      return { account: toAccount(row), sessionsEnded: ended.length };
    });
  }

  /** Until when the pair is paused, if it is. */
  async lockedUntil(key: AttemptKey): Promise<Date | undefined> {
    const [row] = await this.db
      .select({ lockedUntil: consoleLoginAttempts.lockedUntil })
      .from(consoleLoginAttempts)
      .where(and(eq(consoleLoginAttempts.username, key.username), eq(consoleLoginAttempts.address, key.address), gt(consoleLoginAttempts.lockedUntil, sql`now()`)));
    return row?.lockedUntil ?? undefined;
  }

  /** Counts a failed sign-in of the pair; returns the end of the pause it earns, if any. */
  async recordFailure(key: AttemptKey): Promise<Date | undefined> {
    const [row] = await this.db
      .insert(consoleLoginAttempts)
      .values({ ...key, failures: 1, lastFailureAt: sql`now()` })
      .onConflictDoUpdate({
        target: [consoleLoginAttempts.username, consoleLoginAttempts.address],
        set: {
          failures: sql`case when ${consoleLoginAttempts.lastFailureAt} < now() - interval '1 day' then 1 else ${consoleLoginAttempts.failures} + 1 end`,
          lastFailureAt: sql`now()`,
        },
      })
      .returning({ failures: consoleLoginAttempts.failures });
    const lockMs = lockMsAfter(row?.failures ?? 0, this.lockout);
    if (!lockMs) return undefined;
    const [locked] = await this.db
      .update(consoleLoginAttempts)
      .set({ lockedUntil: sql`now() + ${sql.raw(`interval '${Math.round(lockMs)} milliseconds'`)}` })
      .where(and(eq(consoleLoginAttempts.username, key.username), eq(consoleLoginAttempts.address, key.address)))
      .returning({ lockedUntil: consoleLoginAttempts.lockedUntil });
    return locked?.lockedUntil ?? undefined;
  }

  /** After a success: the pair starts afresh (other addresses' counts stay). */
  async clearFailures(key: AttemptKey): Promise<void> {
    await this.db.delete(consoleLoginAttempts).where(and(eq(consoleLoginAttempts.username, key.username), eq(consoleLoginAttempts.address, key.address)));
  }

  /** A new session for a fresh login; returns the cookie token (never stored) and the session. */
  async startSession(accountId: string, maxAgeMs: number, stage: SessionStage = 'full'): Promise<{ token: string; csrfToken: string }> {
    const token = newSessionToken();
    const csrfToken = randomBytes(32).toString('base64url');
    await this.db.insert(consoleSessions).values({
      id: sessionIdOf(token),
      accountId,
      stage,
      csrfToken,
      expiresAt: sql`now() + ${sql.raw(`interval '${Math.round(maxAgeMs)} milliseconds'`)}`,
    });
    return { token, csrfToken };
  }

  /**
   * The session behind a cookie token when it is neither idle past `idleMs`, nor past its absolute end,
   * nor of a disabled account. Expired rows found on the way are deleted.
   */
  async session(token: string, idleMs: number): Promise<Session | undefined> {
    const id = sessionIdOf(token);
    const [row] = await this.db
      .select({ session: consoleSessions, account: staffAccounts, live: sql<boolean>`${consoleSessions.expiresAt} > now() and ${consoleSessions.lastSeenAt} > now() - ${sql.raw(`interval '${Math.round(idleMs)} milliseconds'`)}` })
      .from(consoleSessions)
      .innerJoin(staffAccounts, eq(staffAccounts.id, consoleSessions.accountId))
      .where(eq(consoleSessions.id, id));
    if (!row) return undefined;
    if (!row.live || row.account.disabledAt) {
      await this.endSession(token);
      return undefined;
    }
    return { id, account: toAccount(row.account), stage: row.session.stage as SessionStage, csrfToken: row.session.csrfToken, lastSeenAt: row.session.lastSeenAt, expiresAt: row.session.expiresAt };
  }

  /** Marks the session used now (the idle clock restarts). */
  async touch(sessionId: string): Promise<void> {
    await this.db.update(consoleSessions).set({ lastSeenAt: sql`now()` }).where(eq(consoleSessions.id, sessionId));
  }

  async endSession(token: string): Promise<void> {
    await this.db.delete(consoleSessions).where(eq(consoleSessions.id, sessionIdOf(token)));
  }

  /** Deletes sessions past their absolute end (housekeeping; expired sessions are refused either way). */
  async purgeExpired(): Promise<number> {
    return (await this.db.delete(consoleSessions).where(lt(consoleSessions.expiresAt, sql`now()`)).returning({ id: consoleSessions.id })).length;
  }
}
